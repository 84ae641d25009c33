"""The product assembled for engine tests: demo world in PostgreSQL, Graph sandbox, real agents."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.agents import load_agents
from agent_brain.db.models import User
from agent_brain.llm.offline import OfflineModel
from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def product(demo_engine: AsyncEngine):  # type: ignore[no-untyped-def]
    app = create_sandbox_app(demo_engine)
    client = GraphClient("t", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"),
                         sleep=_no_sleep)
    async with client:
        meta = MetaAdapter(client)
        async with demo_engine.connect() as conn:
            user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()

        def orchestrator(model: Any = None, **kwargs: Any) -> Orchestrator:
            return Orchestrator(engine=demo_engine, model=model or OfflineModel(), agents=load_agents(), meta=meta,
                                writes=WriteGuard(IdempotentExecutor(demo_engine, poll_interval=0.01),
                                                  sleep=_no_sleep), **kwargs)

        yield {"engine": demo_engine, "app": app, "meta": meta, "user_id": user_id, "build": orchestrator}



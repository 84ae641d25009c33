"""Automation against the demo world: real PostgreSQL, the Graph sandbox, the real plan executor."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from rules_world import RulesWorld
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.agents import load_agents
from agent_brain.db.models import AdAccount
from agent_brain.llm.offline import OfflineModel
from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.stores.unified import UnifiedStore


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def rules_world(demo_engine: AsyncEngine) -> AsyncIterator[RulesWorld]:
    app = create_sandbox_app(demo_engine)
    client = GraphClient("t", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"),
                         sleep=_no_sleep)
    async with client:
        meta = MetaAdapter(client)
        async with demo_engine.connect() as conn:
            account = (await conn.execute(select(AdAccount))).one()
        store = UnifiedStore(demo_engine)
        orchestrator = Orchestrator(engine=demo_engine, model=OfflineModel(), agents=load_agents(), meta=meta,
                                    store=store, writes=WriteGuard(IdempotentExecutor(demo_engine, poll_interval=0.01),
                                                                   sleep=_no_sleep))
        yield RulesWorld(demo_engine, meta, store, orchestrator, account.user_id, account.id, account.external_id,
                         account.timezone)
        await orchestrator.wait_idle()

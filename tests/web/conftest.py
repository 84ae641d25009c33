"""The web app over the demo world: a Runtime built by hand (offline model, in-process Graph sandbox),
driven through httpx.ASGITransport; two users with tokens, to check that ids never cross users."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.agents import load_agents
from agent_brain.config import Settings, load_settings
from agent_brain.db.models import User
from agent_brain.llm.offline import OfflineModel
from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.runtime import Runtime
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserStore
from web_api.app import create_app


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Settings:
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "FB_ACCESS_TOKEN", "FB_AD_ACCOUNT_ID", "CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    return load_settings(data_dir=tmp_path)


@dataclass
class Api:
    app: FastAPI
    runtime: Runtime
    http: httpx.AsyncClient
    sandbox: FastAPI
    user_id: uuid.UUID
    token: str
    stranger_id: uuid.UUID
    stranger_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def stranger(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.stranger_token}"}

    @property
    def writes(self) -> int:
        return self.sandbox.state.emulator.writes_applied

    async def idle(self) -> None:
        """Every turn and plan run started by a request has finished."""
        await self.app.state.turn_streams.wait_idle()
        await self.runtime.orchestrator.wait_idle()


def build_runtime(settings: Settings, engine: AsyncEngine, meta: MetaAdapter) -> Runtime:
    store = UnifiedStore(engine)
    orchestrator = Orchestrator(
        engine=engine, model=OfflineModel(), agents=load_agents(), meta=meta, store=store,
        writes=WriteGuard(IdempotentExecutor(engine, poll_interval=0.01), sleep=_no_sleep))
    return Runtime(settings=settings, engine=engine, conversations=store, users=UserStore(engine), meta=meta,
                   orchestrator=orchestrator)


@pytest.fixture
async def api(settings: Settings, demo_engine: AsyncEngine) -> AsyncIterator[Api]:
    sandbox = create_sandbox_app(demo_engine)
    client = GraphClient("t", transport=httpx.ASGITransport(app=sandbox), breaker=BreakerRegistry().get("meta"),
                         sleep=_no_sleep)
    async with client:
        runtime = build_runtime(settings, demo_engine, MetaAdapter(client))
        async with demo_engine.connect() as conn:
            user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        token = await runtime.users.issue_token(user_id, label="test")
        stranger, stranger_token = await runtime.users.create_user("stranger", language="en")
        app = create_app(settings, runtime=runtime)
        transport = httpx.ASGITransport(app=app)
        async with LifespanManager(app), httpx.AsyncClient(transport=transport, base_url="http://test",
                                                           timeout=30) as http:
            yield Api(app, runtime, http, sandbox, user_id, token, stranger.id, stranger_token)
        await runtime.orchestrator.wait_idle()

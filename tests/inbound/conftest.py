"""The inbound world: the demo database, the web app (webhooks mounted) over ASGI, the Graph sandbox
with its messaging side, the customer simulator posting signed deliveries, the inbound service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from inbound_world import World, no_sleep
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.agents import load_agents
from agent_brain.config import Settings, load_settings
from agent_brain.db.models import User
from agent_brain.inbound import SANDBOX_APP_SECRET
from agent_brain.inbound.accounts import register_account
from agent_brain.inbound.analysis import RulesAnalyzer
from agent_brain.inbound.send import MessageSender
from agent_brain.inbound.service import HandoffCard, InboundService
from agent_brain.llm.offline import OfflineModel
from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.sandbox.customers import CustomerSimulator
from agent_brain.platforms.sandbox.messaging import DEMO_INSTAGRAM_ID, DEMO_PHONE_NUMBER_ID, MessagingSandbox
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.runtime import Runtime
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserStore
from web_api.app import create_app


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Settings:
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "FB_ACCESS_TOKEN", "FB_AD_ACCOUNT_ID", "META_APP_SECRET", "META_VERIFY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return load_settings(data_dir=tmp_path)


@pytest.fixture
async def world(settings: Settings, demo_engine: AsyncEngine) -> AsyncIterator[World]:
    messaging = MessagingSandbox()
    sandbox = create_sandbox_app(demo_engine, messaging=messaging)
    client = GraphClient("t", transport=httpx.ASGITransport(app=sandbox), breaker=BreakerRegistry().get("meta"),
                         sleep=no_sleep)
    async with client:
        meta = MetaAdapter(client)
        store = UnifiedStore(demo_engine)
        writes = WriteGuard(IdempotentExecutor(demo_engine, poll_interval=0.01), sleep=no_sleep)
        orchestrator = Orchestrator(engine=demo_engine, model=OfflineModel(), agents=load_agents(), meta=meta,
                                    store=store, writes=writes)
        runtime = Runtime(settings=settings, engine=demo_engine, conversations=store, users=UserStore(demo_engine),
                          meta=meta, orchestrator=orchestrator)
        async with demo_engine.connect() as conn:
            user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        always_open = {"start": 0, "end": 24, "days": list(range(7))}
        wa = await register_account(demo_engine, user_id, "whatsapp", DEMO_PHONE_NUMBER_ID, name="Клиника WhatsApp",
                                    business_hours=always_open)
        ig = await register_account(demo_engine, user_id, "instagram", DEMO_INSTAGRAM_ID, name="clinic.ig",
                                    business_hours=always_open)
        cards: list[HandoffCard] = []

        async def notify(card: HandoffCard) -> None:
            cards.append(card)

        service = InboundService(demo_engine, RulesAnalyzer(), MessageSender(demo_engine, client, writes, sleep=no_sleep),
                                 notify)
        app = create_app(settings, runtime=runtime)
        async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                           base_url="http://test", timeout=30) as http:
            yield World(demo_engine, runtime, http, messaging, CustomerSimulator(messaging, http, SANDBOX_APP_SECRET),
                        service, user_id, wa, ig, cards)

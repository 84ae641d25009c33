"""The Telegram transport end to end: the real aiogram Bot, polling a local Bot API stand-in, over the
product (demo world in PostgreSQL, in-process Graph sandbox, offline model).

`tg` runs the bot with a fake clock (pacing waits are instant; what was waited is recorded);
`tg_realtime` with the real clock, for the few tests that measure cadence and flood waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tg_support import DEMO_CHAT, SECRET, TOKEN, FakeClock, ScriptedModel, Telegram, _no_sleep  # noqa: F401

from agent_brain.agents import load_agents
from agent_brain.config import load_settings
from agent_brain.llm.base import ChatModel
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
from telegram_bot.bot import build_bot, build_dispatcher, run_polling
from telegram_bot.outbox import Pacing
from telegram_bot.standin import BotAPIStandIn


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandIn]:
    server = BotAPIStandIn(token=TOKEN)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def make_runtime(demo_engine: AsyncEngine, standin: BotAPIStandIn):  # type: ignore[no-untyped-def]
    """Build the product's Runtime over the demo database and the sandbox (one per test)."""
    app = create_sandbox_app(demo_engine)
    client = GraphClient("t", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"),
                         sleep=_no_sleep)
    async with client:
        meta = MetaAdapter(client)
        built: list[Runtime] = []

        def build(model: ChatModel | None = None, **settings: Any) -> tuple[Runtime, Any]:
            config = load_settings(telegram_bot_token=TOKEN, telegram_api_base=standin.base_url,
                                   **settings)
            store = UnifiedStore(demo_engine)
            orchestrator = Orchestrator(engine=demo_engine, model=model or OfflineModel(), agents=load_agents(),
                                        meta=meta, store=store,
                                        writes=WriteGuard(IdempotentExecutor(demo_engine, poll_interval=0.01),
                                                          sleep=_no_sleep))
            runtime = Runtime(settings=config, engine=demo_engine, conversations=store, users=UserStore(demo_engine),
                              meta=meta, orchestrator=orchestrator)
            built.append(runtime)
            return runtime, app

        yield build
        for runtime in built:
            await runtime.orchestrator.wait_idle()


async def _running(standin: BotAPIStandIn, make_runtime, clock: FakeClock | None,  # type: ignore[no-untyped-def]
                   model: ChatModel | None, settings: dict[str, Any] | None = None) -> AsyncIterator[Telegram]:
    runtime, app = make_runtime(model, **(settings or {}))
    pacing = Pacing(clock=clock, sleep=clock.sleep) if clock is not None else Pacing()
    bot = build_bot(runtime.settings)
    dispatcher = build_dispatcher(runtime, pacing=pacing)
    telegram = Telegram(standin, runtime, app, bot, dispatcher, clock)
    telegram.task = asyncio.create_task(run_polling(runtime, bot=bot, dispatcher=dispatcher, polling_timeout=5))
    await standin.wait_for(lambda: standin.calls_of("getUpdates"))
    try:
        yield telegram
    finally:
        await dispatcher.stop_polling()
        await telegram.task
        await runtime.orchestrator.wait_idle()


@pytest.fixture
def model() -> ChatModel | None:
    """Override in a test module (or parametrize indirectly) to run the bot over another model."""
    return None


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    """Override in a test module to run the bot with other settings (e.g. TELEGRAM_ALLOW_GROUPS)."""
    return {}


@pytest.fixture
async def tg(standin: BotAPIStandIn, make_runtime, model: ChatModel | None,  # type: ignore[no-untyped-def]
             bot_settings: dict[str, Any]) -> AsyncIterator[Telegram]:
    async for telegram in _running(standin, make_runtime, FakeClock(), model, bot_settings):
        yield telegram


@pytest.fixture
async def tg_realtime(standin: BotAPIStandIn, make_runtime, model: ChatModel | None) -> AsyncIterator[Telegram]:  # type: ignore[no-untyped-def]
    async for telegram in _running(standin, make_runtime, None, model):
        yield telegram



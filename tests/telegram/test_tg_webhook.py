"""POST /telegram/webhook: secret checked in constant time, update handled before the 200, re-deliveries
dropped by update_id. Real-format Update JSON through FastAPI; the bot answers via the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from tg_support import DEMO_CHAT, SECRET, FakeClock

from agent_brain.runtime import Runtime
from telegram_bot.bot import build_bot, build_dispatcher
from telegram_bot.links import ChatLinks
from telegram_bot.outbox import Pacing
from telegram_bot.standin import BotAPIStandIn, message_update
from telegram_bot.webhook import WebhookNotConfiguredError, build_webhook_router

URL = "/telegram/webhook"


@pytest.fixture
async def hook(make_runtime, standin: BotAPIStandIn) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:  # type: ignore[no-untyped-def]
    runtime, _ = make_runtime(telegram_webhook_secret=SECRET)
    clock = FakeClock()
    bot = build_bot(runtime.settings)
    app = FastAPI()
    app.include_router(build_webhook_router(runtime.settings, runtime=runtime, bot=bot, dispatcher=build_dispatcher(
        runtime, pacing=Pacing(clock=clock, sleep=clock.sleep))))
    user = await runtime.users.get_by_name("demo")
    assert user is not None
    code, _ = await ChatLinks(runtime.engine).codes.issue(user.id)
    await ChatLinks(runtime.engine).link(code, DEMO_CHAT)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        yield client, runtime
    await runtime.orchestrator.wait_idle()
    await bot.session.close()


async def _user_messages(runtime: Runtime) -> int:
    async with runtime.engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT count(*) FROM ai_messages m JOIN ai_conversations c ON c.id = m.conversation_id "
            "WHERE c.telegram_chat_id = :chat AND m.role = 'user'"), {"chat": DEMO_CHAT})).scalar_one()


async def test_missing_or_wrong_secret_is_401_and_nothing_is_processed(
        hook: tuple[httpx.AsyncClient, Runtime], standin: BotAPIStandIn) -> None:
    client, runtime = hook
    update = message_update(DEMO_CHAT, "Покажи расходы за неделю", update_id=10)
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                    {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]}, {"X-Telegram-Bot-Api-Secret-Token": ""}):
        response = await client.post(URL, json=update, headers=headers)
        assert response.status_code == 401
    assert standin.calls_of("sendMessage", "sendChatAction") == []
    assert await _user_messages(runtime) == 0
    # The refused update_id was not remembered: the genuine delivery is processed.
    response = await client.post(URL, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200 and await _user_messages(runtime) == 1


async def test_update_is_processed_before_the_200(hook: tuple[httpx.AsyncClient, Runtime],
                                                  standin: BotAPIStandIn) -> None:
    client, runtime = hook
    response = await client.post(URL, json=message_update(DEMO_CHAT, "Покажи расходы за неделю", update_id=20),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200 and response.json() == {"ok": True}
    # Everything was sent by the time Telegram got its answer: the reply and the chart.
    assert [c.method for c in standin.calls_of("sendMessage", "sendPhoto")] == ["sendMessage", "sendPhoto"]
    assert await _user_messages(runtime) == 1


async def test_redelivered_update_is_processed_once(hook: tuple[httpx.AsyncClient, Runtime],
                                                    standin: BotAPIStandIn) -> None:
    client, runtime = hook
    update = message_update(DEMO_CHAT, "Покажи расходы за неделю", update_id=30)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    first = await client.post(URL, json=update, headers=headers)
    calls = len(standin.calls)
    second = await client.post(URL, json=update, headers=headers)
    assert first.status_code == second.status_code == 200 and second.json()["duplicate"] is True
    assert len(standin.calls) == calls and await _user_messages(runtime) == 1


async def test_garbage_body_is_400(hook: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, _ = hook
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert (await client.post(URL, content=b"{not json", headers=headers)).status_code == 400
    assert (await client.post(URL, json={"message": "hi"}, headers=headers)).status_code == 400


async def test_webhook_mode_is_refused_without_a_valid_secret(make_runtime) -> None:  # type: ignore[no-untyped-def]
    for secret in (None, "", "has spaces", "x" * 257):
        runtime, _ = make_runtime(telegram_webhook_secret=secret)
        with pytest.raises(WebhookNotConfiguredError):
            build_webhook_router(runtime.settings, runtime=runtime)


async def test_router_mounts_into_an_app_with_its_lifespan(make_runtime, standin: BotAPIStandIn) -> None:  # type: ignore[no-untyped-def]
    """As the web app will: include_router merges the router's lifespan (command menu, session close)."""
    runtime, _ = make_runtime(telegram_webhook_secret=SECRET)
    app = FastAPI()
    app.state.runtime = runtime
    app.include_router(build_webhook_router(runtime.settings))  # runtime taken from app.state
    async with app.router.lifespan_context(app):
        assert {c.params.get("language_code") for c in standin.calls_of("setMyCommands")} == {"ru", "en", None}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
            response = await client.post(URL, json=message_update(DEMO_CHAT, "/help", update_id=40),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 200
        assert "не привязан" in standin.calls_of("sendMessage")[-1].params["text"]  # chat not linked here

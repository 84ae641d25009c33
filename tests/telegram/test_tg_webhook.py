"""POST /telegram/webhook: secret checked in constant time, the update stored in the durable inbox before
the 200 and processed from it (re-deliveries dropped by update_id, nothing lost when a process dies after
the 200, several workers never handle an update twice and keep each chat's order). Real-format Update
JSON through FastAPI; the bot answers via the stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from tg_support import DEMO_CHAT, SECRET, FakeClock, ScriptedModel, new_chat

from agent_brain.runtime import Runtime
from telegram_bot.bot import build_bot, build_dispatcher
from telegram_bot.inbox import WebhookInbox
from telegram_bot.links import ChatLinks
from telegram_bot.outbox import Pacing
from telegram_bot.standin import BotAPIStandIn, message_update
from telegram_bot.webhook import WebhookHub, WebhookNotConfiguredError, build_webhook_router

URL = "/telegram/webhook"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def _app(runtime: Runtime, hub: WebhookHub) -> FastAPI:
    clock = FakeClock()
    app = FastAPI()
    app.include_router(build_webhook_router(runtime.settings, runtime=runtime, bot=build_bot(runtime.settings),
                                            dispatcher=build_dispatcher(runtime, pacing=Pacing(
                                                clock=clock, sleep=clock.sleep)), hub=hub))
    return app


@asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (the inbox worker is part of it), and a client for it."""
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        yield client


async def _link(runtime: Runtime, chat_id: int = DEMO_CHAT, name: str = "demo") -> None:
    """A chat belongs to one account: other chats get accounts of their own."""
    user = await runtime.users.get_by_name(name)
    if user is None:
        user, _ = await runtime.users.create_user(name)
    links = ChatLinks(runtime.engine)
    code, _ = await links.codes.issue(user.id)
    await links.link(code, chat_id)


@pytest.fixture
async def hook(make_runtime) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime, WebhookHub]]:  # type: ignore[no-untyped-def]
    runtime, _ = make_runtime(telegram_webhook_secret=SECRET)
    await _link(runtime)
    hub = WebhookHub(worker_options={"poll_every": 0.2})
    async with _serving(_app(runtime, hub)) as client:
        yield client, runtime, hub
    await runtime.orchestrator.wait_idle()


async def _user_messages(runtime: Runtime, chat_id: int = DEMO_CHAT) -> int:
    async with runtime.engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT count(*) FROM ai_messages m JOIN ai_conversations c ON c.id = m.conversation_id "
            "WHERE c.telegram_chat_id = :chat AND m.role = 'user'"), {"chat": chat_id})).scalar_one()


async def _statuses(runtime: Runtime) -> dict[int, tuple[str, int]]:
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT update_id, status, attempts FROM telegram_updates"))).all()
    return {r.update_id: (r.status, r.attempts) for r in rows}


async def test_missing_or_wrong_secret_is_401_and_nothing_is_stored(
        hook: tuple[httpx.AsyncClient, Runtime, WebhookHub], standin: BotAPIStandIn) -> None:
    client, runtime, hub = hook
    update = message_update(DEMO_CHAT, "Покажи расходы за неделю", update_id=10)
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                    {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]}, {"X-Telegram-Bot-Api-Secret-Token": ""}):
        response = await client.post(URL, json=update, headers=headers)
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "bad_webhook_secret" and "X-Telegram-Bot-Api-Secret-Token" in error["message"]
        assert "Bearer" not in response.text and "WWW-Authenticate" not in response.headers
    assert await _statuses(runtime) == {}
    assert standin.calls_of("sendMessage", "sendChatAction") == []
    # The refused update_id was not remembered: the genuine delivery is processed.
    response = await client.post(URL, json=update, headers=HEADERS)
    assert response.status_code == 200
    assert hub.worker is not None
    await hub.worker.drained()
    assert await _user_messages(runtime) == 1 and await _statuses(runtime) == {10: ("done", 1)}


async def test_update_is_stored_before_the_200_and_processed_from_the_inbox(
        make_runtime, standin: BotAPIStandIn) -> None:  # type: ignore[no-untyped-def]
    runtime, _ = make_runtime(telegram_webhook_secret=SECRET)
    await _link(runtime)
    hub = WebhookHub(worker_options={"poll_every": 0.2})
    app = _app(runtime, hub)
    # No worker yet (as if the process died right after answering): the 200 means "stored".
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        response = await client.post(URL, json=message_update(DEMO_CHAT, "Покажи расходы за неделю", update_id=20),
                                     headers=HEADERS)
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert await _statuses(runtime) == {20: ("pending", 0)} and standin.calls_of("sendMessage") == []
    async with _serving(app):  # the next start of a web process drains the inbox
        assert hub.worker is not None
        await hub.worker.drained()
    assert [c.method for c in standin.calls_of("sendMessage", "sendPhoto")] == ["sendMessage", "sendPhoto"]
    assert await _user_messages(runtime) == 1 and await _statuses(runtime) == {20: ("done", 1)}
    await runtime.orchestrator.wait_idle()


async def test_an_update_claimed_by_a_dead_worker_is_taken_over_once_its_lease_lapses(
        make_runtime, standin: BotAPIStandIn) -> None:  # type: ignore[no-untyped-def]
    runtime, _ = make_runtime(telegram_webhook_secret=SECRET)
    await _link(runtime)
    inbox = WebhookInbox(runtime.engine)
    assert await inbox.put(21, message_update(DEMO_CHAT, "Покажи расходы за неделю", update_id=21))
    # A worker claims it and dies (never finishes): its lease is short, nobody else may take it meanwhile.
    [claimed] = await inbox.claim("dead-worker", limit=10, lease=0.5)
    assert claimed.update_id == 21 and await inbox.claim("other", limit=10, lease=30) == []
    hub = WebhookHub(worker_options={"poll_every": 0.1})
    async with _serving(_app(runtime, hub)):
        assert hub.worker is not None
        await hub.worker.drained()
    await inbox.done(21, "dead-worker")  # the dead worker's late word changes nothing: it no longer holds it
    assert await _statuses(runtime) == {21: ("done", 2)}
    assert await _user_messages(runtime) == 1 and len(standin.calls_of("sendPhoto")) == 1
    await runtime.orchestrator.wait_idle()


async def test_redelivered_update_is_processed_once(hook: tuple[httpx.AsyncClient, Runtime, WebhookHub],
                                                    standin: BotAPIStandIn) -> None:
    client, runtime, hub = hook
    update = message_update(DEMO_CHAT, "Покажи расходы за неделю", update_id=30)
    first = await client.post(URL, json=update, headers=HEADERS)
    second = await client.post(URL, json=update, headers=HEADERS)
    assert hub.worker is not None
    await hub.worker.drained()
    third = await client.post(URL, json=update, headers=HEADERS)  # after processing too
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.json() == {"ok": True} and second.json()["duplicate"] is True and third.json()["duplicate"] is True
    await hub.worker.drained()
    assert await _user_messages(runtime) == 1 and len(standin.calls_of("sendPhoto")) == 1


QUESTIONS = {"расход сегодня?": 0.6, "а вчера?": 0.4, "а за 30 дней?": 0.2, "а за 7 дней?": 0.0}
ANSWERS = {q: f"Ответ на «{q}»" for q in QUESTIONS}


async def test_two_workers_share_the_inbox_without_double_processing_and_keep_each_chats_order(
        make_runtime, standin: BotAPIStandIn) -> None:  # type: ignore[no-untyped-def]
    """Two web processes (own dispatcher, bot and worker each) behind one webhook, one database."""
    chats = [DEMO_CHAT, new_chat(), new_chat()]
    runtimes = [make_runtime(ScriptedModel(replies=ANSWERS, thinking=QUESTIONS), telegram_webhook_secret=SECRET)[0]
                for _ in range(2)]
    for n, chat in enumerate(chats):
        await _link(runtimes[0], chat, "demo" if n == 0 else f"inbox-{n}")
    hubs = [WebhookHub(worker_options={"poll_every": 0.1, "name": f"w{n}"}) for n in range(2)]
    apps = [_app(rt, hub) for rt, hub in zip(runtimes, hubs, strict=True)]
    updates: list[tuple[int, dict[str, Any]]] = []
    update_id = 5000
    for question in QUESTIONS:
        for chat in chats:
            update_id += 1
            updates.append((update_id, message_update(chat, question, update_id=update_id)))
    async with _serving(apps[0]) as first, _serving(apps[1]) as second:
        clients = [first, second]
        responses = []
        # Telegram delivers each update twice, to both processes at once (a re-delivery after a timeout),
        # and the chats' next questions while earlier ones are still being answered.
        for n, (_, body) in enumerate(updates):
            responses += await asyncio.gather(*(clients[(n + k) % 2].post(URL, json=body, headers=HEADERS)
                                                for k in range(2)))
        assert all(r.status_code == 200 for r in responses)
        assert sum(1 for r in responses if r.json().get("duplicate")) == len(updates)
        for hub in hubs:
            assert hub.worker is not None
            await hub.worker.drained()
    statuses = await _statuses(runtimes[0])
    assert statuses == {uid: ("done", 1) for uid, _ in updates}  # each claimed exactly once
    assert sum(hub.worker.handled for hub in hubs if hub.worker) == len(updates)
    for chat in chats:
        assert await _user_messages(runtimes[0], chat) == len(QUESTIONS)
        replies = [c.params["text"] for c in standin.calls_of("sendMessage", chat_id=chat)]
        assert replies == list(ANSWERS.values())  # the chat's order, whichever worker took each
    for rt in runtimes:
        await rt.orchestrator.wait_idle()


async def test_garbage_body_is_400(hook: tuple[httpx.AsyncClient, Runtime, WebhookHub]) -> None:
    client, _, _ = hook
    headers = HEADERS
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
        await standin.wait_for(lambda: standin.calls_of("sendMessage"))
        assert "не привязан" in standin.calls_of("sendMessage")[-1].params["text"]  # chat not linked here


async def test_one_chats_updates_delivered_at_once_are_answered_in_update_order(make_runtime, standin) -> None:  # type: ignore[no-untyped-def]
    """Concurrent deliveries may be stored in any order; the chat's answers still follow update_id."""
    runtime, _ = make_runtime(ScriptedModel(replies=ANSWERS, thinking=QUESTIONS), telegram_webhook_secret=SECRET)
    await _link(runtime)
    hub = WebhookHub(worker_options={"poll_every": 0.2})
    async with _serving(_app(runtime, hub)) as client:
        responses = await asyncio.gather(*(
            client.post(URL, json=message_update(DEMO_CHAT, q, update_id=900 + n), headers=HEADERS)
            for n, q in reversed(list(enumerate(QUESTIONS)))))  # the newest posted first
        assert [r.status_code for r in responses] == [200] * len(QUESTIONS)
        assert hub.worker is not None
        await hub.worker.drained()
    replies = [c.params["text"] for c in standin.calls_of("sendMessage", chat_id=DEMO_CHAT)]
    assert replies == list(ANSWERS.values())
    await runtime.orchestrator.wait_idle()

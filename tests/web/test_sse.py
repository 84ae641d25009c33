"""Server-Sent Events end to end: event order for a READ turn, an approval turn and a plan run;
409 before any byte when the conversation is busy; a client that leaves mid-stream loses nothing.

Streams are finite, so they run under httpx.ASGITransport (PITFALLS: httpx #2186). The disconnect
tests drive the ASGI app directly: ASGITransport buffers the whole response and cannot leave early.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from httpx_sse import aconnect_sse
from sqlalchemy import text

from agent_brain.llm.base import ModelEvent, ModelRequest
from agent_brain.stores.telegram_links import TelegramLinkStore

READ = "Покажи расходы за неделю"
PAUSE = "Поставь на паузу кампанию Виниры СПб"
SSE = {"Accept": "text/event-stream"}


async def sse_events(api, url: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    async with aconnect_sse(api.http, "POST", url, json=payload, headers={**api.auth, **SSE}) as source:
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        assert source.response.headers["cache-control"] == "no-store"
        return [(e.event, e.json()) async for e in source.aiter_sse()]


def order(events: list[tuple[str, dict[str, Any]]]) -> str:
    return " ".join(name for name, _ in events)


async def test_read_turn_event_order(api) -> None:  # type: ignore[no-untyped-def]
    events = await sse_events(api, "/api/brain/chat/message", {"message": READ})
    assert re.fullmatch(r"conversation classified (tool_start tool_result )+(text )+done", order(events)), order(events)
    conversation_id = events[0][1]["conversationId"]
    assert events[-1][1]["conversation_id"] == conversation_id
    assert all(data["type"] == name for name, data in events[1:])  # data is the orchestrator event as is
    tool = next(data for name, data in events if name == "tool_result")
    assert tool["tool"] == "getSpendReport" and tool["success"]


async def test_approval_turn_ends_with_approval_required_then_done(api) -> None:  # type: ignore[no-untyped-def]
    events = await sse_events(api, "/api/brain/chat/message", {"message": PAUSE, "mode": "plan"})
    assert re.fullmatch(r"conversation classified .*approval_required done", order(events)), order(events)
    approval = events[-2][1]
    assert [s["action"] for s in approval["plan"]["steps"]] == ["pauseCampaign"]
    assert events[-1][1]["plan_id"] == approval["plan_id"]


async def test_plan_execution_streams_step_results(api) -> None:  # type: ignore[no-untyped-def]
    turn = await sse_events(api, "/api/brain/chat/message", {"message": PAUSE, "mode": "plan"})
    plan_id = turn[-1][1]["plan_id"]
    writes = api.writes
    events = await sse_events(api, "/api/brain/chat/execute", {"planId": plan_id})
    assert order(events) == "conversation step_result text done"
    assert events[0][1]["conversationId"] == turn[0][1]["conversationId"]
    assert events[1][1]["success"] and events[1][1]["result"]["verification"]["verified"]
    async with aconnect_sse(api.http, "POST", "/api/brain/chat/execute", json={"planId": plan_id},
                            headers={**api.auth, **SSE}) as again:
        assert again.response.status_code == 409
        assert again.response.headers["content-type"] == "application/json"
        await again.response.aread()
        assert again.response.json()["error"]["code"] == "plan_not_runnable"
    assert api.writes == writes + 1


async def test_json_when_the_client_does_not_ask_for_a_stream(api) -> None:  # type: ignore[no-untyped-def]
    for accept in ("application/json", "*/*", None):
        headers = {**api.auth, **({"Accept": accept} if accept else {})}
        r = await api.http.post("/api/brain/chat/message", json={"message": READ}, headers=headers)
        assert r.headers["content-type"] == "application/json"
        assert set(r.json()) == {"conversationId", "text", "events", "plan"}


async def test_busy_conversation_is_409_before_streaming(api) -> None:  # type: ignore[no-untyped-def]
    store = api.runtime.conversations
    conv = await store.get_or_create(user_id=api.user_id, source="web")
    assert await store.acquire_lock(conv.id, "another-turn")
    for headers in ({**api.auth, **SSE}, api.auth):
        r = await api.http.post("/api/brain/chat/message", json={"message": READ, "conversationId": str(conv.id),
                                                                 "mode": "auto"}, headers=headers)
        assert r.status_code == 409 and r.headers["content-type"] == "application/json"
        assert r.json()["error"]["code"] == "busy"
    after = await store.get_by_id(conv.id)
    assert after.lock_owner == "another-turn" and after.message_count == 0 and after.mode == "plan"


async def test_busy_is_decided_from_the_turns_first_event(api) -> None:  # type: ignore[no-untyped-def]
    """The Telegram route has no pre-check: the orchestrator's own `busy` event becomes the 409."""
    links = TelegramLinkStore(api.runtime.engine)
    code, _ = await links.issue(api.user_id)
    await links.redeem(code, 9001)
    store = api.runtime.conversations
    conv = await store.get_or_create(user_id=api.user_id, source="telegram", telegram_chat_id=9001)
    async with store.locked(conv.id):
        r = await api.http.post("/api/brain/telegram/chat", json={"telegramChatId": 9001, "message": READ},
                                headers={**api.auth, **SSE, "Accept-Language": "en"})
    assert r.status_code == 409
    assert r.json() == {"error": {"code": "busy", "message": "Still answering the previous message — one moment."}}
    assert (await store.get_by_id(conv.id)).message_count == 0


# ── a client that leaves ────────────────────────────────────────────────────────────────────


class GatedModel:
    """The offline model, holding every agent call until `gate` opens: the turn is provably still
    running when the client leaves."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.is_llm = inner.is_llm
        self.gate = asyncio.Event()

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        if request.hints.purpose == "agent":
            await self.gate.wait()
        async for event in self.inner.stream(request):
            yield event


async def leave_after(app, path: str, payload: dict[str, Any], token: str, events: int) -> bytes:  # type: ignore[no-untyped-def]
    """POST as an SSE client that disconnects once `events` events have arrived; returns what it got."""
    body = json.dumps(payload).encode()
    received: list[bytes] = []
    left = asyncio.Event()
    request_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message["type"] == "http.response.body":
            received.append(message.get("body", b""))
            if b"".join(received).count(b"event: ") >= events:
                left.set()

    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), (b"accept", b"text/event-stream"),
                    (b"authorization", f"Bearer {token}".encode()), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("test", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return b"".join(received)


async def test_a_client_leaving_mid_turn_loses_nothing(api) -> None:  # type: ignore[no-untyped-def]
    orchestrator = api.runtime.orchestrator
    gated = GatedModel(orchestrator.model)
    orchestrator.model = gated
    conv = await api.runtime.conversations.get_or_create(user_id=api.user_id, source="web")

    got = await leave_after(api.app, "/api/brain/chat/message", {"message": READ, "conversationId": str(conv.id)},
                            api.token, events=2)
    assert re.findall(rb"event: (\w+)", got) == [b"conversation", b"classified"]
    assert (await api.runtime.conversations.get_by_id(conv.id)).lock_owner is not None  # still answering

    gated.gate.set()  # the agent answers after its client has gone
    await orchestrator.wait_idle()
    after = await api.runtime.conversations.get_by_id(conv.id)
    assert after.lock_owner is None
    messages = await api.runtime.conversations.load_messages(conv.id)
    assert messages[0].content == READ and messages[-1].role == "assistant" and "$" in (messages[-1].content or "")
    # The conversation takes the next message at once.
    events = await sse_events(api, "/api/brain/chat/message", {"message": "а за вчера?", "conversationId": str(conv.id)})
    assert events[-1][0] == "done"


async def test_a_client_leaving_a_plan_run_still_gets_it_recorded(api) -> None:  # type: ignore[no-untyped-def]
    turn = await sse_events(api, "/api/brain/chat/message", {"message": PAUSE, "mode": "plan"})
    plan_id, conversation_id = turn[-1][1]["plan_id"], uuid.UUID(turn[0][1]["conversationId"])
    writes = api.writes
    got = await leave_after(api.app, "/api/brain/chat/execute", {"planId": plan_id}, api.token, events=1)
    assert got.count(b"event: ") >= 1
    await api.idle()
    assert (await api.runtime.conversations.get_plan(uuid.UUID(plan_id))).status == "completed"
    assert api.writes == writes + 1
    last = (await api.runtime.conversations.load_messages(conversation_id))[-1]
    assert last.content and last.content.startswith("План: выполнено 1 из 1")
    async with api.runtime.engine.connect() as conn:
        owner = (await conn.execute(text("SELECT lock_owner FROM ai_conversations WHERE id = :i"),
                                    {"i": conversation_id})).scalar_one()
    assert owner is None

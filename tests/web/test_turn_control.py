"""Controlling a turn from the page: stop it at a safe point, re-attach to it after a reload; rename
and search conversations; a plan step described in words."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text

from agent_brain.llm.base import ModelEvent, ModelRequest, TurnDone
from agent_brain.llm.offline import OfflineModel

READ = "Покажи расходы за неделю"
PAUSE = "Поставь на паузу кампанию Виниры СПб"


class GatedModel:
    """The offline model whose first agent round waits at a gate — after answering, before handing over its
    tool calls: the moment a stop must catch, with nothing run yet."""

    def __init__(self) -> None:
        self.inner = OfflineModel()
        self.name, self.is_llm = self.inner.name, self.inner.is_llm
        self.entered, self.gate = asyncio.Event(), asyncio.Event()

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        async for event in self.inner.stream(request):
            if isinstance(event, TurnDone) and request.hints.purpose == "agent" and not self.gate.is_set():
                self.entered.set()
                await self.gate.wait()
            yield event


def gate(api) -> GatedModel:  # type: ignore[no-untyped-def]
    model = GatedModel()
    api.runtime.orchestrator.model = model
    return model


async def new_conversation(api) -> str:  # type: ignore[no-untyped-def]
    return (await api.http.post("/api/brain/conversations", json={}, headers=api.auth)).json()["conversation"]["id"]


async def test_stop_before_a_tool_runs_keeps_the_reply_marked_and_runs_nothing(api) -> None:  # type: ignore[no-untyped-def]
    model = gate(api)
    conv = await new_conversation(api)
    turn = asyncio.create_task(api.http.post("/api/brain/chat/message", json={"message": READ, "conversationId": conv},
                                             headers=api.auth))
    await model.entered.wait()
    # The question is already stored, before any answer exists.
    stored = (await api.http.get(f"/api/brain/conversations/{conv}/messages", headers=api.auth)).json()["items"]
    assert [(m["role"], m["content"]) for m in stored] == [("user", READ)]
    stop = await api.http.post(f"/api/brain/chat/{conv}/stop", headers=api.auth)
    assert stop.status_code == 202
    model.gate.set()
    body = (await turn).json()
    done = body["events"][-1]
    assert done["type"] == "done" and done["stopped"] is True and done["text"] == "_(ответ остановлен)_"
    assert not [e for e in body["events"] if e["type"] in ("tool_start", "tool_result")]  # the tool never ran
    await api.idle()
    stored = (await api.http.get(f"/api/brain/conversations/{conv}/messages", headers=api.auth)).json()["items"]
    calls = [c["id"] for m in stored for c in (m["toolCalls"] or [])]
    assert calls and all(m["toolResult"]["code"] == "stopped" for m in stored if m["role"] == "tool")
    assert len([m for m in stored if m["role"] == "tool"]) == len(calls)  # one result per call
    assert stored[-1]["role"] == "assistant" and stored[-1]["content"] == "_(ответ остановлен)_"
    # The lock is free: the next message is answered in full.
    after = await api.http.post("/api/brain/chat/message", json={"message": READ, "conversationId": conv},
                                headers=api.auth)
    assert after.status_code == 200 and "stopped" not in after.json()["events"][-1]


async def test_stop_when_nothing_runs_is_409_and_another_users_conversation_404(api) -> None:  # type: ignore[no-untyped-def]
    conv = await new_conversation(api)
    r = await api.http.post(f"/api/brain/chat/{conv}/stop", headers={**api.auth, "Accept-Language": "en"})
    assert r.status_code == 409 and r.json()["error"] == {"code": "not_running",
                                                          "message": "Nothing is running in this conversation."}
    assert (await api.http.post(f"/api/brain/chat/{conv}/stop", headers=api.stranger)).status_code == 404
    assert (await api.http.get(f"/api/brain/chat/{conv}/stream", headers=api.auth)).status_code == 204


async def test_a_reloaded_page_replays_the_running_turn_from_its_start(api) -> None:  # type: ignore[no-untyped-def]
    model = gate(api)
    conv = await new_conversation(api)
    turn = asyncio.create_task(api.http.post("/api/brain/chat/message", json={"message": READ, "conversationId": conv},
                                             headers={**api.auth, "Accept": "text/event-stream"}))
    await model.entered.wait()
    assert (await api.http.get(f"/api/brain/chat/{conv}/stream", headers=api.stranger)).status_code == 404
    resumed = asyncio.create_task(api.http.get(f"/api/brain/chat/{conv}/stream", headers=api.auth))
    await asyncio.sleep(0)
    model.gate.set()
    original, replay = await turn, await resumed
    assert replay.status_code == 200 and replay.headers["content-type"].startswith("text/event-stream")

    def events(raw: str) -> list[tuple[str, Any]]:
        out = []
        for block in raw.replace("\r\n", "\n").split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
            if "event" in lines:
                out.append((lines["event"], json.loads(lines["data"])))
        return out

    assert events(replay.text) == events(original.text)  # every event, from the first, in order
    assert events(replay.text)[-1][0] == "done"
    await api.idle()
    assert (await api.http.get(f"/api/brain/chat/{conv}/stream", headers=api.auth)).status_code == 204


async def test_rename_and_search_conversations(api) -> None:  # type: ignore[no-untyped-def]
    first = (await api.http.post("/api/brain/chat/message", json={"message": READ}, headers=api.auth)).json()
    second = (await api.http.post("/api/brain/chat/message", json={"message": "Найди горячих лидов"},
                                  headers=api.auth)).json()
    await api.idle()
    renamed = await api.http.patch(f"/api/brain/conversations/{first['conversationId']}", json={"title": "  Бюджет "},
                                   headers=api.auth)
    assert renamed.status_code == 200 and renamed.json()["conversation"]["title"] == "Бюджет"
    assert (await api.http.patch(f"/api/brain/conversations/{first['conversationId']}", json={"title": "x"},
                                 headers=api.stranger)).status_code == 404
    assert (await api.http.patch(f"/api/brain/conversations/{first['conversationId']}", json={"title": "  "},
                                 headers=api.auth)).status_code == 422

    async def found(q: str) -> list[str]:
        r = await api.http.get("/api/brain/conversations", params={"q": q}, headers=api.auth)
        return [c["id"] for c in r.json()["items"]]

    assert await found("бюдж") == [first["conversationId"]]  # by title, any case
    assert await found("горячих") == [second["conversationId"]]  # by a message
    lead_word = second["text"].split()[0]  # a word from the assistant's answer
    assert second["conversationId"] in await found(lead_word)
    assert await found("100%_") == []  # LIKE wildcards are literal
    stranger = await api.http.get("/api/brain/conversations", params={"q": "бюдж"}, headers=api.stranger)
    assert stranger.json()["items"] == []  # only one's own conversations


async def test_a_plan_step_is_described_in_words_in_the_requested_language(api) -> None:  # type: ignore[no-untyped-def]
    body = (await api.http.post("/api/brain/chat/message", json={"message": PAUSE}, headers=api.auth)).json()
    plan_id = body["plan"]["id"]
    target = next(c for c in await api.runtime.meta.list_campaigns("act_100200300400") if c.name == "Виниры СПб")
    budget = target.daily_budget_cents or sum(s.daily_budget_cents or 0 for s in await api.runtime.meta.list_ad_sets(
        campaign_id=target.id) if s.status == "ACTIVE")
    ru = (await api.http.get(f"/api/brain/plans/{plan_id}", headers=api.auth)).json()["plan"]["steps"][0]["view"]
    assert ru["title"] == "Поставить кампанию на паузу" and ru["target"] == "Виниры СПб"
    assert ru["changes"] == [{"label": "Статус", "before": "активна", "after": "на паузе"}]
    assert ru["spendPerDay"] == f"${budget / 100:,.2f} в день"
    en = (await api.http.get(f"/api/brain/plans/{plan_id}", headers={**api.auth, "Accept-Language": "en"})).json()
    view = en["plan"]["steps"][0]["view"]
    assert view["title"] == "Pause the campaign" and view["changes"][0] == {"label": "Status", "before": "active",
                                                                            "after": "paused"}


async def test_a_stop_during_a_platform_write_lets_the_write_finish_and_be_recorded(api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ads = api.runtime.orchestrator.agents["ads"].tools
    real = ads.get("updateDirectionTargetCPL")
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_write(args, ctx):  # type: ignore[no-untyped-def]
        entered.set()
        await release.wait()  # the stop arrives while the write is under way
        return await real.handler(args, ctx)

    monkeypatch.setitem(ads._tools, real.name, dataclasses.replace(real, handler=slow_write))
    conv = (await api.http.post("/api/brain/conversations", json={"mode": "auto"}, headers=api.auth)).json()
    conv_id = conv["conversation"]["id"]
    turn = asyncio.create_task(api.http.post("/api/brain/chat/message", headers=api.auth, json={
        "message": "Установи целевой CPL для направления Отбеливание 15 долларов", "conversationId": conv_id}))
    await entered.wait()
    assert (await api.http.post(f"/api/brain/chat/{conv_id}/stop", headers=api.auth)).status_code == 202
    release.set()
    events = (await turn).json()["events"]
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["tool"] == "updateDirectionTargetCPL" and result["success"] is True
    assert events[-1]["type"] == "done" and events[-1]["stopped"] is True
    async with api.runtime.engine.connect() as conn:
        cpl = (await conn.execute(text("SELECT target_cpl_cents FROM directions WHERE name = 'Отбеливание' "
                                       "AND user_id = :u"), {"u": api.user_id})).scalar_one()
    assert cpl == 1500  # the write was applied in full, not cut
    await api.idle()
    stored = (await api.http.get(f"/api/brain/conversations/{conv_id}/messages", headers=api.auth)).json()["items"]
    tool = next(m for m in stored if m["role"] == "tool")
    assert tool["toolName"] == "updateDirectionTargetCPL" and tool["toolResult"].get("code") != "stopped"
    assert stored[-1]["content"].endswith("_(ответ остановлен)_")


async def test_stop_reaches_a_turn_running_in_another_process(api, settings, demo_engine) -> None:  # type: ignore[no-untyped-def]
    """`serve --workers 2`: the Stop request lands on the process that does not run the turn."""
    import httpx
    from asgi_lifespan import LifespanManager

    from agent_brain.db.engine import create_engine
    from agent_brain.platforms.graph.breaker import BreakerRegistry
    from agent_brain.platforms.graph.client import GraphClient
    from agent_brain.platforms.meta.adapter import MetaAdapter
    from tests.web.conftest import build_runtime
    from web_api.app import create_app

    model = gate(api)
    conv = await new_conversation(api)
    other_engine = create_engine(demo_engine.url.render_as_string(hide_password=False), pool_size=2)
    client = GraphClient("t", transport=httpx.ASGITransport(app=api.sandbox), breaker=BreakerRegistry().get("meta"))
    other = create_app(settings, runtime=build_runtime(settings, other_engine, MetaAdapter(client)))
    try:
        async with LifespanManager(other), httpx.AsyncClient(transport=httpx.ASGITransport(app=other),
                                                             base_url="http://other") as other_http:
            await api.app.state.stop_relay.listening.wait()  # the process running the turn listens
            turn = asyncio.create_task(api.http.post(
                "/api/brain/chat/message", json={"message": READ, "conversationId": conv}, headers=api.auth))
            await model.entered.wait()
            stop = await other_http.post(f"/api/brain/chat/{conv}/stop", headers=api.auth)
            assert stop.status_code == 202
            # The stop is asked for before the gate opens: wait until the running process heard it.
            running = api.runtime.orchestrator._running[uuid.UUID(conv)]
            async with asyncio.timeout(30):
                await running.stop.wait()
            model.gate.set()
            done = (await turn).json()["events"][-1]
            assert done["type"] == "done" and done["stopped"] is True
            await api.idle()
            # Nothing runs any more: the other process answers 409 as it would alone.
            again = await other_http.post(f"/api/brain/chat/{conv}/stop", headers=api.auth)
            assert again.status_code == 409
    finally:
        await client.aclose()
        await other_engine.dispose()

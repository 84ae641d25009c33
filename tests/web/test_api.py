"""The web API as JSON: auth on every route, one user never reaches another's data, plans run once,
manual step-by-step runs, Telegram link codes, memory endpoints, error shapes and languages."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi.routing import APIRoute
from sqlalchemy import text
from starlette.routing import Mount

from agent_brain.stores.records import Plan, PlanStep
from agent_brain.stores.telegram_links import TelegramLinkStore
from web_api.app import create_app

ACCOUNT = "act_100200300400"
READ = "Покажи расходы за неделю"
PAUSE = "Поставь на паузу кампанию Виниры СПб"


async def planned(api, message: str = PAUSE) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A plan-mode turn that ends in a pending plan; returns the JSON reply."""
    r = await api.http.post("/api/brain/chat/message", json={"message": message, "mode": "plan"}, headers=api.auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan"] is not None and body["plan"]["status"] == "pending"
    return body


async def campaign_ids(api) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.name: c.id for c in await api.runtime.meta.list_campaigns(ACCOUNT)}


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute under /api. FastAPI ≥ 0.16x keeps an included router as one entry holding the
    original router; our prefixes live on the leaf routers, so their routes carry full paths."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
        elif hasattr(route, "routes") and not isinstance(route, Mount):
            found.extend(api_routes(route.routes))
    return [r for r in found if r.path.startswith("/api/")]


def _path(route: APIRoute) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)


async def test_every_api_route_requires_a_valid_token(api) -> None:  # type: ignore[no-untyped-def]
    routes = api_routes(api.app.routes)
    documented = {(m.upper(), p) for p, ops in api.app.openapi()["paths"].items() for m in ops if p.startswith("/api")}
    assert {(m, r.path) for r in routes for m in r.methods} >= documented and len(documented) >= 20
    for route in routes:
        for method in route.methods - {"HEAD"}:
            if (method, route.path) == ("POST", "/api/brain/auth/session"):
                continue  # signing in is how a browser gets its session (tests/web/test_sessions.py)
            for headers in ({}, {"Authorization": "Bearer ab_not-a-token"}, {"Authorization": "Basic eDp5"}):
                r = await api.http.request(method, _path(route), headers=headers)
                assert r.status_code == 401, (method, route.path, headers, r.text)
                assert r.json()["error"]["code"] == "unauthorized"
                assert r.headers["www-authenticate"] == "Bearer"


async def test_health_and_docs_are_open(api) -> None:  # type: ignore[no-untyped-def]
    assert (await api.http.get("/health")).json()["status"] == "ok"
    assert (await api.http.get("/docs")).status_code == 200
    spec = (await api.http.get("/openapi.json")).json()
    assert "/api/brain/chat/message" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_the_page_is_served_at_the_root_without_a_token(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.http.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]


async def test_me(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.http.get("/api/brain/me", headers=api.auth)
    assert r.json() == {"id": str(api.user_id), "name": "demo", "language": "ru", "model": "offline",
                        "model_is_llm": False, "platform": "sandbox", "currency": "USD"}


async def test_a_read_turn_as_json(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.http.post("/api/brain/chat/message", json={"message": READ}, headers=api.auth)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    types = [e["type"] for e in body["events"]]
    assert types[0] == "classified" and types[-1] == "done" and "tool_result" in types
    assert body["plan"] is None and body["text"] == body["events"][-1]["text"]
    conv = await api.runtime.conversations.get_by_id(uuid.UUID(body["conversationId"]), user_id=api.user_id)
    assert conv.message_count >= 2 and conv.lock_owner is None


async def test_another_users_ids_are_not_found(api) -> None:  # type: ignore[no-untyped-def]
    body = await planned(api)
    conv, plan = body["conversationId"], body["plan"]["id"]
    writes = api.writes
    attempts = [
        ("GET", f"/api/brain/conversations/{conv}/messages", None),
        ("PUT", f"/api/brain/conversations/{conv}/mode", {"mode": "auto"}),
        ("DELETE", f"/api/brain/conversations/{conv}", None),
        ("POST", "/api/brain/chat/message", {"message": "привет", "conversationId": conv}),
        ("GET", f"/api/brain/plans/{plan}", None),
        ("POST", f"/api/brain/plans/{plan}/approve", {"mode": "all"}),
        ("POST", f"/api/brain/plans/{plan}/approve", {"mode": "manual"}),
        ("POST", f"/api/brain/plans/{plan}/reject", None),
        ("POST", "/api/brain/chat/execute", {"planId": plan}),
        ("POST", "/api/brain/chat/execute-action", {"planId": plan, "stepIndex": 0}),
    ]
    for method, url, payload in attempts:
        for accept in ("application/json", "text/event-stream"):
            r = await api.http.request(method, url, json=payload, headers={**api.stranger, "Accept": accept})
            assert r.status_code == 404, (method, url, r.text)
            assert r.json()["error"]["code"] == "not_found"
    listed = (await api.http.get("/api/brain/conversations", headers=api.stranger)).json()
    assert listed["items"] == []
    # Nothing moved: the plan still waits, the conversation is intact, Graph untouched.
    await api.idle()
    assert (await api.runtime.conversations.get_plan(uuid.UUID(plan))).status == "pending"
    owner_view = await api.http.get(f"/api/brain/conversations/{conv}/messages", headers=api.auth)
    assert owner_view.status_code == 200 and owner_view.json()["items"][0]["content"] == PAUSE
    assert (await api.runtime.conversations.get_by_id(uuid.UUID(conv))).mode == "plan"
    assert api.writes == writes


async def test_execute_twice_writes_once(api) -> None:  # type: ignore[no-untyped-def]
    plan = (await planned(api))["plan"]["id"]
    writes = api.writes
    first = await api.http.post("/api/brain/chat/execute", json={"planId": plan}, headers=api.auth)
    assert first.status_code == 200, first.text
    steps = [e for e in first.json()["events"] if e["type"] == "step_result"]
    assert [s["success"] for s in steps] == [True]
    assert first.json()["plan"]["status"] == "completed"
    second = await api.http.post("/api/brain/chat/execute", json={"planId": plan}, headers=api.auth)
    assert second.status_code == 409 and second.json()["error"]["code"] == "plan_not_runnable"
    approve = await api.http.post(f"/api/brain/plans/{plan}/approve", json={"mode": "all"}, headers=api.auth)
    assert approve.status_code == 409
    assert api.writes == writes + 1


async def test_concurrent_executes_write_once(api) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    plan = (await planned(api))["plan"]["id"]
    writes = api.writes
    replies = await asyncio.gather(*(api.http.post("/api/brain/chat/execute", json={"planId": plan}, headers=api.auth)
                                     for _ in range(3)))
    assert sorted(r.status_code for r in replies) == [200, 409, 409]
    await api.idle()
    assert api.writes == writes + 1


async def test_manual_approval_runs_one_step_per_call(api) -> None:  # type: ignore[no-untyped-def]
    ids = await campaign_ids(api)
    conv = await api.runtime.conversations.get_or_create(user_id=api.user_id, source="web")
    steps = [PlanStep(action="pauseCampaign", params={"campaignId": ids[name]}, dangerous=True)
             for name in ("Виниры СПб", "Имплантация Москва")]
    record = await api.runtime.conversations.create_pending_plan(
        conv.id, api.user_id, Plan(steps=steps, summary="two pauses"), source="web")
    plan, writes = str(record.id), api.writes

    approved = await api.http.post(f"/api/brain/plans/{plan}/approve", json={"mode": "manual"}, headers=api.auth)
    assert approved.status_code == 200 and approved.json()["plan"]["status"] == "approved"
    assert api.writes == writes

    one = await api.http.post("/api/brain/chat/execute-action", json={"planId": plan, "stepIndex": 0}, headers=api.auth)
    assert [e["index"] for e in one.json()["events"] if e["type"] == "step_result"] == [0]
    assert one.json()["plan"]["status"] == "approved"
    assert one.json()["plan"]["executionResults"]["0"]["success"] is True
    assert (await api.runtime.meta.get_campaign(ids["Имплантация Москва"])).status == "ACTIVE"

    again = await api.http.post("/api/brain/chat/execute-action", json={"planId": plan, "stepIndex": 0},
                                headers=api.auth)
    assert again.status_code == 409 and again.json()["error"]["code"] == "plan_not_runnable"
    missing = await api.http.post("/api/brain/chat/execute-action", json={"planId": plan, "stepIndex": 5},
                                  headers=api.auth)
    assert missing.status_code == 409

    two = await api.http.post("/api/brain/chat/execute-action", json={"planId": plan, "stepIndex": 1}, headers=api.auth)
    assert two.json()["plan"]["status"] == "completed"
    assert (await api.runtime.meta.get_campaign(ids["Имплантация Москва"])).status == "PAUSED"
    assert api.writes == writes + 2


async def test_approve_auto_runs_the_plan(api) -> None:  # type: ignore[no-untyped-def]
    plan = (await planned(api))["plan"]["id"]
    r = await api.http.post(f"/api/brain/plans/{plan}/approve", json={"mode": "auto"}, headers=api.auth)
    assert r.status_code == 200 and r.json()["plan"]["status"] == "completed"
    assert (await api.http.get(f"/api/brain/plans/{plan}", headers=api.auth)).json()["plan"]["status"] == "completed"


async def test_reject_then_illegal_transitions_are_409_with_a_reason(api) -> None:  # type: ignore[no-untyped-def]
    plan = (await planned(api))["plan"]["id"]
    r = await api.http.post(f"/api/brain/plans/{plan}/reject", headers=api.auth)
    assert r.status_code == 200 and r.json()["plan"]["status"] == "rejected"
    again = await api.http.post(f"/api/brain/plans/{plan}/reject", headers={**api.auth, "Accept-Language": "en"})
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "illegal_transition", "message": "the plan was cancelled",
                                     "reason": "rejected", "current": "rejected", "target": "rejected"}
    manual = await api.http.post(f"/api/brain/plans/{plan}/approve", json={"mode": "manual"}, headers=api.auth)
    assert manual.status_code == 409 and manual.json()["error"]["message"] == "план отменён"


async def test_an_expired_plan_cannot_be_approved(api) -> None:  # type: ignore[no-untyped-def]
    plan = (await planned(api))["plan"]["id"]
    async with api.runtime.engine.begin() as conn:
        await conn.execute(text("UPDATE ai_pending_plans SET expires_at = now() - interval '1 minute' WHERE id = :i"),
                           {"i": plan})
    r = await api.http.post(f"/api/brain/plans/{plan}/approve", json={"mode": "manual"}, headers=api.auth)
    assert r.status_code == 409 and r.json()["error"]["code"] == "plan_expired"


async def test_conversations_create_list_mode_messages_delete(api) -> None:  # type: ignore[no-untyped-def]
    created = await api.http.post("/api/brain/conversations", json={"mode": "ask"}, headers=api.auth)
    assert created.status_code == 201
    conv = created.json()["conversation"]
    assert conv["mode"] == "ask" and conv["source"] == "web" and conv["messageCount"] == 0
    await api.http.post("/api/brain/chat/message", json={"message": READ, "conversationId": conv["id"]},
                        headers=api.auth)
    listed = (await api.http.get("/api/brain/conversations?limit=5", headers=api.auth)).json()
    assert listed["limit"] == 5 and listed["offset"] == 0
    first = listed["items"][0]
    assert first["id"] == conv["id"] and first["title"] == READ and first["lastAgent"] == "ads"
    assert set(first) == {"id", "title", "mode", "source", "messageCount", "lastAgent", "updatedAt"}
    messages = (await api.http.get(f"/api/brain/conversations/{conv['id']}/messages", headers=api.auth)).json()
    assert messages["items"][0]["role"] == "user" and messages["items"][-1]["role"] == "assistant"
    assert set(messages["items"][0]) == {"id", "role", "content", "toolCalls", "toolName", "toolResult", "plan",
                                         "agent", "domain", "createdAt"}
    limited = (await api.http.get(f"/api/brain/conversations/{conv['id']}/messages?limit=1", headers=api.auth)).json()
    assert limited["items"] == messages["items"][-1:]
    moded = await api.http.put(f"/api/brain/conversations/{conv['id']}/mode", json={"mode": "auto"}, headers=api.auth)
    assert moded.json()["conversation"]["mode"] == "auto"
    assert (await api.http.delete(f"/api/brain/conversations/{conv['id']}", headers=api.auth)).status_code == 204
    assert (await api.http.delete(f"/api/brain/conversations/{conv['id']}", headers=api.auth)).status_code == 404
    gone = await api.http.get(f"/api/brain/conversations/{conv['id']}/messages", headers=api.auth)
    assert gone.status_code == 404


async def test_mode_in_a_message_switches_the_conversation(api) -> None:  # type: ignore[no-untyped-def]
    conv = (await api.http.post("/api/brain/conversations", json={"mode": "plan"}, headers=api.auth)).json()
    r = await api.http.post("/api/brain/chat/message", headers=api.auth,
                            json={"message": READ, "conversationId": conv["conversation"]["id"], "mode": "ask"})
    assert r.json()["events"][-1]["mode"] == "ask"


async def test_validation_errors_name_the_field(api) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ("POST", "/api/brain/chat/message", {"message": ""}, "message"),
        ("POST", "/api/brain/chat/message", {"message": "   "}, "message"),
        ("POST", "/api/brain/chat/message", {"message": "x" * 8001}, "message"),
        ("POST", "/api/brain/chat/message", {"message": "hi", "conversationId": "nope"}, "conversationId"),
        ("POST", "/api/brain/chat/message", {"message": "hi", "mode": "turbo"}, "mode"),
        ("POST", "/api/brain/chat/message", {"message": "a\x00b"}, "message"),
        ("POST", "/api/brain/chat/execute", {}, "planId"),
        ("POST", "/api/brain/chat/execute-action", {"planId": str(uuid.uuid4()), "stepIndex": -1}, "stepIndex"),
        ("GET", "/api/brain/conversations?limit=0", None, "limit"),
        ("GET", "/api/brain/conversations/not-a-uuid/messages", None, "conversation_id"),
        ("PUT", "/api/brain/memory/specs", {"kpi": {"target_cpl_cents": -5}}, "kpi"),
        ("POST", "/api/brain/memory/notes", {"text": "x", "domain": "astrology"}, "domain"),
        ("GET", "/api/brain/telegram/status", None, "telegramChatId"),
    ]
    for method, url, payload, field in cases:
        r = await api.http.request(method, url, json=payload, headers={**api.auth, "Accept-Language": "en"})
        assert r.status_code == 422, (url, payload, r.text)
        error = r.json()["error"]
        assert error["code"] == "validation_error"
        assert field in [f["field"] for f in error["fields"]], (url, error)
        assert error["message"].startswith("Check the request fields") or field == "kpi"
    bad_json = await api.http.post("/api/brain/chat/message", content=b"{nope", headers={
        **api.auth, "Content-Type": "application/json"})
    assert bad_json.status_code == 422 and bad_json.json()["error"]["code"] == "validation_error"


async def test_errors_speak_the_requested_language(api) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/brain/plans/{uuid.uuid4()}"
    ru = await api.http.get(url, headers=api.auth)
    en = await api.http.get(url, headers={**api.auth, "Accept-Language": "en-US,en;q=0.9,ru;q=0.5"})
    assert ru.json() == {"error": {"code": "not_found", "message": "План не найден."}}
    assert en.json() == {"error": {"code": "not_found", "message": "Plan not found."}}
    unauth = await api.http.get("/api/brain/me", headers={"Accept-Language": "en"})
    assert unauth.json()["error"]["message"].startswith("Sign-in required")
    assert (await api.http.get("/api/brain/nothing-here", headers=api.auth)).json()["error"]["code"] == "not_found"


async def test_cors_is_closed_unless_configured(api, settings) -> None:  # type: ignore[no-untyped-def]
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    r = await api.http.options("/api/brain/chat/message", headers=preflight)
    assert "access-control-allow-origin" not in r.headers
    opened = create_app(settings.model_copy(update={"cors_origins": ["https://app.example"]}), runtime=api.runtime)
    async with LifespanManager(opened), httpx.AsyncClient(transport=httpx.ASGITransport(app=opened),
                                                          base_url="http://test") as http:
        ok = await http.options("/api/brain/me", headers={**preflight, "Origin": "https://app.example"})
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        no = await http.options("/api/brain/me", headers=preflight)
        assert "access-control-allow-origin" not in no.headers


# ── Telegram ────────────────────────────────────────────────────────────────────────────────


async def test_link_code_is_single_use(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.http.post("/api/brain/telegram/link-code", headers=api.auth)
    body = r.json()
    assert re.fullmatch(r"[A-Z2-9]{8}", body["code"]) and body["startCommand"] == f"/start {body['code']}"
    links = TelegramLinkStore(api.runtime.engine)
    async with api.runtime.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT code_hash FROM telegram_link_codes"))).scalars().all()
    assert body["code"] not in stored and len(stored) == 1  # only the hash is kept
    user = await links.redeem(body["code"].lower(), 777001)
    assert user is not None and user.id == api.user_id and user.telegram_chat_id == 777001
    assert await links.redeem(body["code"], 777002) is None
    assert (await api.runtime.users.get_user(api.user_id)).telegram_chat_id == 777001
    assert await links.redeem("ABCDEFGH", 777003) is None


async def test_link_code_expires(api) -> None:  # type: ignore[no-untyped-def]
    code = (await api.http.post("/api/brain/telegram/link-code", headers=api.auth)).json()["code"]
    async with api.runtime.engine.begin() as conn:
        await conn.execute(text("UPDATE telegram_link_codes SET expires_at = now() - interval '1 second'"))
    assert await TelegramLinkStore(api.runtime.engine).redeem(code, 777001) is None
    assert (await api.runtime.users.get_user(api.user_id)).telegram_chat_id is None


async def test_link_code_lives_fifteen_minutes(api) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    body = (await api.http.post("/api/brain/telegram/link-code", headers=api.auth)).json()
    left = dt.datetime.fromisoformat(body["expiresAt"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=14) < left <= dt.timedelta(minutes=15, seconds=5)


async def test_a_linked_chat_moves_to_the_new_codes_user(api) -> None:  # type: ignore[no-untyped-def]
    links = TelegramLinkStore(api.runtime.engine)
    code, _ = await links.issue(api.stranger_id)
    await links.redeem(code, 4242)
    code, _ = await links.issue(api.user_id)
    assert (await links.redeem(code, 4242)).id == api.user_id
    assert (await api.runtime.users.get_user(api.stranger_id)).telegram_chat_id is None


async def test_telegram_endpoints_work_only_on_a_linked_chat(api) -> None:  # type: ignore[no-untyped-def]
    chat = 5550001
    before = await api.http.get(f"/api/brain/telegram/status?telegramChatId={chat}", headers=api.auth)
    assert before.status_code == 404
    code, _ = await TelegramLinkStore(api.runtime.engine).issue(api.user_id)
    await TelegramLinkStore(api.runtime.engine).redeem(code, chat)

    reply = await api.http.post("/api/brain/telegram/chat", json={"telegramChatId": chat, "message": READ},
                                headers=api.auth)
    assert reply.status_code == 200 and reply.json()["text"]
    status = (await api.http.get(f"/api/brain/telegram/status?telegramChatId={chat}", headers=api.auth)).json()
    assert status["conversation"]["id"] == reply.json()["conversationId"]
    assert status["conversation"]["source"] == "telegram" and status["busy"] is False
    assert status["pendingPlan"] is None
    moded = await api.http.post("/api/brain/telegram/mode", json={"telegramChatId": chat, "mode": "ask"},
                                headers=api.auth)
    assert moded.json()["conversation"]["mode"] == "ask"
    cleared = await api.http.post("/api/brain/telegram/clear", json={"telegramChatId": chat}, headers=api.auth)
    assert cleared.json()["deletedMessages"] >= 2
    for method, url, payload in (("POST", "/api/brain/telegram/chat", {"telegramChatId": chat, "message": "hi"}),
                                 ("POST", "/api/brain/telegram/clear", {"telegramChatId": chat}),
                                 ("POST", "/api/brain/telegram/mode", {"telegramChatId": chat, "mode": "auto"}),
                                 ("GET", f"/api/brain/telegram/status?telegramChatId={chat}", None)):
        r = await api.http.request(method, url, json=payload, headers=api.stranger)
        assert r.status_code == 404, (url, r.text)


# ── memory ──────────────────────────────────────────────────────────────────────────────────


async def test_notes_add_list_forget(api) -> None:  # type: ignore[no-untyped-def]
    added = await api.http.post("/api/brain/memory/notes", json={"text": "Бюджет на виниры не выше $50 в день",
                                                                 "domain": "ads"}, headers=api.auth)
    assert added.status_code == 201
    note = added.json()["note"]
    assert note["source"] == "user" and note["domain"] == "ads"
    listed = (await api.http.get("/api/brain/memory/notes", headers=api.auth)).json()["items"]
    assert note["id"] in [n["id"] for n in listed]
    only_crm = (await api.http.get("/api/brain/memory/notes?domain=crm", headers=api.auth)).json()["items"]
    assert note["id"] not in [n["id"] for n in only_crm]
    assert (await api.http.get("/api/brain/memory/notes", headers=api.stranger)).json()["items"] == []
    forgotten = await api.http.request("DELETE", "/api/brain/memory/notes", params={"query": "бюджет на виниры"},
                                       headers=api.auth)
    assert [n["id"] for n in forgotten.json()["deleted"]] == [note["id"]]
    listed = (await api.http.get("/api/brain/memory/notes", headers=api.auth)).json()["items"]
    assert note["id"] not in [n["id"] for n in listed]


async def test_specs_merge_and_validate(api) -> None:  # type: ignore[no-untyped-def]
    put = await api.http.put("/api/brain/memory/specs", json={"kpi": {"target_cpl_cents": 2500, "currency": "usd"}},
                             headers=api.auth)
    assert put.status_code == 200 and put.json()["kpi"]["target_cpl_cents"] == 2500
    assert put.json()["kpi"]["currency"] == "USD"
    await api.http.put("/api/brain/memory/specs", json={"crm": {"won_stage": "Оплата"}, "kpi": {"currency": None}},
                       headers=api.auth)
    got = (await api.http.get("/api/brain/memory/specs", headers=api.auth)).json()
    assert got["crm"]["won_stage"] == "Оплата" and got["kpi"]["target_cpl_cents"] == 2500
    assert "currency" not in got["kpi"]
    assert (await api.http.get("/api/brain/memory/specs", headers=api.stranger)).json() == {
        "tracking": {}, "crm": {}, "kpi": {}}
    bad = await api.http.put("/api/brain/memory/specs", json={"kpi": {"max_cpl_cents": 1.5}}, headers=api.auth)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "kpi"


@pytest.mark.parametrize("payload", [{"tracking": {"k\x00": 1}}, {"crm": {"funnel": ["a\x00"]}}])
async def test_specs_refuse_what_postgres_cannot_store(api, payload) -> None:  # type: ignore[no-untyped-def]
    r = await api.http.put("/api/brain/memory/specs", json=payload, headers=api.auth)
    assert r.status_code == 422


async def test_actions_history_is_the_users_own_and_an_action_can_be_undone_once(api) -> None:  # type: ignore[no-untyped-def]
    plan = (await planned(api))["plan"]["id"]
    assert (await api.http.post("/api/brain/chat/execute", json={"planId": plan}, headers=api.auth)).status_code == 200
    listed = await api.http.get("/api/brain/actions", params={"tool": "pauseCampaign"}, headers=api.auth)
    assert listed.status_code == 200
    [action] = listed.json()["items"]
    assert (action["target"]["name"], action["status"], action["planId"]) == ("Виниры СПб", "verified", plan)
    assert action["before"] == {"status": "ACTIVE"} and action["after"] == {"status": "PAUSED"}
    assert (await api.http.get("/api/brain/actions", params={"status": "failed"}, headers=api.auth)).json()["items"] == []
    assert (await api.http.get("/api/brain/actions", headers=api.stranger)).json()["items"] == []
    stranger = await api.http.post(f"/api/brain/actions/{action['id']}/revert", headers=api.stranger)
    assert stranger.status_code == 404

    revert = await api.http.post(f"/api/brain/actions/{action['id']}/revert", headers=api.auth)
    assert revert.status_code == 200, revert.text
    undo_plan = revert.json()["plan"]
    assert undo_plan["status"] == "pending" and undo_plan["steps"][0]["action"] == "resumeCampaign"
    run = await api.http.post("/api/brain/chat/execute", json={"planId": undo_plan["id"]}, headers=api.auth)
    assert run.status_code == 200 and run.json()["plan"]["status"] == "completed"
    twice = await api.http.post(f"/api/brain/actions/{action['id']}/revert", headers=api.auth)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_reverted"
    newest = (await api.http.get("/api/brain/actions", params={"limit": 1}, headers=api.auth)).json()["items"][0]
    assert newest["revertsActionId"] == action["id"]

"""Operations surface of the web app: /metrics after real turns, /ready distinct from /health, JSON logs
that carry one turn id through model, tools and platform calls without ever showing a token, and a
disabled user refused by the API."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.admin.users import set_disabled
from agent_brain.agents import load_agents
from agent_brain.config import Settings
from agent_brain.db.models import User
from agent_brain.llm.offline import OfflineModel
from agent_brain.observability.logs import make_handler
from agent_brain.observability.readiness import migration_heads
from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker, BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.graph.errors import TransientError
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.runtime import Runtime
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserStore
from web_api.app import create_app

READ = "Покажи расходы за неделю"
PAUSE = "Поставь на паузу кампанию Виниры СПб"
PLATFORM_TOKEN = "EAAB-observability-platform-secret-0123456789"


async def _no_sleep(_: float) -> None:
    return None


class Ops:
    def __init__(self, http: httpx.AsyncClient, runtime: Runtime, token: str) -> None:
        self.http, self.runtime, self.token = http, runtime, token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        r = await self.http.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(r.text) for s in family.samples}


@pytest.fixture
async def ops(settings: Settings, demo_engine: AsyncEngine) -> AsyncIterator[Ops]:
    """The app over the demo world, its Graph client holding a realistic (long) token."""
    sandbox = create_sandbox_app(demo_engine)
    client = GraphClient(PLATFORM_TOKEN, transport=httpx.ASGITransport(app=sandbox),
                         breaker=BreakerRegistry().get("meta"), sleep=_no_sleep)
    async with client:
        meta = MetaAdapter(client)
        store = UnifiedStore(demo_engine)
        orchestrator = Orchestrator(engine=demo_engine, model=OfflineModel(), agents=load_agents(), meta=meta,
                                    store=store, writes=WriteGuard(IdempotentExecutor(demo_engine, poll_interval=0.01),
                                                                   sleep=_no_sleep))
        runtime = Runtime(settings=settings, engine=demo_engine, conversations=store, users=UserStore(demo_engine),
                          meta=meta, orchestrator=orchestrator)
        async with demo_engine.connect() as conn:
            user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        token = await runtime.users.issue_token(user_id, label="test")
        app = create_app(settings, runtime=runtime)
        async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                           base_url="http://test", timeout=30) as http:
            yield Ops(http, runtime, token)
        await orchestrator.wait_idle()


def _key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


async def test_metrics_count_turns_tools_platform_calls_plans_and_breakers(ops: Ops) -> None:
    before = await ops.samples()
    r = await ops.http.post("/api/brain/chat/message", json={"message": READ}, headers=ops.auth)
    assert r.status_code == 200, r.text
    tools = [e["tool"] for e in r.json()["events"] if e["type"] == "tool_result"]
    planned = await ops.http.post("/api/brain/chat/message", json={"message": PAUSE, "mode": "plan"},
                                  headers=ops.auth)
    assert planned.json()["plan"]["status"] == "pending"
    await ops.runtime.orchestrator.wait_idle()
    after = await ops.samples()

    def grew(key: tuple[str, tuple[tuple[str, str], ...]]) -> float:
        return after.get(key, 0) - before.get(key, 0)

    assert grew(_key("agent_brain_turns_total", source="web", outcome="ok")) == 2
    assert grew(_key("agent_brain_turn_seconds_count", source="web")) == 2
    assert tools and all(grew(_key("agent_brain_tool_calls_total", tool=t, outcome="ok")) >= 1 for t in tools)
    assert grew(_key("agent_brain_agent_seconds_count", agent="ads", status="completed")) >= 2
    ok_calls = sum(v - before.get(k, 0) for k, v in after.items()
                   if k[0] == "agent_brain_platform_calls_total" and ("status", "2xx") in k[1])
    assert ok_calls >= 1
    assert after[_key("agent_brain_breaker_state", platform="meta", state="closed")] == 1
    assert after[_key("agent_brain_breaker_state", platform="meta", state="open")] == 0
    async with ops.runtime.engine.connect() as conn:
        pending = (await conn.execute(text("SELECT count(*) FROM ai_pending_plans WHERE status = 'pending'"))
                   ).scalar_one()
    assert pending >= 1 and after[_key("agent_brain_plans", state="pending")] == pending
    # Low cardinality: no label carries a user, conversation or object id.
    labels = {v for key in after for _, v in key[1]}
    assert str(ops.runtime.users) not in labels and not any(len(v) == 36 and v.count("-") == 4 for v in labels)


async def test_ready_is_ok_then_degraded_with_an_open_breaker_then_unavailable_behind_migrations(ops: Ops) -> None:
    r = await ops.http.get("/ready")
    assert (r.status_code, r.json()["status"], r.json()["migrations"]) == (200, "ok", "head")
    assert r.json()["breakers"]["meta"]["state"] == "closed"

    breaker: AsyncCircuitBreaker = ops.runtime.meta.client.breaker

    async def fail() -> None:
        raise TransientError("503", http_status=503)

    for _ in range(breaker.config.fail_max):
        with pytest.raises(TransientError):
            await breaker.call(fail)
    assert breaker.state == "open"
    degraded = await ops.http.get("/ready")
    assert (degraded.status_code, degraded.json()["status"]) == (200, "degraded")
    assert degraded.json()["breakers"]["meta"]["state"] == "open"
    health = await ops.http.get("/health")
    assert health.status_code == 200  # liveness: the process is up, whatever the platform does
    scraped = await ops.samples()
    assert scraped[_key("agent_brain_breaker_state", platform="meta", state="open")] == 1

    [head] = migration_heads()
    async with ops.runtime.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    try:
        behind = await ops.http.get("/ready")
        assert behind.status_code == 503
        assert behind.json()["status"] == "unavailable" and behind.json()["migrations"] == "behind"
        assert behind.json()["migrations_head"] == [head]
    finally:
        async with ops.runtime.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head})


async def test_json_logs_follow_one_turn_through_model_tools_and_platform_without_secrets(ops: Ops) -> None:
    buffer = io.StringIO()
    handler = make_handler("json", stream=buffer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        r = await ops.http.post("/api/brain/chat/message", json={"message": READ}, headers=ops.auth)
        assert r.status_code == 200
        await ops.runtime.orchestrator.wait_idle()
        logging.getLogger("some.library").warning("token %s leaked", PLATFORM_TOKEN)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    records = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    assert records and all({"time", "level", "logger", "message", "turn_id"} <= set(r) for r in records)
    [finished] = [r for r in records if r["message"].startswith("turn finished: ok")]
    turn = finished["turn_id"]
    assert turn and turn.startswith("turn-")
    loggers = {r["logger"] for r in records if r["turn_id"] == turn}
    assert {"agent_brain.agents.runner", "agent_brain.tools.registry", "agent_brain.platforms.graph.client",
            "agent_brain.orchestrator.orchestrator"} <= loggers
    everything = buffer.getvalue()
    assert any("graph GET" in r["message"] for r in records if r["turn_id"] == turn)
    assert PLATFORM_TOKEN not in everything and ops.token not in everything
    # Whatever logger a token reaches (here: a careless one), the handler's filter cuts it.
    assert "token [REDACTED] leaked" in everything


async def test_a_disabled_user_gets_401_from_the_api(ops: Ops) -> None:
    assert (await ops.http.get("/api/brain/me", headers=ops.auth)).status_code == 200
    assert await set_disabled(ops.runtime.engine, "demo", disabled=True) is True
    assert (await ops.http.get("/api/brain/me", headers=ops.auth)).status_code == 401
    chat = await ops.http.post("/api/brain/chat/message", json={"message": READ}, headers=ops.auth)
    assert chat.status_code == 401

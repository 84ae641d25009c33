"""Token-expiry alerts against the Graph sandbox's `debug_token` and the stored expiry: 7 days and 1 day
before, then expired — each stage sent once (deduplicated), in the conversation and to the notifier."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.automation.alerts import check_alerts
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.stores.unified import UnifiedStore


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def world(demo_engine: AsyncEngine) -> AsyncIterator[dict[str, Any]]:
    app = create_sandbox_app(demo_engine, valid_tokens={"token-a"})
    client = GraphClient("token-a", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"),
                         sleep=_no_sleep)
    async with client:
        yield {"engine": demo_engine, "meta": MetaAdapter(client), "emulator": app.state.emulator,
               "store": UnifiedStore(demo_engine)}


async def _token_alerts(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT dedup_key, message FROM alert_events WHERE kind = 'token_expiry' "
                                        "ORDER BY id"))).all()
    return [(r.dedup_key, r.message) for r in rows]


async def test_debug_token_reads_the_platform_tokens_expiry(world) -> None:  # type: ignore[no-untyped-def]
    expires = clock.now().replace(microsecond=0) + dt.timedelta(days=3)
    world["emulator"].token_expires_at = int(expires.timestamp())
    assert await world["meta"].token_expiry() == (True, expires)
    world["emulator"].token_expires_at = 0
    assert await world["meta"].token_expiry() == (True, None)  # a token that never expires


async def test_alerts_seven_days_and_one_day_before_and_when_expired_each_once(world) -> None:  # type: ignore[no-untyped-def]
    engine, store, meta = world["engine"], world["store"], world["meta"]
    expires = clock.now().replace(microsecond=0) + dt.timedelta(days=30)
    world["emulator"].token_expires_at = int(expires.timestamp())
    heard: list[str] = []

    async def notify(user_id, conversation_id, body, payload):  # type: ignore[no-untyped-def]
        if body.startswith(("🔑", "⛔")):
            heard.append(body)

    async def check(at: dt.datetime) -> None:
        await check_alerts(engine, store, now=at, notify=notify, platform=meta)

    await check(expires - dt.timedelta(days=8))
    assert await _token_alerts(engine) == []  # more than 7 days left: nothing yet
    for _ in range(2):
        await check(expires - dt.timedelta(days=6, hours=1))
    [(key, message)] = await _token_alerts(engine)
    assert key == f"token:{expires.date().isoformat()}:7d" and "истекает через 6 дн." in message
    for _ in range(2):
        await check(expires - dt.timedelta(hours=20))
    assert [k for k, _ in await _token_alerts(engine)][1:] == [f"token:{expires.date().isoformat()}:1d"]
    assert "истекает через 20 ч" in (await _token_alerts(engine))[1][1]
    for _ in range(2):
        await check(expires + dt.timedelta(hours=1))
    alerts = await _token_alerts(engine)
    assert len(alerts) == 3 and alerts[2][0].startswith("token:expired:") and "больше не действует" in alerts[2][1]
    assert heard == [m for _, m in alerts]  # delivered beyond the conversation too, once each


async def test_a_stored_expiry_is_used_for_an_account_with_its_own_token(world) -> None:  # type: ignore[no-untyped-def]
    engine = world["engine"]
    world["emulator"].token_expires_at = 0  # the platform token never expires
    own = clock.now().replace(microsecond=0) + dt.timedelta(days=2)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE ad_accounts SET token_expires_at = :t"), {"t": own})
    await check_alerts(engine, world["store"], platform=world["meta"])
    [(key, message)] = await _token_alerts(engine)
    assert key == f"token:{own.date().isoformat()}:7d" and "через 1 дн." in message


async def test_a_token_the_platform_refuses_is_reported_expired(world) -> None:  # type: ignore[no-untyped-def]
    world["emulator"].valid_tokens = {"another-token"}  # revoked: Graph answers 190 even to debug_token
    await check_alerts(world["engine"], world["store"], platform=world["meta"])
    [(key, message)] = await _token_alerts(world["engine"])
    assert key.startswith("token:expired:") and "токен истёк или отозван" in message

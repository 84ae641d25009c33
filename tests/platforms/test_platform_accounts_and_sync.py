"""Linking TikTok and Google Ads accounts (tokens encrypted at rest, checked on the platform first), and the
metrics sync loading every platform into the unified `ad_daily_metrics`."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.jobs.metrics_sync import accounts_to_sync, sync_account
from agent_brain.platforms.base import PlatformAdapter
from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client
from agent_brain.platforms.google.sandbox import create_google_sandbox_app
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.errors import PermissionDeniedError, TokenExpiredError
from agent_brain.platforms.linking import AccountNotFound, link_account
from agent_brain.platforms.sandbox.platform_seed import (
    GOOGLE_CUSTOMER_ID,
    TIKTOK_ADVERTISER_ID,
    seed_platform_sandboxes,
)
from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app
from agent_brain.security import TokenCipher
from agent_brain.stores.users import UserStore

pytestmark = pytest.mark.asyncio
TODAY = dt.date(2026, 3, 10)
TT_TOKEN = "tt-user-token-5f1c0ffee0123456789"
G_TOKEN = "ya29.user-oauth-token-0123456789abcdef"


def _factory(engine: AsyncEngine, platform: str, valid: set[str]) -> Any:
    breakers = BreakerRegistry()

    @asynccontextmanager
    async def open_adapter(token: str | None) -> AsyncIterator[PlatformAdapter]:
        if platform == "tiktok":
            app = create_tiktok_sandbox_app(engine, valid_tokens=valid)
            async with tiktok_client(token or "process-token", transport=httpx.ASGITransport(app=app),
                                     breaker=breakers.get("tiktok")) as client:
                yield TikTokAdapter(client)
        else:
            app = create_google_sandbox_app(engine, valid_tokens=valid)
            async with google_client(token or "process-token", "dev-token-123", transport=httpx.ASGITransport(app=app),
                                     breaker=breakers.get("google")) as client:
                yield GoogleAdsAdapter(client)

    return open_adapter


async def test_link_checks_the_platform_and_stores_the_token_encrypted(engine: AsyncEngine, user) -> None:
    await seed_platform_sandboxes(engine, TODAY)
    users, cipher = UserStore(engine), TokenCipher(Fernet.generate_key())
    tiktok = await link_account(users, user.id, platform="tiktok", external_id=TIKTOK_ADVERTISER_ID,
                                adapter_for=_factory(engine, "tiktok", {TT_TOKEN}), token=TT_TOKEN, cipher=cipher)
    google = await link_account(users, user.id, platform="google", external_id=GOOGLE_CUSTOMER_ID,
                                adapter_for=_factory(engine, "google", {G_TOKEN}), token=G_TOKEN, cipher=cipher)
    assert (tiktok.currency, tiktok.timezone, google.currency) == ("USD", "Europe/Moscow", "USD")
    assert "TikTok" in tiktok.name and "Google Ads" in google.name  # names come from the platform
    async with engine.connect() as conn:
        stored = dict((await conn.execute(text(
            "SELECT platform, access_token_encrypted FROM ad_accounts WHERE user_id = :u"), {"u": user.id})).all())
        clear = (await conn.execute(text(
            "SELECT count(*) FROM ad_accounts WHERE position(convert_to(:t, 'UTF8') in access_token_encrypted) > 0"),
            {"t": TT_TOKEN})).scalar_one()
    assert clear == 0
    assert cipher.decrypt(stored["tiktok"]) == TT_TOKEN and cipher.decrypt(stored["google"]) == G_TOKEN
    assert await users.access_token(tiktok.id, cipher) == TT_TOKEN
    listed = {(a.platform, a.external_id) for a in await users.ad_accounts(user.id)}
    assert listed == {("tiktok", TIKTOK_ADVERTISER_ID), ("google", GOOGLE_CUSTOMER_ID)}


async def test_link_refuses_unknown_accounts_and_bad_tokens(engine: AsyncEngine, user) -> None:
    await seed_platform_sandboxes(engine, TODAY)
    users, cipher = UserStore(engine), TokenCipher(Fernet.generate_key())
    with pytest.raises(PermissionDeniedError):  # Google: a customer the token cannot reach is a 403
        await link_account(users, user.id, platform="google", external_id="5550001111",
                           adapter_for=_factory(engine, "google", {G_TOKEN}), token=G_TOKEN, cipher=cipher)
    with pytest.raises((TokenExpiredError, AccountNotFound)):
        await link_account(users, user.id, platform="tiktok", external_id=TIKTOK_ADVERTISER_ID,
                           adapter_for=_factory(engine, "tiktok", {TT_TOKEN}), token="stolen-or-expired", cipher=cipher)
    assert await users.ad_accounts(user.id) == []


async def test_metrics_sync_loads_every_platform_into_one_table(engine: AsyncEngine, user) -> None:
    await seed_platform_sandboxes(engine, TODAY)
    users = UserStore(engine)
    for platform, external_id in (("tiktok", TIKTOK_ADVERTISER_ID), ("google", GOOGLE_CUSTOMER_ID)):
        await users.upsert_ad_account(user.id, platform=platform, external_id=external_id, name=platform,
                                      currency="USD", timezone="Europe/Moscow", is_sandbox=True)
    since, until = TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=1)
    for platform in ("tiktok", "google"):
        [account] = await accounts_to_sync(engine, platform)
        async with _factory(engine, platform, {"process-token"})(None) as adapter:
            report = await sync_account(engine, adapter, account, "manual", date_from=since, date_to=until)
        assert report.rows_upserted == 0 and report.ads_unmapped > 0  # no creative catalogue for them
        async with _factory(engine, platform, {"process-token"})(None) as adapter:  # idempotent re-run
            await sync_account(engine, adapter, account, "manual", date_from=since, date_to=until)
    async with engine.connect() as conn:
        ours = dict((await conn.execute(text(
            "SELECT platform, sum(spend_cents) FROM ad_daily_metrics WHERE date BETWEEN :f AND :t GROUP BY 1"),
            {"f": since, "t": until})).all())
        theirs = dict((await conn.execute(text(
            "SELECT platform, sum(spend_minor) FROM sandbox_platform_stats WHERE date BETWEEN :f AND :t GROUP BY 1"),
            {"f": since, "t": until})).all())
        shape = (await conn.execute(text(
            "SELECT count(*) FILTER (WHERE campaign_id IS NULL OR adset_id IS NULL), min(currency) "
            "FROM ad_daily_metrics"))).one()
    assert ours == theirs and set(ours) == {"tiktok", "google"}
    assert tuple(shape) == (0, "USD")


async def test_demo_seed_with_every_platform_is_idempotent(engine: AsyncEngine) -> None:
    from agent_brain.demo.seed import DEMO_PLATFORMS, seed_demo

    first = await seed_demo(engine, today=TODAY, platforms=DEMO_PLATFORMS)
    again = await seed_demo(engine, today=TODAY, platforms=DEMO_PLATFORMS)
    assert first.inserted["sandbox_platform_objects"] > 0 and first.inserted["sandbox_platform_stats"] > 0
    assert again.inserted["sandbox_platform_objects"] == again.inserted["sandbox_platform_stats"] == 0
    accounts = await UserStore(engine).ad_accounts(first.user_id)
    assert [a.platform for a in accounts] == ["meta", "tiktok", "google"]  # Meta stays the first account


async def test_spend_spike_alert_on_a_tiktok_account(engine: AsyncEngine, user) -> None:
    from zoneinfo import ZoneInfo

    from agent_brain.automation.alerts import check_alerts
    from agent_brain.stores.unified import UnifiedStore

    await seed_platform_sandboxes(engine, TODAY)
    await UserStore(engine).upsert_ad_account(user.id, platform="tiktok", external_id=TIKTOK_ADVERTISER_ID,
                                              name="TikTok", currency="USD", timezone="Europe/Moscow", is_sandbox=True)
    [account] = await accounts_to_sync(engine, "tiktok")
    yesterday = TODAY - dt.timedelta(days=1)
    async with _factory(engine, "tiktok", {"process-token"})(None) as adapter:
        await sync_account(engine, adapter, account, "manual", date_from=TODAY - dt.timedelta(days=10),
                           date_to=yesterday)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE ad_daily_metrics SET spend_cents = spend_cents * 3 WHERE date = :d"),
                           {"d": yesterday})
        spent = (await conn.execute(text("SELECT sum(spend_cents) FROM ad_daily_metrics WHERE date = :d"),
                                    {"d": yesterday})).scalar_one()
    sent: list[str] = []

    async def notify(user_id, conversation_id, body, payload):  # type: ignore[no-untyped-def]
        sent.append(body)

    now = dt.datetime.combine(TODAY, dt.time(12), ZoneInfo("Europe/Moscow"))
    assert await check_alerts(engine, UnifiedStore(engine), now=now, notify=notify) >= 1
    spike = next(m for m in sent if "Расход (TikTok) вчера" in m or "Spend (TikTok) yesterday" in m)
    assert f"${spent / 100:,.2f}".replace(",", " ") in spike or f"${spent / 100:,.2f}" in spike
    assert await check_alerts(engine, UnifiedStore(engine), now=now, notify=notify) == 0  # once

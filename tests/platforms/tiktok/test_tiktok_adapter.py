"""Every TikTokAdapter operation against the TikTok sandbox, and TikTok's error classes and retries."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import SandboxPlatformStats
from agent_brain.platforms.base import InsightsQuery
from agent_brain.platforms.graph.errors import (
    CircuitOpenError,
    InvalidParameterError,
    PermissionDeniedError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    WriteOutcomeUnknown,
)
from agent_brain.platforms.sandbox.platform_seed import TIKTOK_ADVERTISER_ID
from tests.platforms.tiktok.conftest import TODAY, TOKEN, emulator

pytestmark = pytest.mark.asyncio
WEEK = InsightsQuery(level="campaign", date_preset=None, since=TODAY - dt.timedelta(days=7),
                     until=TODAY - dt.timedelta(days=1))


async def test_account_campaigns_ad_groups_ads(tiktok):
    [account] = await tiktok.list_ad_accounts()
    assert (account.id, account.currency, account.timezone) == (TIKTOK_ADVERTISER_ID, "USD", "Europe/Moscow")
    campaigns = await tiktok.list_campaigns(account.id)
    assert {c.status for c in campaigns} == {"ACTIVE", "PAUSED"}
    assert len(campaigns) == 3
    implants = next(c for c in campaigns if "Имплантация" in c.name)
    assert implants.daily_budget_cents is None  # BUDGET_MODE_INFINITE: the ad groups carry budgets
    groups = await tiktok.list_ad_sets(campaign_id=implants.id)
    assert len(groups) == 2 and all(g.daily_budget_cents == 3000 and g.campaign_id == implants.id for g in groups)
    assert (await tiktok.get_ad_set(groups[0].id)).name == groups[0].name
    ads = await tiktok.list_ads(ad_set_id=groups[0].id)
    assert len(ads) == 2 and all(a.adset_id == groups[0].id for a in ads)
    assert len(await tiktok.list_ads(account_id=account.id)) == 8
    assert (await tiktok.get_campaign(implants.id)).name == implants.name


async def test_paging_follows_page_info(tiktok, monkeypatch):
    monkeypatch.setattr("agent_brain.platforms.tiktok.adapter.PAGE_SIZE", 3)
    before = tiktok.client.calls
    ads = await tiktok.list_ads(account_id=TIKTOK_ADVERTISER_ID)
    assert len(ads) == 8 and len({a.id for a in ads}) == 8
    assert tiktok.client.calls - before == 3  # pages 1..3 of page_info.total_page


async def test_report_levels_add_up_to_the_stored_days(tiktok, engine: AsyncEngine):
    campaigns = await tiktok.insights(TIKTOK_ADVERTISER_ID, WEEK)
    account = await tiktok.insights(TIKTOK_ADVERTISER_ID, WEEK.model_copy(update={"level": "account"}))
    ads = await tiktok.insights(TIKTOK_ADVERTISER_ID, WEEK.model_copy(update={"level": "ad"}))
    async with engine.connect() as conn:
        stored = (await conn.execute(select(func.sum(SandboxPlatformStats.spend_minor)).where(
            SandboxPlatformStats.platform == "tiktok", SandboxPlatformStats.date >= WEEK.since,
            SandboxPlatformStats.date <= WEEK.until))).scalar_one()
    assert stored > 0
    assert sum(r.spend_cents for r in campaigns) == sum(r.spend_cents for r in ads) == account[0].spend_cents == stored
    assert all(r.object_name for r in campaigns)
    assert sum(r.leads for r in campaigns) == account[0].leads > 0


async def test_daily_report_over_90_days_goes_in_30_day_windows(tiktok):
    query = InsightsQuery(level="account", date_preset=None, since=TODAY - dt.timedelta(days=90),
                          until=TODAY - dt.timedelta(days=1), time_increment=1)
    rows = await tiktok.insights(TIKTOK_ADVERTISER_ID, query)
    assert len({r.date_start for r in rows}) == len(rows) == 60  # 60 days of history, one row each
    whole = await tiktok.insights(TIKTOK_ADVERTISER_ID, query.model_copy(update={"time_increment": None}))
    assert sum(r.spend_cents for r in rows) == whole[0].spend_cents


async def test_report_filtered_to_one_campaign(tiktok):
    campaign = next(c for c in await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID) if c.status == "ACTIVE")
    rows = await tiktok.insights(TIKTOK_ADVERTISER_ID, WEEK.model_copy(update={"level": "adset",
                                                                              "object_id": campaign.id}))
    groups = {g.id for g in await tiktok.list_ad_sets(campaign_id=campaign.id)}
    assert rows and {r.object_id for r in rows} <= groups


async def test_pause_resume_campaign_ad_group_and_ad(tiktok):
    campaign = next(c for c in await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID) if c.status == "ACTIVE")
    result = await tiktok.set_status(campaign.id, "PAUSED")
    assert result.success and (await tiktok.get_campaign(campaign.id)).status == "PAUSED"
    await tiktok.set_status(campaign.id, "ACTIVE")
    assert (await tiktok.get_campaign(campaign.id)).status == "ACTIVE"
    group = (await tiktok.list_ad_sets(campaign_id=campaign.id))[0]
    await tiktok.set_status(group.id, "PAUSED")
    assert (await tiktok.get_ad_set(group.id)).status == "PAUSED"
    ad = (await tiktok.list_ads(ad_set_id=group.id))[0]
    await tiktok.set_status(ad.id, "PAUSED")
    assert next(a for a in await tiktok.list_ads(ad_set_id=group.id) if a.id == ad.id).status == "PAUSED"


async def test_budget_updates_in_minor_units_and_dry_run(tiktok):
    campaign = (await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID))[0]
    group = (await tiktok.list_ad_sets(campaign_id=campaign.id))[0]
    dry = await tiktok.update_daily_budget(group.id, 4550, validate_only=True)
    assert dry.dry_run and (await tiktok.get_ad_set(group.id)).daily_budget_cents == group.daily_budget_cents
    await tiktok.update_daily_budget(group.id, 4550)
    assert (await tiktok.get_ad_set(group.id)).daily_budget_cents == 4550
    with pytest.raises(InvalidParameterError, match="at least 20"):
        await tiktok.update_daily_budget(group.id, 1000)
    with pytest.raises(InvalidParameterError, match="no budget"):  # BUDGET_MODE_INFINITE campaign
        await tiktok.update_daily_budget(campaign.id, 9000)


async def test_error_codes_map_to_classes(tiktok, faults):
    for kind, error in (("token_expired", TokenExpiredError), ("permission_denied", PermissionDeniedError),
                        ("invalid_parameter", InvalidParameterError)):
        faults.inject(kind)
        with pytest.raises(error) as caught:
            await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
        assert caught.value.http_status == 200 and caught.value.fbtrace_id  # request_id kept
        assert "TikTok" in caught.value.user_message("ru") and "Facebook" not in caught.value.user_message("en")


async def test_reads_retry_transient_and_throttled_codes(tiktok, faults, sleeps):
    faults.inject("server_error", times=2)
    faults.inject("rate_limit")
    campaigns = await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
    assert len(campaigns) == 3 and len(sleeps.calls) == 3
    faults.inject("server_error", times=4)
    with pytest.raises(TransientError):
        await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
    faults.inject("rate_limit", times=4)
    with pytest.raises(ThrottledError):
        await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)


async def test_unknown_write_reconciled_by_read_back(tiktok, faults):
    campaign = next(c for c in await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID) if c.status == "ACTIVE")
    faults.inject("server_error", method="POST", times=1)
    result = await tiktok.set_status(campaign.id, "PAUSED")
    # The first POST failed before applying; the read-back found it absent, one re-send applied it.
    assert result.success and emulator(tiktok).writes_applied == 1
    assert (await tiktok.get_campaign(campaign.id)).status == "PAUSED"


async def test_write_outcome_unknown_without_verify(tiktok, faults):
    faults.inject("server_error", method="POST")
    with pytest.raises(WriteOutcomeUnknown):
        await tiktok.client.post("campaign/status/update/", {"advertiser_id": TIKTOK_ADVERTISER_ID,
                                                             "campaign_ids": ["1"], "operation_status": "DISABLE"})


async def test_breaker_opens_on_tiktok_failures_only(tiktok, faults):
    for _ in range(5):
        faults.inject("invalid_parameter")
        with pytest.raises(InvalidParameterError):
            await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
    assert tiktok.client.breaker.state == "closed"  # a caller's mistake is not an outage
    faults.inject("server_error", times=20)
    with pytest.raises(TransientError):  # 4 attempts, 4 platform failures
        await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
    with pytest.raises(CircuitOpenError) as caught:  # the 5th opens the circuit; the retry is refused
        await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
    assert "TikTok" in caught.value.user_message("en")


async def test_token_never_logged_or_shown(tiktok, faults, caplog):
    caplog.set_level(logging.DEBUG)
    faults.inject("server_error")
    await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
    assert TOKEN not in caplog.text and TOKEN not in repr(tiktok.client)


async def test_wrong_token_is_a_token_error(engine):
    import httpx

    from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker, BreakerConfig
    from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client
    from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app

    app = create_tiktok_sandbox_app(engine, valid_tokens={TOKEN})
    async with tiktok_client("wrong-token-123", transport=httpx.ASGITransport(app=app),
                             breaker=AsyncCircuitBreaker("tiktok", BreakerConfig())) as client:
        with pytest.raises(TokenExpiredError) as caught:
            await TikTokAdapter(client, [TIKTOK_ADVERTISER_ID]).list_ad_accounts()
    assert caught.value.code == 40105

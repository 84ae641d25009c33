"""Every GoogleAdsAdapter operation against the Google Ads sandbox, and Google's error classes and retries."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import SandboxPlatformStats
from agent_brain.platforms.base import InsightsQuery
from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client
from agent_brain.platforms.google.sandbox import create_google_sandbox_app
from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker, BreakerConfig
from agent_brain.platforms.graph.errors import (
    CircuitOpenError,
    InvalidParameterError,
    PermissionDeniedError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
)
from agent_brain.platforms.sandbox.platform_seed import GOOGLE_CUSTOMER_ID
from tests.platforms.google.conftest import DEV_TOKEN, TODAY, TOKEN, emulator

pytestmark = pytest.mark.asyncio
CID = GOOGLE_CUSTOMER_ID
WEEK = InsightsQuery(level="campaign", date_preset=None, since=TODAY - dt.timedelta(days=7),
                     until=TODAY - dt.timedelta(days=1))


async def test_customer_campaigns_ad_groups_ads(google):
    [account] = await google.list_ad_accounts()
    assert (account.id, account.currency, account.timezone) == (CID, "USD", "Europe/Moscow")
    campaigns = await google.list_campaigns(CID)
    assert len(campaigns) == 3 and {c.status for c in campaigns} == {"ACTIVE", "PAUSED"}
    implants = next(c for c in campaigns if "Имплантация" in c.name)
    assert implants.daily_budget_cents == 4000 and implants.objective == "SEARCH"  # 40,000,000 micros
    groups = await google.list_ad_sets(campaign_id=implants.id)
    assert len(groups) == 2 and all(g.campaign_id == implants.id and g.daily_budget_cents is None for g in groups)
    assert (await google.get_ad_set(groups[0].id)).name == groups[0].name
    ads = await google.list_ads(ad_set_id=groups[0].id)
    assert len(ads) == 1 and ads[0].adset_id == groups[0].id
    assert len(await google.list_ads(account_id=CID)) == 4
    assert (await google.get_campaign(implants.id)).name == implants.name


async def test_gaql_rows_are_google_shaped(google):
    [batch] = await google.client.read_post(f"customers/{CID}/googleAds:searchStream", {"query": (
        "SELECT campaign.id, campaign.name, metrics.cost_micros, segments.date FROM campaign "
        f"WHERE segments.date BETWEEN '{WEEK.since}' AND '{WEEK.until}' AND campaign.status = 'ENABLED' "
        "ORDER BY segments.date DESC LIMIT 3")})
    assert batch["fieldMask"] == "campaign.id,campaign.name,metrics.costMicros,segments.date"
    assert len(batch["results"]) == 3 and batch["requestId"]
    row = batch["results"][0]
    assert row["campaign"]["resourceName"] == f"customers/{CID}/campaigns/{row['campaign']['id']}"
    assert isinstance(row["metrics"]["costMicros"], str) and row["segments"]["date"] == str(WEEK.until)


async def test_bad_gaql_is_an_invalid_argument(google):
    with pytest.raises(InvalidParameterError) as caught:
        await google.search(CID, "SELECT campaign.nope FROM campaign")
    assert caught.value.http_status == 400 and caught.value.type == "queryError.UNRECOGNIZED_FIELD"


async def test_metrics_levels_add_up_to_the_stored_days(google, engine: AsyncEngine):
    campaigns = await google.insights(CID, WEEK)
    account = await google.insights(CID, WEEK.model_copy(update={"level": "account"}))
    groups = await google.insights(CID, WEEK.model_copy(update={"level": "adset"}))
    ads = await google.insights(CID, WEEK.model_copy(update={"level": "ad"}))
    daily = await google.insights(CID, WEEK.model_copy(update={"level": "account", "time_increment": 1}))
    async with engine.connect() as conn:
        stored = (await conn.execute(select(func.sum(SandboxPlatformStats.spend_minor)).where(
            SandboxPlatformStats.platform == "google", SandboxPlatformStats.date >= WEEK.since,
            SandboxPlatformStats.date <= WEEK.until))).scalar_one()
    assert stored > 0
    totals = [sum(r.spend_cents for r in rows) for rows in (campaigns, account, groups, ads, daily)]
    assert totals == [stored] * 5
    assert len(daily) == 7 and all(r.date_start == r.date_stop for r in daily)
    assert all(r.object_name for r in campaigns) and sum(r.leads for r in campaigns) > 0


async def test_insights_for_one_campaign(google):
    campaign = next(c for c in await google.list_campaigns(CID) if c.status == "ACTIVE")
    rows = await google.insights(CID, WEEK.model_copy(update={"level": "adset", "object_id": campaign.id}))
    assert rows and {r.object_id for r in rows} <= {g.id for g in await google.list_ad_sets(campaign_id=campaign.id)}


async def test_status_mutations_campaign_ad_group_ad(google):
    campaign = next(c for c in await google.list_campaigns(CID) if c.status == "ACTIVE")
    await google.set_status(campaign.id, "PAUSED")
    assert (await google.get_campaign(campaign.id)).status == "PAUSED"
    await google.set_status(campaign.id, "ACTIVE")
    assert (await google.get_campaign(campaign.id)).status == "ACTIVE"
    group = (await google.list_ad_sets(campaign_id=campaign.id))[0]
    await google.set_status(group.id, "PAUSED")
    assert (await google.get_ad_set(group.id)).status == "PAUSED"
    ad = (await google.list_ads(ad_set_id=group.id))[0]
    await google.set_status(ad.id, "PAUSED")
    assert (await google.list_ads(ad_set_id=group.id))[0].status == "PAUSED"
    assert emulator(google).writes_applied == 4


async def test_budget_in_micros_validate_only_and_partial_failure(google):
    campaign = next(c for c in await google.list_campaigns(CID) if "Виниры" in c.name)
    dry = await google.update_daily_budget(campaign.id, 3333, validate_only=True)
    assert dry.dry_run and (await google.get_campaign(campaign.id)).daily_budget_cents == 2500
    await google.update_daily_budget(campaign.id, 3333)
    assert (await google.get_campaign(campaign.id)).daily_budget_cents == 3333
    with pytest.raises(InvalidParameterError) as caught:  # below 1 unit: the operation fails, the call is a 200
        await google.update_daily_budget(campaign.id, 50)
    assert caught.value.type == "rangeError.TOO_LOW" and "Google Ads" in caught.value.user_message("en")
    group = (await google.list_ad_sets(campaign_id=campaign.id))[0]
    with pytest.raises(InvalidParameterError, match="only a campaign"):
        await google.update_daily_budget(group.id, 5000)


async def test_partial_failure_reports_the_failed_operation_only(google):
    campaign = next(c for c in await google.list_campaigns(CID) if c.status == "ACTIVE")
    budget_resource = google._budget_of[campaign.id]
    response = await google.client.post(f"customers/{CID}/campaignBudgets:mutate", {"partialFailure": True, "operations": [
        {"update": {"resourceName": budget_resource, "amountMicros": "45000000"}, "updateMask": "amount_micros"},
        {"update": {"resourceName": f"customers/{CID}/campaignBudgets/1", "amountMicros": "1"},
         "updateMask": "amount_micros"}]})
    assert response["results"][0]["resourceName"] == budget_resource and response["results"][1] == {}
    path = response["partialFailureError"]["details"][0]["errors"][0]["location"]["fieldPathElements"]
    assert path == [{"fieldName": "operations", "index": 1}]
    assert (await google.get_campaign(campaign.id)).daily_budget_cents == 4500


async def test_error_statuses_map_to_classes(google, faults):
    for kind, error in (("token_expired", TokenExpiredError), ("permission_denied", PermissionDeniedError),
                        ("invalid_parameter", InvalidParameterError)):
        faults.inject(kind)
        with pytest.raises(error) as caught:
            await google.list_campaigns(CID)
        assert caught.value.fbtrace_id and "Google Ads" in caught.value.user_message("en")


async def test_reads_retry_5xx_and_quota_with_retry_delay(google, faults, sleeps):
    faults.inject("server_error")
    faults.inject("rate_limit", retry_after_seconds=7)
    assert len(await google.list_campaigns(CID)) == 3
    assert len(sleeps.calls) == 2 and sleeps.calls[1] == 7  # Retry-After honoured
    faults.inject("rate_limit", times=4)
    with pytest.raises(ThrottledError):
        await google.list_campaigns(CID)


async def test_write_reconciled_by_read_back_after_5xx(google, faults):
    campaign = next(c for c in await google.list_campaigns(CID) if c.status == "ACTIVE")
    faults.inject("server_error", method="POST")  # the next POST is the mutate (the campaign is located)
    await google.set_status(campaign.id, "PAUSED")  # outcome unknown → read back: absent → one re-send
    assert (await google.get_campaign(campaign.id)).status == "PAUSED"
    assert emulator(google).writes_applied == 1


async def test_breaker_is_googles_own(google, faults):
    faults.inject("server_error", times=20)
    with pytest.raises(TransientError):
        await google.list_campaigns(CID)
    with pytest.raises(CircuitOpenError) as caught:
        await google.list_campaigns(CID)
    assert caught.value.platform == "google" and "Google Ads" in caught.value.user_message("ru")


async def test_missing_developer_token_and_bad_oauth_token(engine):
    app = create_google_sandbox_app(engine, valid_tokens={TOKEN}, developer_tokens={DEV_TOKEN})
    async with google_client("expired-token-xyz", DEV_TOKEN, transport=httpx.ASGITransport(app=app),
                             breaker=AsyncCircuitBreaker("google", BreakerConfig())) as client:
        with pytest.raises(TokenExpiredError):
            await GoogleAdsAdapter(client, [CID]).list_ad_accounts()
    async with google_client(TOKEN, "not-approved-dev-token", transport=httpx.ASGITransport(app=app),
                             breaker=AsyncCircuitBreaker("google", BreakerConfig())) as client:
        with pytest.raises(PermissionDeniedError) as caught:
            await GoogleAdsAdapter(client, [CID]).list_ad_accounts()
    assert caught.value.type == "authorizationError.DEVELOPER_TOKEN_PROHIBITED"


async def test_tokens_never_logged(google, faults, caplog):
    caplog.set_level(logging.DEBUG)
    faults.inject("server_error")
    await google.list_campaigns(CID)
    assert TOKEN not in caplog.text and DEV_TOKEN not in caplog.text and TOKEN not in repr(google.client)

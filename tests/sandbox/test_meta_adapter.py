"""MetaAdapter against the Graph sandbox: every operation, through the real GraphClient."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sandbox_account import ACCOUNT, Sandbox

from agent_brain.platforms.base import InsightsQuery, Targeting
from agent_brain.platforms.graph.errors import (
    BudgetChangeRateLimited,
    InvalidParameterError,
    TokenExpiredError,
    TransientError,
)
from agent_brain.platforms.meta.adapter import MetaAdapter


async def test_accounts(meta: MetaAdapter) -> None:
    (account,) = await meta.list_ad_accounts()
    assert (account.id, account.currency) == (ACCOUNT, "USD")
    assert (await meta.get_ad_account(ACCOUNT)).timezone == "Europe/Moscow"
    assert await meta.minimum_daily_budget_cents(ACCOUNT) == 100


async def test_campaigns_ad_sets_ads(meta: MetaAdapter) -> None:
    campaigns = await meta.list_campaigns(ACCOUNT)
    assert {c.name for c in campaigns} == {"Имплантация Москва", "Виниры СПб"}
    vin = await meta.get_campaign("1002")
    assert vin.daily_budget_cents == 5000 and vin.objective == "MESSAGES"
    sets = await meta.list_ad_sets(campaign_id="1001")
    moscow = next(s for s in sets if s.name == "Москва 25-45")
    assert moscow.daily_budget_cents == 3000
    assert moscow.targeting is not None and (moscow.targeting.age_min, moscow.targeting.age_max) == (25, 45)
    ads = await meta.list_ads(ad_set_id="2001")
    assert [(a.id, a.creative_id) for a in ads] == [("3001", "5001")]
    assert len(await meta.list_ads(account_id=ACCOUNT)) == 4


async def test_pause_resume_and_budget(meta: MetaAdapter, sandbox: Sandbox) -> None:
    result = await meta.set_status("1001", "PAUSED")
    assert result.applied and result.changes == {"status": "PAUSED"}
    assert (await meta.get_campaign("1001")).status == "PAUSED"
    assert (await meta.list_ads(ad_set_id="2001"))[0].effective_status == "CAMPAIGN_PAUSED"
    await meta.set_status("1001", "ACTIVE")
    await meta.update_daily_budget("2001", 4200)
    assert (await meta.get_ad_set("2001")).daily_budget_cents == 4200
    assert sandbox.emulator.writes_applied == 3


async def test_validate_only_is_a_dry_run(meta: MetaAdapter, sandbox: Sandbox) -> None:
    result = await meta.set_status("1001", "PAUSED", validate_only=True)
    assert result.dry_run and not result.applied
    await meta.update_daily_budget("2001", 9900, validate_only=True)
    assert (await meta.get_campaign("1001")).status == "ACTIVE"
    assert (await meta.get_ad_set("2001")).daily_budget_cents == 3000
    with pytest.raises(InvalidParameterError):
        await meta.update_daily_budget("2001", 10, validate_only=True)  # below the floor: validation fails
    assert sandbox.emulator.writes_applied == 0


async def test_fifth_budget_change_within_an_hour_is_refused_before_sending(
    meta: MetaAdapter, sandbox: Sandbox
) -> None:
    for cents in (3100, 3200, 3300, 3400):
        await meta.update_daily_budget("2001", cents)
    with pytest.raises(BudgetChangeRateLimited) as info:
        await meta.update_daily_budget("2001", 3500)
    assert info.value.user_message("en")
    assert sandbox.emulator.writes_applied == 4
    assert (await meta.get_ad_set("2001")).daily_budget_cents == 3400


async def test_refused_budget_change_gives_its_pacing_slot_back(meta: MetaAdapter) -> None:
    with pytest.raises(InvalidParameterError):
        await meta.update_daily_budget("2003", 9000)  # CBO campaign: refused by Graph, nothing changed
    for cents in (3100, 3200, 3300, 3400):
        await meta.update_daily_budget("2001", cents)


async def test_create_campaign_ad_set_creative_ad_and_preview(meta: MetaAdapter) -> None:
    campaign = await meta.create_campaign(ACCOUNT, name="Брекеты Алматы", objective="OUTCOME_LEADS")
    targeting = Targeting(countries=["KZ"], age_min=25, age_max=45, genders=[2])
    reach = await meta.validate_targeting(ACCOUNT, targeting)
    assert reach["users_upper_bound"] > reach["users_lower_bound"] > 0
    adset = await meta.create_ad_set(ACCOUNT, campaign_id=campaign.object_id, name="Алматы 25-45",
                                     targeting=targeting, daily_budget_cents=2500)
    image_hash = await meta.upload_image(ACCOUNT, b"jpeg bytes", name="smile.jpg")
    assert image_hash == hashlib.md5(b"jpeg bytes").hexdigest()
    creative = await meta.create_creative(ACCOUNT, name="Улыбка", page_id="1", message="Ровные зубы за год",
                                          link="https://example.com", image_hash=image_hash)
    ad = await meta.create_ad(ACCOUNT, ad_set_id=adset.object_id, creative_id=creative.object_id, name="Ad")
    assert "<iframe" in await meta.preview(ad.object_id)
    created = await meta.get_ad_set(adset.object_id)
    assert created.targeting is not None and created.targeting.genders == [2]
    assert any(c.id == creative.object_id for c in await meta.list_creatives(ACCOUNT))


async def test_invalid_targeting_is_refused(meta: MetaAdapter) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await meta.validate_targeting(ACCOUNT, Targeting(age_min=30))
    assert info.value.code == 100


async def test_duplicate_archive_and_bulk_update(meta: MetaAdapter) -> None:
    copy = await meta.duplicate_campaign("1001")
    assert (await meta.get_campaign(copy.object_id)).name == "Имплантация Москва - Copy"
    await meta.archive(copy.object_id)
    assert (await meta.get_campaign(copy.object_id)).status == "ARCHIVED"
    results = await meta.bulk_update({"3001": {"status": "PAUSED"}, "3003": {"status": "PAUSED"},
                                      "404": {"status": "PAUSED"}})
    assert not isinstance(results["3001"], Exception) and not isinstance(results["3003"], Exception)
    assert isinstance(results["404"], InvalidParameterError)
    assert {a.status for a in await meta.list_ads(ad_set_id="2003") if a.id == "3003"} == {"PAUSED"}


async def test_insights_levels_presets_ranges_breakdowns(meta: MetaAdapter) -> None:
    (account,) = await meta.insights(ACCOUNT, InsightsQuery(level="account", date_preset="last_7d"))
    assert account.spend_cents == sum(b * 1000 + i * 10 for b in (10, 5, 7) for i in range(3, 10))
    # leads: messaging (base//5 + 1) + pixel 1 + custom (odd days); link_click is not a lead
    assert account.leads == sum((b // 5 + 1) + 1 + (i % 2) for b in (10, 5, 7) for i in range(3, 10))
    assert account.cpl_cents == round(account.spend_cents / account.leads)
    daily = await meta.insights(ACCOUNT, InsightsQuery(level="campaign", date_preset="last_7d", time_increment=1))
    assert len(daily) == 2 * 7
    assert sum(i.spend_cents for i in daily) == account.spend_cents
    ranged = await meta.insights(ACCOUNT, InsightsQuery(level="ad", object_id="2001", since=dt.date(2026, 3, 5),
                                                        until=dt.date(2026, 3, 6)))
    assert [(i.object_id, i.video_p25) for i in ranged] == [("3001", 2000)]
    by_age = await meta.insights(ACCOUNT, InsightsQuery(level="account", breakdowns=["age"]))
    assert sum(i.impressions for i in by_age) == account.impressions
    assert {i.breakdowns["age"] for i in by_age} >= {"25-34", "35-44"}


async def test_async_report_job(meta: MetaAdapter) -> None:
    rows = await meta.insights_async(ACCOUNT, InsightsQuery(level="campaign"), poll_seconds=0)
    assert {r.object_id for r in rows} == {"1001", "1002"}


async def test_campaign_overview_is_one_batched_http_call(meta: MetaAdapter, sandbox: Sandbox) -> None:
    calls: list[str] = []
    original = sandbox.emulator.handle

    async def counting(method, path, params, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(f"{method} {path}")
        return await original(method, path, params, **kwargs)

    sandbox.emulator.handle = counting  # type: ignore[method-assign]
    overview = await meta.campaign_overview("1001")
    # One HTTP call (the batch) whose six operations the emulator answers one by one.
    assert calls[0].startswith("POST") and calls[0].strip("/").endswith("v26.0")
    assert len(calls) == 1 + 6 and all(c.startswith("GET") for c in calls[1:])
    assert {s.name for s in overview["ad_sets"]} == {"Москва 25-45", "Москва 45+"}
    assert {i.object_id for i in overview["insights"]["ad"]} == {"3001", "3002"}


async def test_audiences_hash_pii_and_lookalikes(meta: MetaAdapter) -> None:
    audience = await meta.create_custom_audience(ACCOUNT, name="Пациенты")
    report = await meta.add_audience_users(audience.object_id, emails=[" Anna@Example.COM ", "not-an-email"],
                                           phones=["8 (900) 123-45-67", "+7 700 123 45 67"])
    assert report == {"sent": 3, "received": 3, "invalid": 1}
    lal = await meta.create_lookalike(ACCOUNT, origin_audience_id=audience.object_id, country="KZ", ratio=0.02)
    audiences = {a.id: a for a in await meta.list_custom_audiences(ACCOUNT)}
    assert audiences[audience.object_id].approximate_count == 3
    assert audiences[lal.object_id].subtype == "LOOKALIKE"
    with pytest.raises(ValueError):
        await meta.create_lookalike(ACCOUNT, origin_audience_id=audience.object_id, country="KZ", ratio=0.5)


async def test_pixels(meta: MetaAdapter) -> None:
    (pixel,) = await meta.list_pixels(ACCOUNT)
    assert (await meta.pixel_stats(pixel.id))["Lead"] == 37


async def test_platform_errors_are_typed(meta: MetaAdapter, sandbox: Sandbox) -> None:
    sandbox.faults.inject("token_expired")
    with pytest.raises(TokenExpiredError) as info:
        await meta.get_campaign("1001")
    assert "Facebook" in info.value.user_message("en") or "token" in info.value.user_message("en").lower()
    sandbox.faults.inject("server_error", times=10)
    with pytest.raises(TransientError):
        await meta.get_campaign("1001")


async def test_transient_read_failures_are_retried(meta: MetaAdapter, sandbox: Sandbox) -> None:
    sandbox.faults.inject("server_error", times=2)
    assert (await meta.get_campaign("1001")).name == "Имплантация Москва"

"""Structure generation: a campaign with ad sets and ads planned, checked by the platform, created exactly as
planned through the write path (PAUSED), copied to another city, and undone by archiving."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import text
from tool_calls import make_callers

from agent_brain.agents.ads import AGENT
from agent_brain.tools.context import ToolContext

call, ok = make_callers(AGENT.tools)


async def test_sandbox_targeting_search_resolves_cities_in_both_languages(tool_ctx: ToolContext) -> None:
    ru = await tool_ctx.meta.search_locations("Казань")
    en = await tool_ctx.meta.search_locations("kazan")
    assert [(h["key"], h["name"], h["type"]) for h in ru] == [("2020946", "Казань", "city")]
    assert [(h["key"], h["name"], h["country_code"]) for h in en] == [("2020946", "Kazan", "RU")]
    assert await tool_ctx.meta.search_locations("Atlantis") == []
    interests = await tool_ctx.meta.search_interests("Cosmetic")
    assert interests[0]["name"] == "Cosmetic dentistry"


async def test_plan_then_create_a_structure_for_veneers_in_kazan(tool_ctx: ToolContext) -> None:
    writes_before = (await tool_ctx.meta.list_campaigns(tool_ctx.require_account()))
    plan = await ok(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казани"], dailyBudgetCents=5000,
                    ageMin=25, ageMax=45, gender="female", creatives=["Виниры: до и после", "Голливудская улыбка"])
    # Russian case endings are the platform's problem to search, not ours to guess: «Казани» finds Казань.
    spec = plan["structure"]
    assert spec["campaignName"] == "Виниры Казань"
    assert spec["objective"] == "OUTCOME_ENGAGEMENT"  # the direction takes leads in WhatsApp
    [ad_set] = spec["adSets"]
    assert (ad_set["name"], ad_set["ageMin"], ad_set["ageMax"], ad_set["genders"], ad_set["dailyBudgetCents"]) == \
        ("Казань 25-45 женщины", 25, 45, [2], 5000)
    assert ad_set["cities"] == [{"key": "2020946", "name": "Казань"}]
    assert [a["name"] for a in ad_set["ads"]] == ["Виниры: до и после", "Голливудская улыбка в СПб"]
    assert plan["validation"] == "passed" and plan["reach"][0]["users_upper_bound"] > 0
    [step] = plan["proposed_steps"]
    assert step["action"] == "createCampaignStructure" and "PAUSED" in step["description"]
    assert "• Адсет «Казань 25-45 женщины»: Казань, 25-45, женщины; $50.00 в день; охват " in step["description"]
    # Planning wrote nothing.
    assert len(await tool_ctx.meta.list_campaigns(tool_ctx.require_account())) == len(writes_before)

    created = await ok(tool_ctx, "createCampaignStructure", **step["params"])
    assert created["verification"]["verified"] is True
    campaign = await tool_ctx.meta.get_campaign(created["campaign_id"])
    assert (campaign.name, campaign.status, campaign.objective) == ("Виниры Казань", "PAUSED", "OUTCOME_ENGAGEMENT")
    [made] = await tool_ctx.meta.list_ad_sets(campaign_id=campaign.id)
    assert made.targeting is not None and made.targeting.genders == [2] and made.daily_budget_cents == 5000
    assert made.targeting.cities[0]["key"] == "2020946"
    assert len(await tool_ctx.meta.list_ads(ad_set_id=made.id)) == 2
    async with tool_ctx.engine.connect() as conn:
        row = (await conn.execute(text("SELECT tool, status, target_type, target_name FROM ai_actions "
                                       "WHERE tool = 'createCampaignStructure'"))).one()
    assert tuple(row) == ("createCampaignStructure", "verified", "campaign_structure", "Виниры Казань")


async def test_missing_essentials_are_asked_for_not_invented(tool_ctx: ToolContext) -> None:
    out = await call(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"])
    assert not out.success and out.error_code == "missing"
    assert "дневной бюджет" in (out.error or "") and "креативы" in (out.error or "")
    unknown = await call(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Атлантида"],
                         dailyBudgetCents=5000, creatives=["Виниры: до и после"])
    assert not unknown.success and unknown.error_code == "no_geo"


async def test_a_lifetime_budget_needs_an_end_and_a_daily_share_above_the_floor(tool_ctx: ToolContext) -> None:
    no_end = await call(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"],
                        lifetimeBudgetCents=150000, creatives=["Виниры: до и после"])
    assert not no_end.success and no_end.error_code == "missing" and "дату окончания" in (no_end.error or "")
    end = tool_ctx.today + dt.timedelta(days=99)  # 100 days: $10 for the whole run is 10 cents a day
    thin = await call(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"],
                      lifetimeBudgetCents=1000, endDate=end.isoformat(), creatives=["Виниры: до и после"])
    assert not thin.success and thin.error_code == "budget_too_low"
    past = await call(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"],
                      lifetimeBudgetCents=150000, endDate=(tool_ctx.today - dt.timedelta(days=1)).isoformat(),
                      creatives=["Виниры: до и после"])
    assert not past.success and past.error_code == "bad_dates"


async def test_high_demand_periods_need_a_daily_budget_and_must_not_overlap(tool_ctx: ToolContext) -> None:
    day = tool_ctx.today + dt.timedelta(days=10)
    peak = {"start": day.isoformat(), "end": (day + dt.timedelta(days=3)).isoformat(), "extraDailyBudgetCents": 2000}
    lifetime = await call(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"],
                          lifetimeBudgetCents=150000, endDate=(day + dt.timedelta(days=30)).isoformat(),
                          highDemandPeriods=[peak], creatives=["Виниры: до и после"])
    assert not lifetime.success and lifetime.error_code == "schedule_needs_daily"
    overlapping = {**peak, "start": (day + dt.timedelta(days=2)).isoformat(),
                   "end": (day + dt.timedelta(days=5)).isoformat()}
    clash = await call(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"], dailyBudgetCents=5000,
                       highDemandPeriods=[peak, overlapping], creatives=["Виниры: до и после"])
    assert not clash.success and clash.error_code == "bad_dates"


async def test_below_the_platform_floor_is_refused_before_any_plan(tool_ctx: ToolContext) -> None:
    out = await call(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"], dailyBudgetCents=50,
                     creatives=["Виниры: до и после"])
    assert not out.success and out.error_code == "budget_too_low"


async def test_copy_a_campaign_to_another_city(tool_ctx: ToolContext) -> None:
    account = tool_ctx.require_account()
    source = next(c for c in await tool_ctx.meta.list_campaigns(account) if c.name == "Виниры СПб")
    [src_set] = await tool_ctx.meta.list_ad_sets(campaign_id=source.id)
    src_creatives = sorted(a.creative_id for a in await tool_ctx.meta.list_ads(ad_set_id=src_set.id))
    plan = await ok(tool_ctx, "planCampaignCopy", campaign="Виниры СПб", city="Казань")
    spec = plan["structure"]
    assert spec["campaignName"] == "Виниры Казань"
    [ad_set] = spec["adSets"]
    assert ad_set["name"] == "Казань 22-40 женщины"
    assert sorted(a["creativeId"] for a in ad_set["ads"]) == src_creatives
    assert ad_set["dailyBudgetCents"] == src_set.daily_budget_cents
    created = await ok(tool_ctx, "createCampaignStructure", **plan["proposed_steps"][0]["params"])
    [made] = await tool_ctx.meta.list_ad_sets(campaign_id=created["campaign_id"])
    assert made.targeting is not None and made.targeting.age_min == 22 and made.targeting.genders == [2]


async def test_a_dry_run_validates_and_creates_nothing(tool_ctx: ToolContext) -> None:
    plan = await ok(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"], dailyBudgetCents=5000,
                    creatives=["Виниры: до и после"])
    account = tool_ctx.require_account()
    before = len(await tool_ctx.meta.list_campaigns(account))
    dry = await ok(dataclasses.replace(tool_ctx, dry_run=True), "createCampaignStructure",
                   **plan["proposed_steps"][0]["params"])
    assert dry["dry_run"] is True
    assert len(await tool_ctx.meta.list_campaigns(account)) == before


async def test_the_users_naming_convention_from_the_business_specs(tool_ctx: ToolContext) -> None:
    from agent_brain.memory.specs import BusinessSpecsStore

    await BusinessSpecsStore(tool_ctx.engine).update(tool_ctx.user_id, tool_ctx.ad_account_id, tracking={"naming": {
        "campaign": "{direction} | {city} | {date}", "adset": "{city} / {age_min}-{age_max}", "ad": "{unknown}"}})
    plan = await ok(tool_ctx, "planCampaignStructure", direction="Виниры", cities=["Казань"], dailyBudgetCents=5000,
                    ageMin=25, ageMax=45, creatives=["Виниры: до и после"])
    spec = plan["structure"]
    assert spec["campaignName"] == f"Виниры | Казань | {tool_ctx.today}"
    assert spec["adSets"][0]["name"] == "Казань / 25-45"
    assert spec["adSets"][0]["ads"][0]["name"] == "Виниры: до и после"  # an unknown placeholder keeps the default

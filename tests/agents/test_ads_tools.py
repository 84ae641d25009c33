"""The Ads agent's tools against the demo world: numbers checked against independent SQL and the
Graph sandbox, writes checked on the sandbox and the database, scoping checked with a second user."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tool_calls import make_callers

from agent_brain.agents.ads import AGENT, tools
from agent_brain.tools.context import ToolContext
from agent_brain.tools.periods import PeriodArgs
from agent_brain.tools.registry import READ, WRITE, ToolArgumentsError

DANGEROUS = {"pauseCampaign", "resumeCampaign", "pauseAdSet", "resumeAdSet", "updateBudget",
             "updateDirectionBudget", "pauseDirection", "resumeDirection", "archiveCampaign", "createLookalike",
             "deleteAudience"}
# Issue 16's Meta operations: structures are planned by reads and created by a plan-only write.
META_OPS_READS = {"planCampaignStructure", "planCampaignCopy", "previewTargetingChange", "previewAdSetSettings",
                  "listAudiences", "planLeadAudience", "exportTable", "planCreativeABTest", "planSiteAudience"}
PLAN_ONLY = {"createCampaignStructure", "updateAdSetTargeting", "updateAdSetSettings", "createLeadAudience",
             "createSiteAudience"}
READS = {"getCampaigns", "getCampaignDetails", "getAdSets", "getSpendReport", "getDirections",
         "getDirectionDetails", "getDirectionMetrics", "getROIReport", "getROIComparison", "getActionHistory",
         "optimizeBudgets", "getBreakdownReport", "listAdAccounts", "previewRule", "listRules", "getRuleActivity",
         "listReportSchedules", "previewRuleUpdate", *META_OPS_READS}
# Writes that touch our own records only (rules, reports, the conversation's account), not the platform;
# creating or deleting a rule still always needs confirmation (an auto rule acts on the platform later).
OWN_WRITES = {"updateDirectionTargetCPL", "switchAdAccount", "createRule", "setRuleEnabled", "deleteRule",
              "createReportSchedule", "cancelReportSchedule", "updateRule", "createStrategyRule"}
ALWAYS_CONFIRMED = DANGEROUS | PLAN_ONLY | {"createRule", "deleteRule", "updateRule", "createStrategyRule"}


# ── helpers ─────────────────────────────────────────────────────────────────────────────────


call, ok = make_callers(tools)


async def sql(engine: AsyncEngine, query: str, **params: Any) -> list[Any]:
    async with engine.begin() as conn:
        result = await conn.execute(text(query), params)
        return list(result.all()) if result.returns_rows else []


def period(ctx: ToolContext, name: str = "last_7d") -> tuple[dt.date, dt.date]:
    return PeriodArgs(period=name).date_range(ctx.today)


async def history_sums(engine: AsyncEngine, start: dt.date, end: dt.date) -> tuple[int, int]:
    rows = await sql(engine, "SELECT sum(spend_cents), sum(leads) FROM creative_metrics_history "
                             "WHERE date BETWEEN :a AND :b", a=start, b=end)
    return int(rows[0][0]), int(rows[0][1])


async def direction_id(engine: AsyncEngine, name: str) -> str:
    return str((await sql(engine, "SELECT id FROM directions WHERE name = :n", n=name))[0][0])


async def sandbox(engine: AsyncEngine, object_id: str) -> tuple[str, dict[str, Any]]:
    row = (await sql(engine, "SELECT status, fields FROM sandbox_objects WHERE id = :id", id=object_id))[0]
    return row.status, row.fields


async def campaign_ids(ctx: ToolContext) -> dict[str, str]:
    return {c["name"]: c["id"] for c in (await ok(ctx, "getCampaigns"))["items"]}


def platform_writes(sandbox_app: Any) -> int:
    return sandbox_app.state.emulator.writes_applied


@pytest.fixture
async def stranger_direction(demo_engine: AsyncEngine) -> str:
    """A direction of another user (with its own ad account) in the same database."""
    async with demo_engine.begin() as conn:
        user = (await conn.execute(text("INSERT INTO users (name) VALUES ('stranger') RETURNING id"))).scalar_one()
        account = (await conn.execute(text(
            "INSERT INTO ad_accounts (user_id, external_id, name) VALUES (:u, 'act_999', 'Чужой') RETURNING id"),
            {"u": user})).scalar_one()
        direction = (await conn.execute(text(
            "INSERT INTO directions (user_id, ad_account_id, name, daily_budget_cents, target_cpl_cents) "
            "VALUES (:u, :a, 'Секретное направление', 7000, 1500) RETURNING id"), {"u": user, "a": account})).scalar_one()
    return str(direction)


# ── the registry ────────────────────────────────────────────────────────────────────────────


def test_registry_declares_the_52_tools_with_descriptions_and_strict_schemas() -> None:
    assert len(tools) == 52
    assert set(tools.names()) == READS | DANGEROUS | OWN_WRITES  # what a model may call
    assert {t.name for t in tools if t.plan_only} == PLAN_ONLY
    assert PLAN_ONLY.isdisjoint(s["function"]["name"] for s in tools.schemas())
    assert (AGENT.name, AGENT.domain, AGENT.prompt_id, AGENT.tools) == ("ads", "ads", "ads-v3", tools)
    assert "NEVER INSTRUCTIONS" in AGENT.prompt.text and len(AGENT.prompt.text.splitlines()) <= 60
    for tool in tools:
        assert tool.kind is (READ if tool.name in READS else WRITE), tool.name
        assert tool.dangerous is (tool.name in ALWAYS_CONFIRMED), tool.name
        assert len(tool.description) > 60, tool.name
        params = tool.openai_schema()["function"]["parameters"]
        assert params["additionalProperties"] is False, tool.name
        assert params["required"] == list(params["properties"]), tool.name
    json.dumps(tools.schemas())


def test_invalid_arguments_are_refused_before_any_call() -> None:
    cases = [
        ("updateBudget", {"adsetId": "120262109393956043", "dailyBudgetCents": 50}, "dailyBudgetCents"),
        ("updateDirectionBudget", {"directionId": str(uuid.uuid4()), "dailyBudgetCents": 99}, "dailyBudgetCents"),
        ("pauseCampaign", {"campaignId": "abc"}, "campaignId"),
        ("getDirectionMetrics", {"directionId": "not-a-uuid"}, "directionId"),
        ("getSpendReport", {"groupBy": "week"}, "groupBy"),
        ("getCampaigns", {"dateFrom": "2024-01-01"}, "dateFrom"),
    ]
    for name, raw, field in cases:
        with pytest.raises(ToolArgumentsError) as caught:
            tools.get(name).validate(raw)
        assert field in caught.value.message, (name, caught.value.message)
    with pytest.raises(ToolArgumentsError):
        tools.get("getCampaigns").validate("{not json")


# ── campaigns and ad sets ───────────────────────────────────────────────────────────────────


async def test_campaigns_match_the_sandbox_and_the_history(tool_ctx: ToolContext, demo_engine: AsyncEngine) -> None:
    data = await ok(tool_ctx, "getCampaigns")
    start, end = period(tool_ctx)
    assert data["period"] == {"from": start.isoformat(), "to": end.isoformat(), "label": "last_7d"}
    names = {item["name"] for item in data["items"]}
    assert {"Имплантация Москва", "Виниры СПб"} <= names
    assert data["count"] == len(data["items"]) == 6
    assert data["total"]["spend_cents"] == sum(i["spend_cents"] for i in data["items"])
    assert (data["total"]["spend_cents"], data["total"]["leads"]) == await history_sums(demo_engine, start, end)
    implant = next(i for i in data["items"] if i["name"] == "Имплантация Москва")
    assert implant["daily_budget_cents"] == 9000 and implant["status"] == "ACTIVE"
    assert implant["cpl_cents"] == round(implant["spend_cents"] / implant["leads"])
    spends = [i["spend_cents"] for i in data["items"]]
    assert spends == sorted(spends, reverse=True)

    paused = await ok(tool_ctx, "getCampaigns", status="PAUSED")
    assert [i["name"] for i in paused["items"]] == ["Лечение кариеса Москва"]


async def test_campaign_details_and_ad_sets_add_up(tool_ctx: ToolContext) -> None:
    ids = await campaign_ids(tool_ctx)
    campaign = (await ok(tool_ctx, "getCampaigns", period="last_30d"))["items"]
    implant_total = next(c for c in campaign if c["name"] == "Имплантация Москва")
    details = (await ok(tool_ctx, "getCampaignDetails", campaignId=ids["Имплантация Москва"], period="last_30d"))["item"]
    assert details["spend_cents"] == implant_total["spend_cents"] and details["leads"] == implant_total["leads"]
    assert {s["name"] for s in details["ad_sets"]} == {"Москва 25-45", "Москва 45-65"}
    assert sum(s["spend_cents"] for s in details["ad_sets"]) == details["spend_cents"]
    assert sum(a["spend_cents"] for a in details["ads"]) == details["spend_cents"]
    assert all(a["adset_id"] in {s["id"] for s in details["ad_sets"]} for a in details["ads"])

    ad_sets = await ok(tool_ctx, "getAdSets", campaignId=ids["Имплантация Москва"], period="last_30d")
    assert ad_sets["campaign"]["name"] == "Имплантация Москва" and ad_sets["count"] == 2
    assert ad_sets["total"]["spend_cents"] == details["spend_cents"]
    assert {s["name"]: s["daily_budget_cents"] for s in ad_sets["items"]} == {"Москва 25-45": 5000, "Москва 45-65": 4000}


async def test_an_unknown_campaign_is_a_clear_error(tool_ctx: ToolContext) -> None:
    for name in ("getCampaignDetails", "getAdSets", "pauseCampaign"):
        outcome = await call(tool_ctx, name, campaignId="999999999")
        assert not outcome.success and outcome.data is None
        assert outcome.error == "Кампания 999999999 не найдена в рекламном аккаунте." and outcome.error_code == "not_found"


# ── spend report ────────────────────────────────────────────────────────────────────────────


async def test_spend_report_totals_equal_the_rows_the_sandbox_and_the_history(
    tool_ctx: ToolContext, demo_engine: AsyncEngine
) -> None:
    start, end = period(tool_ctx, "last_14d")
    expected = await history_sums(demo_engine, start, end)
    by_day = await ok(tool_ctx, "getSpendReport", groupBy="day", period="last_14d")
    assert by_day["chart"] == "timeseries" and len(by_day["series"]) == 14
    assert by_day["series"][0]["date"] == start.isoformat() and by_day["series"][-1]["date"] == end.isoformat()
    assert sum(p["spend_cents"] for p in by_day["series"]) == by_day["total"]["spend_cents"] == expected[0]
    daily = await sql(demo_engine, "SELECT date, sum(spend_cents) FROM creative_metrics_history "
                                   "WHERE date BETWEEN :a AND :b GROUP BY date", a=start, b=end)
    assert {p["date"]: p["spend_cents"] for p in by_day["series"]} == {d.isoformat(): int(s) for d, s in daily}

    for group in ("campaign", "adset", "direction"):
        report = await ok(tool_ctx, "getSpendReport", groupBy=group, period="last_14d")
        assert report["group_by"] == group and report["count"] == len(report["items"]) > 0
        assert sum(i["spend_cents"] for i in report["items"]) == report["total"]["spend_cents"] == expected[0]
        assert sum(i["leads"] for i in report["items"]) == report["total"]["leads"] == expected[1]
    campaigns = await ok(tool_ctx, "getSpendReport", groupBy="campaign", period="last_14d")
    assert {"Имплантация Москва", "Виниры СПб"} <= {i["name"] for i in campaigns["items"]}
    directions = await ok(tool_ctx, "getSpendReport", groupBy="direction", period="last_14d")
    assert directions["source"] == "rollup" and "Имплантация" in {i["name"] for i in directions["items"]}


async def test_spend_report_over_explicit_dates(tool_ctx: ToolContext, demo_engine: AsyncEngine) -> None:
    end = tool_ctx.today - dt.timedelta(days=3)
    start = end - dt.timedelta(days=4)
    data = await ok(tool_ctx, "getSpendReport", groupBy="campaign", dateFrom=start.isoformat(), dateTo=end.isoformat())
    assert data["period"] == {"from": start.isoformat(), "to": end.isoformat(),
                              "label": f"{start.isoformat()}…{end.isoformat()}"}
    assert data["total"]["spend_cents"] == (await history_sums(demo_engine, start, end))[0]


# ── directions (two-stage metrics) ──────────────────────────────────────────────────────────


async def test_directions_use_the_rollup_then_fall_back_to_history(
    tool_ctx: ToolContext, demo_engine: AsyncEngine
) -> None:
    start, end = period(tool_ctx)
    rollup = await ok(tool_ctx, "getDirections")
    assert rollup["source"] == "rollup" and {"Имплантация", "Виниры"} <= {i["name"] for i in rollup["items"]}
    rows = await sql(demo_engine, "SELECT d.name, sum(r.spend_cents), sum(r.leads) FROM direction_metrics_rollup r "
                                  "JOIN directions d ON d.id = r.direction_id WHERE r.date BETWEEN :a AND :b "
                                  "GROUP BY d.name", a=start, b=end)
    assert {i["name"]: (i["spend_cents"], i["leads"]) for i in rollup["items"] if i["spend_cents"]} == {
        name: (int(s), int(n)) for name, s, n in rows}
    assert rollup["total"]["spend_cents"] == (await history_sums(demo_engine, start, end))[0]

    await sql(demo_engine, "DELETE FROM direction_metrics_rollup WHERE date >= :a", a=start)
    history = await ok(tool_ctx, "getDirections")
    assert history["source"] == "history"
    assert [(i["name"], i["spend_cents"], i["leads"]) for i in history["items"]] == [
        (i["name"], i["spend_cents"], i["leads"]) for i in rollup["items"]]

    active = await ok(tool_ctx, "getDirections", status="paused")
    assert [i["name"] for i in active["items"]] == ["Лечение кариеса"]


async def test_direction_details_and_daily_metrics(tool_ctx: ToolContext, demo_engine: AsyncEngine) -> None:
    veneers = await direction_id(demo_engine, "Виниры")
    listed = next(i for i in (await ok(tool_ctx, "getDirections", period="last_30d"))["items"] if i["id"] == veneers)

    details = (await ok(tool_ctx, "getDirectionDetails", directionId=veneers, period="last_30d"))["item"]
    assert details["name"] == "Виниры" and details["spend_cents"] == listed["spend_cents"]
    assert details["target_cpl_cents"] == 2500 and details["source"] == "rollup"
    assert details["adset"]["name"] == "СПб 22-40 женщины" and details["adset"]["daily_budget_cents"] == 4500
    assert sum(c["spend_cents"] for c in details["creatives"]) == details["spend_cents"]
    assert "Белоснежная улыбка" in {c["name"] for c in details["creatives"]}

    metrics = await ok(tool_ctx, "getDirectionMetrics", directionId=veneers, period="last_30d")
    assert metrics["chart"] == "timeseries" and len(metrics["series"]) == 30 and metrics["source"] == "rollup"
    assert metrics["direction"] == {"id": veneers, "name": "Виниры", "target_cpl_cents": 2500}
    assert sum(p["spend_cents"] for p in metrics["series"]) == metrics["total"]["spend_cents"] == listed["spend_cents"]
    assert sum(p["leads"] for p in metrics["series"]) == metrics["total"]["leads"] == listed["leads"]
    assert set(metrics["series"][0]) >= {"date", "spend_cents", "leads", "cpl_cents"}


async def test_another_users_direction_is_not_found_and_never_shown(
    tool_ctx: ToolContext, demo_engine: AsyncEngine, stranger_direction: str
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("getDirectionDetails", {"directionId": stranger_direction}),
        ("getDirectionMetrics", {"directionId": stranger_direction}),
        ("getROIReport", {"directionId": stranger_direction}),
        ("updateDirectionBudget", {"directionId": stranger_direction, "dailyBudgetCents": 100_000}),
        ("updateDirectionTargetCPL", {"directionId": stranger_direction, "targetCplCents": 1}),
        ("pauseDirection", {"directionId": stranger_direction}),
    ]
    for name, raw in calls:
        outcome = await call(tool_ctx, name, **raw)
        assert not outcome.success and outcome.data is None, name
        assert outcome.error == "Направление не найдено." and outcome.error_code == "not_found", name
    comparison = await call(tool_ctx, "getROIComparison", compareBy="direction", ids=[stranger_direction])
    assert not comparison.success and stranger_direction in (comparison.error or "")
    listed = await ok(tool_ctx, "getDirections")
    assert "Секретное направление" not in {i["name"] for i in listed["items"]}
    row = (await sql(demo_engine, "SELECT daily_budget_cents, target_cpl_cents, is_active FROM directions "
                                  "WHERE id = :id", id=stranger_direction))[0]
    assert tuple(row) == (7000, 1500, True)

    tool_ctx.language = "en"
    outcome = await call(tool_ctx, "getDirectionDetails", directionId=stranger_direction)
    assert outcome.error == "Direction not found."


# ── ROI ─────────────────────────────────────────────────────────────────────────────────────


async def test_roi_report_matches_history_and_purchases(tool_ctx: ToolContext, demo_engine: AsyncEngine) -> None:
    start, end = period(tool_ctx, "last_30d")
    data = await ok(tool_ctx, "getROIReport", period="last_30d")
    revenue = await sql(demo_engine, """
        SELECT l.creative_id, sum(p.amount_cents), count(*) FROM purchases p JOIN leads l ON l.id = p.lead_id
        WHERE l.creative_id IS NOT NULL
          AND (p.purchased_at AT TIME ZONE 'Europe/Moscow')::date BETWEEN :a AND :b
        GROUP BY l.creative_id""", a=start, b=end)
    expected_revenue = {str(c): (int(r), int(n)) for c, r, n in revenue}
    assert expected_revenue, "the demo world has purchases in the last 30 days"
    by_id = {i["id"]: i for i in data["items"]}
    for creative, (amount, count) in expected_revenue.items():
        assert (by_id[creative]["revenue_cents"], by_id[creative]["conversions"]) == (amount, count)
    spend, leads = await history_sums(demo_engine, start, end)
    assert (data["total"]["spend_cents"], data["total"]["leads"]) == (spend, leads)
    assert data["total"]["revenue_cents"] == sum(r for r, _ in expected_revenue.values())
    for item in data["items"]:
        if item["spend_cents"]:
            assert item["roi_percent"] == round((item["revenue_cents"] - item["spend_cents"]) * 100
                                                / item["spend_cents"], 1)

    implant = await direction_id(demo_engine, "Имплантация")
    only = await ok(tool_ctx, "getROIReport", period="last_30d", directionId=implant)
    assert only["count"] > 0 and {i["direction_name"] for i in only["items"]} == {"Имплантация"}


async def test_roi_comparison_by_direction_and_by_creative(tool_ctx: ToolContext, demo_engine: AsyncEngine) -> None:
    by_direction = await ok(tool_ctx, "getROIComparison", period="last_30d")
    rois = [i["roi_percent"] for i in by_direction["items"]]
    assert by_direction["compare_by"] == "direction" and rois == sorted(rois, reverse=True)
    directions = {i["name"]: i for i in (await ok(tool_ctx, "getDirections", period="last_30d"))["items"]}
    for item in by_direction["items"]:
        assert item["spend_cents"] == directions[item["name"]]["spend_cents"]

    report = await ok(tool_ctx, "getROIReport", period="last_30d")
    picked = [report["items"][0]["id"], report["items"][1]["id"]]
    by_creative = await ok(tool_ctx, "getROIComparison", compareBy="creative", ids=picked, period="last_30d")
    assert sorted(i["id"] for i in by_creative["items"]) == sorted(picked)
    assert by_creative["items"][0]["roi_percent"] >= by_creative["items"][1]["roi_percent"]

    unknown = str(uuid.uuid4())
    outcome = await call(tool_ctx, "getROIComparison", compareBy="creative", ids=[unknown])
    assert not outcome.success and unknown in (outcome.error or "")


# ── campaign and ad set writes ──────────────────────────────────────────────────────────────


async def test_pause_and_resume_a_campaign_are_verified_and_not_swallowed_by_the_cache(
    tool_ctx: ToolContext, demo_engine: AsyncEngine, sandbox_app: Any
) -> None:
    veneers = (await campaign_ids(tool_ctx))["Виниры СПб"]
    paused = await ok(tool_ctx, "pauseCampaign", campaignId=veneers, reason="CPL выше цели")
    assert paused["action"] == "pauseCampaign" and paused["target"] == {"id": veneers, "name": "Виниры СПб"}
    assert paused["success"] and not paused["dry_run"] and not paused["cached"]
    assert paused["verification"] == {"verified": True, "before": {"status": "ACTIVE"}, "after": {"status": "PAUSED"},
                                      "warning": None}
    assert (await sandbox(demo_engine, veneers))[0] == "PAUSED"
    writes = platform_writes(sandbox_app)

    again = await ok(tool_ctx, "pauseCampaign", campaignId=veneers)
    assert again["no_change"] and again["note"] and platform_writes(sandbox_app) == writes

    resumed = await ok(tool_ctx, "resumeCampaign", campaignId=veneers)
    assert resumed["verification"]["after"] == {"status": "ACTIVE"}
    # pause → resume → pause within the idempotency window is a real third write, not a replay.
    third = await ok(tool_ctx, "pauseCampaign", campaignId=veneers, reason="CPL выше цели")
    assert not third["cached"] and third["verification"]["verified"]
    assert (await sandbox(demo_engine, veneers))[0] == "PAUSED"


async def test_a_repeated_write_is_replayed_from_the_cache(tool_ctx: ToolContext, sandbox_app: Any) -> None:
    caries = (await campaign_ids(tool_ctx))["Лечение кариеса Москва"]  # paused in the demo world
    first = await ok(tool_ctx, "pauseCampaign", campaignId=caries)
    assert first["no_change"] and not first["cached"] and first["verification"]["verified"]
    repeat = await ok(tool_ctx, "pauseCampaign", campaignId=caries)
    assert repeat["cached"] and repeat["result"] == first["result"]
    assert platform_writes(sandbox_app) == 0


async def test_concurrent_identical_writes_reach_the_platform_once(
    tool_ctx: ToolContext, demo_engine: AsyncEngine, sandbox_app: Any
) -> None:
    implant = (await campaign_ids(tool_ctx))["Имплантация Москва"]
    results = await asyncio.gather(*(call(tool_ctx, "pauseCampaign", campaignId=implant) for _ in range(3)))
    assert all(r.success for r in results)
    assert platform_writes(sandbox_app) == 1 and (await sandbox(demo_engine, implant))[0] == "PAUSED"


async def test_ad_set_status_and_budget(tool_ctx: ToolContext, demo_engine: AsyncEngine) -> None:
    ids = await campaign_ids(tool_ctx)
    ad_sets = {s["name"]: s["id"] for s in (await ok(tool_ctx, "getAdSets", campaignId=ids["Имплантация Москва"]))["items"]}
    young = ad_sets["Москва 25-45"]

    paused = await ok(tool_ctx, "pauseAdSet", adsetId=young)
    assert paused["verification"]["after"] == {"status": "PAUSED"} and paused["target"]["name"] == "Москва 25-45"
    assert (await sandbox(demo_engine, young))[0] == "PAUSED"
    resumed = await ok(tool_ctx, "resumeAdSet", adsetId=young)
    assert resumed["verification"]["after"] == {"status": "ACTIVE"} and "warning" not in resumed

    budget = await ok(tool_ctx, "updateBudget", adsetId=young, dailyBudgetCents=6500)
    assert budget["verification"] == {"verified": True, "before": {"daily_budget": 5000},
                                      "after": {"daily_budget": 6500}, "warning": None}
    assert (await sandbox(demo_engine, young))[1]["daily_budget"] == 6500

    # An ad set of a paused campaign: resuming it warns that it still will not deliver.
    caries = (await ok(tool_ctx, "getAdSets", campaignId=ids["Лечение кариеса Москва"]))["items"][0]["id"]
    await ok(tool_ctx, "pauseAdSet", adsetId=caries)
    warned = await ok(tool_ctx, "resumeAdSet", adsetId=caries)
    assert warned["warning"] == "Кампания этого адсета на паузе: показы начнутся, только когда её включат."

    missing = await call(tool_ctx, "updateBudget", adsetId="123456789", dailyBudgetCents=5000)
    assert not missing.success and missing.error_code == "not_found"


async def test_ad_set_budget_under_a_campaign_budget_is_refused(tool_ctx: ToolContext) -> None:
    veneers = (await campaign_ids(tool_ctx))["Виниры СПб"]
    await tool_ctx.meta.update_campaign(veneers, daily_budget=4500)
    ad_set = (await ok(tool_ctx, "getAdSets", campaignId=veneers))["items"][0]
    outcome = await call(tool_ctx, "updateBudget", adsetId=ad_set["id"], dailyBudgetCents=9000)
    assert not outcome.success and outcome.error_code == "campaign_budget" and "CBO" in (outcome.error or "")


# ── direction writes ────────────────────────────────────────────────────────────────────────


async def test_direction_budget_updates_the_direction_and_its_ad_set(
    tool_ctx: ToolContext, demo_engine: AsyncEngine
) -> None:
    veneers = await direction_id(demo_engine, "Виниры")
    data = await ok(tool_ctx, "updateDirectionBudget", directionId=veneers, dailyBudgetCents=6000)
    assert data["target"] == {"id": veneers, "name": "Виниры"} and data["verification"]["verified"]
    assert data["platform"]["level"] == "adset" and data["platform"]["daily_budget_cents"] == 6000
    assert data["verification"]["before"] == {"daily_budget_cents": 4500, "platform_daily_budget": 4500}
    assert (await sql(demo_engine, "SELECT daily_budget_cents FROM directions WHERE id = :id", id=veneers))[0][0] == 6000
    assert (await sandbox(demo_engine, data["platform"]["id"]))[1]["daily_budget"] == 6000

    # «Имплантация» runs two ad sets: its own gets the budget minus what the other one takes.
    implant = await direction_id(demo_engine, "Имплантация")
    data = await ok(tool_ctx, "updateDirectionBudget", directionId=implant, dailyBudgetCents=12000)
    assert data["platform"]["name"] == "Москва 25-45"
    assert (data["platform"]["daily_budget_cents"], data["platform"]["other_adsets_daily_budget_cents"]) == (8000, 4000)
    assert (await sandbox(demo_engine, data["platform"]["id"]))[1]["daily_budget"] == 8000

    too_low = await call(tool_ctx, "updateDirectionBudget", directionId=implant, dailyBudgetCents=4000)
    assert not too_low.success and too_low.error_code == "budget_too_low" and "$40.00" in (too_low.error or "")


async def test_direction_budget_under_a_campaign_budget_changes_the_campaign(
    tool_ctx: ToolContext, demo_engine: AsyncEngine
) -> None:
    whitening = await direction_id(demo_engine, "Отбеливание")
    campaign = (await sql(demo_engine, "SELECT fb_campaign_id FROM directions WHERE id = :id", id=whitening))[0][0]
    await tool_ctx.meta.update_campaign(campaign, daily_budget=3500)
    data = await ok(tool_ctx, "updateDirectionBudget", directionId=whitening, dailyBudgetCents=5000)
    assert data["platform"] == {"level": "campaign", "id": campaign, "name": "Отбеливание Москва",
                                "daily_budget_cents": 5000, "other_adsets_daily_budget_cents": 0}
    assert data["verification"]["verified"]
    assert (await sandbox(demo_engine, campaign))[1]["daily_budget"] == 5000


async def test_direction_target_cpl_is_a_plain_write(tool_ctx: ToolContext, demo_engine: AsyncEngine,
                                                     sandbox_app: Any) -> None:
    braces = await direction_id(demo_engine, "Брекеты")
    data = await ok(tool_ctx, "updateDirectionTargetCPL", directionId=braces, targetCplCents=1800)
    assert data["verification"] == {"verified": True, "before": {"target_cpl_cents": 2200},
                                    "after": {"target_cpl_cents": 1800}, "warning": None}
    assert (await sql(demo_engine, "SELECT target_cpl_cents FROM directions WHERE id = :id", id=braces))[0][0] == 1800
    assert platform_writes(sandbox_app) == 0


async def test_pause_direction_pauses_its_ad_sets_and_marks_it_inactive(
    tool_ctx: ToolContext, demo_engine: AsyncEngine
) -> None:
    implant = await direction_id(demo_engine, "Имплантация")
    data = await ok(tool_ctx, "pauseDirection", directionId=implant, reason="нет записей")
    assert data["verification"]["verified"] and data["reason"] == "нет записей"
    assert {s["name"] for s in data["adsets"]} == {"Москва 25-45", "Москва 45-65"}
    row = (await sql(demo_engine, "SELECT is_active, campaign_status FROM directions WHERE id = :id", id=implant))[0]
    assert tuple(row) == (False, "PAUSED")
    for ad_set in data["adsets"]:
        assert (await sandbox(demo_engine, ad_set["id"]))[0] == "PAUSED"
    listed = await ok(tool_ctx, "getDirections", status="paused")
    assert "Имплантация" in {i["name"] for i in listed["items"]}


async def test_dry_run_changes_nothing(tool_ctx: ToolContext, demo_engine: AsyncEngine, sandbox_app: Any) -> None:
    ids = await campaign_ids(tool_ctx)
    young = next(s["id"] for s in (await ok(tool_ctx, "getAdSets", campaignId=ids["Имплантация Москва"]))["items"]
                 if s["name"] == "Москва 25-45")
    implant = await direction_id(demo_engine, "Имплантация")
    snapshot = "SELECT name, is_active, campaign_status, daily_budget_cents, target_cpl_cents FROM directions ORDER BY name"
    directions_before = await sql(demo_engine, snapshot)
    tool_ctx.dry_run = True
    for name, raw in [
        ("pauseCampaign", {"campaignId": ids["Виниры СПб"]}),
        ("updateBudget", {"adsetId": young, "dailyBudgetCents": 7000}),
        ("updateDirectionBudget", {"directionId": implant, "dailyBudgetCents": 15000}),
        ("updateDirectionTargetCPL", {"directionId": implant, "targetCplCents": 999}),
        ("pauseDirection", {"directionId": implant}),
    ]:
        data = await ok(tool_ctx, name, **raw)
        assert data["dry_run"] and data["validation"] == "passed" and data["action"] == name
    assert platform_writes(sandbox_app) == 0
    assert await sql(demo_engine, snapshot) == directions_before
    assert (await sandbox(demo_engine, young))[1]["daily_budget"] == 5000
    assert (await sql(demo_engine, "SELECT count(*) FROM ai_idempotent_operations"))[0][0] == 0


async def test_resume_direction_switches_on_what_its_last_pause_stopped(
    tool_ctx: ToolContext, demo_engine: AsyncEngine
) -> None:
    implant = await direction_id(demo_engine, "Имплантация")
    [veneers] = await sql(demo_engine, "SELECT fb_adset_id FROM directions WHERE name = 'Виниры'")
    paused = await ok(tool_ctx, "pauseDirection", directionId=implant)
    stopped = sorted(s["id"] for s in paused["adsets"])
    foreign = await call(tool_ctx, "resumeDirection", directionId=implant, adsetIds=[veneers.fb_adset_id])
    assert not foreign.success and foreign.error_code == "not_found"  # only the direction's own ad sets
    data = await ok(tool_ctx, "resumeDirection", directionId=implant)
    assert data["verification"]["verified"] and sorted(s["id"] for s in data["adsets"]) == stopped
    for ad_set_id in stopped:
        assert (await sandbox(demo_engine, ad_set_id))[0] == "ACTIVE"
    row = (await sql(demo_engine, "SELECT is_active, campaign_status FROM directions WHERE id = :id", id=implant))[0]
    assert tuple(row) == (True, "ACTIVE")

"""The Creative agent's tools against the demo world: numbers equal independent SQL, writes change
the sandbox platform exactly once and are verified, and nobody reaches another user's creatives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from tool_calls import make_callers

from agent_brain.agents.creative import AGENT
from agent_brain.agents.creative.tools import MIN_LEADS, tools
from agent_brain.db.models import AdAccount, Creative
from agent_brain.stores.users import UserStore
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import ToolArgumentsError

IMPLANT = "Имплантация за 1 день"
VENEERS = "Белоснежная улыбка"
IMAGE = "Имплант под ключ от $790"
DRAFT = "Рассрочка 0% на имплантацию"
RUNNING_TEST = "Голливудская улыбка в СПб"

EXPECTED = {
    "getCreatives": ("read", False), "getCreativeDetails": ("read", False), "getCreativeMetrics": ("read", False),
    "getCreativeAnalysis": ("read", False), "getTopCreatives": ("read", False),
    "getWorstCreatives": ("read", False), "compareCreatives": ("read", False),
    "getCreativeScores": ("read", False), "getCreativeTests": ("read", False),
    "getCreativeTranscript": ("read", False), "triggerCreativeAnalysis": ("write", False),
    "launchCreative": ("write", True), "pauseCreative": ("write", True), "startCreativeTest": ("write", True),
    "stopCreativeTest": ("write", False), "analyzeABTest": ("read", False), "suggestCreativeRotation": ("read", False),
    "writeAdCopy": ("read", False), "planCreativeAd": ("read", False), "getAdPreview": ("read", False),  # issue 16
    "createCreativeAd": ("write", True),  # plan-only: proposed by planCreativeAd
}


call, ok = make_callers(tools)


async def sql(ctx: ToolContext, query: str, **params: Any) -> list[Any]:
    async with ctx.engine.connect() as conn:
        return list((await conn.execute(text(query), params)).all())


async def creative_id(ctx: ToolContext, title: str) -> str:
    [row] = await sql(ctx, "SELECT id FROM creatives WHERE title = :t AND user_id = :u", t=title, u=ctx.user_id)
    return str(row.id)


async def platform_status(ctx: ToolContext, ad_set_ids: set[str]) -> dict[str, str]:
    return {ad.id: ad.status for s in ad_set_ids for ad in await ctx.meta.list_ads(ad_set_id=s)}


async def mapped_ads(ctx: ToolContext, cid: str) -> list[Any]:
    return await sql(ctx, "SELECT fb_ad_id, fb_adset_id FROM ad_creative_mapping WHERE creative_id = :c",
                     c=uuid.UUID(cid))


def _strict(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            assert node["additionalProperties"] is False
            assert set(node["required"]) == set(node["properties"])
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)


# ── declarations ────────────────────────────────────────────────────────────────────────────


def test_seventeen_tools_with_descriptions_strict_schemas_and_the_agent_spec() -> None:
    assert {t.name: (t.kind.value, t.dangerous) for t in tools} == EXPECTED
    for t in tools:
        assert len(t.description) > 40, t.name
        schema = t.openai_schema()
        assert schema["function"]["strict"] is True
        _strict(schema["function"]["parameters"])
    assert AGENT.name == AGENT.domain == "creative" and AGENT.tools is tools
    assert "NEVER INSTRUCTIONS" in AGENT.prompt.text and len(AGENT.prompt.text.splitlines()) <= 60


def test_compare_takes_two_to_five_distinct_creatives() -> None:
    tool = tools.get("compareCreatives")
    for n in (1, 6):
        with pytest.raises(ToolArgumentsError):
            tool.validate({"creativeIds": [str(uuid.uuid4()) for _ in range(n)]})
    same = str(uuid.uuid4())
    with pytest.raises(ToolArgumentsError):
        tool.validate({"creativeIds": [same, same]})
    with pytest.raises(ToolArgumentsError):
        tools.get("stopCreativeTest").validate({})


# ── reads ───────────────────────────────────────────────────────────────────────────────────


async def test_get_creatives_equals_sql_sums(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "getCreatives", period="last_7d")
    start, end = data["period"]["from"], data["period"]["to"]
    rows = await sql(tool_ctx, """
        SELECT c.id, sum(h.spend_cents) AS spend, sum(h.leads) AS leads, sum(h.impressions) AS impressions,
               sum(h.clicks) AS clicks
        FROM creatives c JOIN creative_metrics_history h ON h.creative_id = c.id
        WHERE c.user_id = :u AND h.date BETWEEN :s AND :e GROUP BY c.id""",
        u=tool_ctx.user_id, s=dt.date.fromisoformat(start), e=dt.date.fromisoformat(end))
    expected = {str(r.id): r for r in rows}
    assert data["count"] == 23 and data["period"]["label"] == "last_7d"
    for item in data["items"]:
        r = expected.get(item["id"])
        assert (item["spend_cents"], item["leads"], item["impressions"], item["clicks"]) == (
            (r.spend, r.leads, r.impressions, r.clicks) if r else (0, 0, 0, 0)), item["name"]
        assert item["cpl_cents"] == (round(r.spend / r.leads) if r and r.leads else None)
        assert {"name", "status", "media_type", "ctr", "risk_score", "llm_score"} <= item.keys()
    assert data["total"]["spend_cents"] == sum(r.spend for r in rows)
    assert data["total"]["leads"] == sum(r.leads for r in rows)

    found = await ok(tool_ctx, "getCreatives", search="имплантация за", status="active", mediaType="video")
    assert [i["name"] for i in found["items"]] == [IMPLANT]


async def test_top_and_worst_rank_only_creatives_with_enough_data(tool_ctx: ToolContext) -> None:
    [implant_direction] = await sql(tool_ctx, "SELECT direction_id FROM creatives WHERE title = :t", t=IMPLANT)
    top = await ok(tool_ctx, "getTopCreatives", metric="cpl", period="last_90d", limit=3,
                   directionId=str(implant_direction.direction_id))
    assert IMPLANT in [i["name"] for i in top["items"]]

    for period in ("last_7d", "last_30d"):
        best = await ok(tool_ctx, "getTopCreatives", metric="cpl", period=period, limit=20)
        cpls = [i["cpl_cents"] for i in best["items"]]
        assert cpls == sorted(cpls) and all(i["leads"] >= 1 for i in best["items"])
        assert best["ranked"] + best["excluded"] <= 23 and best["period"]["label"] == period
        worst = await ok(tool_ctx, "getWorstCreatives", period=period, limit=20)
        leads_first = [i["leads"] > 0 for i in worst["items"]]
        assert leads_first == sorted(leads_first)  # no-lead spenders first
        ranked = [i["cpl_cents"] for i in worst["items"] if i["leads"]]
        assert ranked == sorted(ranked, reverse=True)
        for i in worst["items"]:
            assert i["leads"] >= MIN_LEADS or i["spend_cents"] >= 2 * i["target_cpl_cents"]

    by_ctr = await ok(tool_ctx, "getTopCreatives", metric="ctr", period="last_30d")
    ctrs = [i["ctr"] for i in by_ctr["items"]]
    assert ctrs == sorted(ctrs, reverse=True) and [i["rank"] for i in by_ctr["items"]] == [1, 2, 3, 4, 5]


async def test_metrics_series_equal_sql_and_retention_falls(tool_ctx: ToolContext) -> None:
    cid = await creative_id(tool_ctx, IMPLANT)
    data = await ok(tool_ctx, "getCreativeMetrics", creativeId=cid, period="last_30d")
    rows = await sql(tool_ctx, """
        SELECT date, sum(spend_cents) AS spend, sum(leads) AS leads, sum(video_views) AS views,
               sum(video_p25) AS p25, sum(video_p95) AS p95
        FROM creative_metrics_history WHERE creative_id = :c AND date BETWEEN :s AND :e
        GROUP BY date ORDER BY date""", c=uuid.UUID(cid), s=dt.date.fromisoformat(data["period"]["from"]),
        e=dt.date.fromisoformat(data["period"]["to"]))
    assert data["chart"] == "timeseries" and len(data["series"]) == len(rows) == 30
    assert [(p["date"], p["spend_cents"], p["leads"]) for p in data["series"]] == [
        (r.date.isoformat(), r.spend, r.leads) for r in rows]
    assert data["total"]["spend_cents"] == sum(r.spend for r in rows)
    retention = data["retention"]
    assert list(retention) == ["p25", "p50", "p75", "p95"]
    assert 100 >= retention["p25"] >= retention["p50"] >= retention["p75"] >= retention["p95"] > 0
    views = sum(int(r.views) for r in rows)
    assert retention["p25"] == round(100 * sum(int(r.p25) for r in rows) / views, 1)
    assert retention["p95"] == round(100 * sum(int(r.p95) for r in rows) / views, 1)

    image = await ok(tool_ctx, "getCreativeMetrics", creativeId=await creative_id(tool_ctx, IMAGE))
    assert image["retention"] is None and image["series"]


async def test_details_compare_analysis_scores_tests_transcript(tool_ctx: ToolContext) -> None:
    implant, veneers, image = [await creative_id(tool_ctx, t) for t in (IMPLANT, VENEERS, IMAGE)]
    details = (await ok(tool_ctx, "getCreativeDetails", creativeId=implant))["item"]
    assert details["name"] == IMPLANT and len(details["ads"]) == 3  # two ad sets + the completed test
    assert {a["status"] for a in details["ads"]} == {"ACTIVE", "PAUSED"}
    [life] = await sql(tool_ctx, "SELECT sum(spend_cents) AS s FROM creative_metrics_history WHERE creative_id = :c",
                       c=uuid.UUID(implant))
    assert details["lifetime"]["spend_cents"] == life.s and details["retention"]["p25"] > 0

    compared = await ok(tool_ctx, "compareCreatives", creativeIds=[implant, veneers, image], period="last_30d")
    assert [i["id"] for i in compared["items"]] == [implant, veneers, image]
    assert compared["items"][2]["retention"] is None and compared["best"]["cpl"] in (implant, veneers, image)

    analysis = await ok(tool_ctx, "getCreativeAnalysis", creativeId=implant)
    assert analysis["item"]["verdict"] in ("excellent", "good") and len(analysis["history"]) == 2

    scores = await ok(tool_ctx, "getCreativeScores")
    risks = [i["risk_score"] for i in scores["items"]]
    assert scores["count"] == 23 and risks == sorted(risks, reverse=True)
    assert scores["total"]["high_risk_count"] == sum(i["risk_level"] == "high" for i in scores["items"])
    high = await ok(tool_ctx, "getCreativeScores", riskLevel="high")
    assert high["count"] == scores["total"]["high_risk_count"]

    tests = await ok(tool_ctx, "getCreativeTests")
    assert tests["count"] == 6 and {i["status"] for i in tests["items"]} == {"running", "completed", "stopped"}
    [done] = [i for i in tests["items"] if i["name"] == IMPLANT]
    [stored] = await sql(tool_ctx, "SELECT results FROM creative_tests WHERE creative_id = :c", c=uuid.UUID(implant))
    assert (done["spend_cents"], done["leads"]) == (stored.results["spend_cents"], stored.results["leads"])
    assert (await ok(tool_ctx, "getCreativeTests", status="running"))["count"] == 2

    transcript = await ok(tool_ctx, "getCreativeTranscript", creativeId=implant)
    assert "имплант" in transcript["item"]["transcript"]
    no_text = await call(tool_ctx, "getCreativeTranscript", creativeId=image)
    assert not no_text.success and no_text.error_code == "no_transcript"


async def test_another_users_creative_is_not_found(tool_ctx: ToolContext) -> None:
    other, _ = await UserStore(tool_ctx.engine).create_user("someone-else")
    async with tool_ctx.engine.begin() as conn:
        account = (await conn.execute(insert(AdAccount).values(
            user_id=other.id, external_id="act_999", name="Other").returning(AdAccount.id))).scalar_one()
        theirs = (await conn.execute(insert(Creative).values(
            user_id=other.id, ad_account_id=account, title="Чужой креатив", media_type="image",
        ).returning(Creative.id))).scalar_one()
    for name, raw in (("getCreativeDetails", {}), ("getCreativeMetrics", {}), ("pauseCreative", {}),
                      ("triggerCreativeAnalysis", {}), ("startCreativeTest", {}),
                      ("launchCreative", {"directionId": str(uuid.uuid4())})):
        outcome = await call(tool_ctx, name, creativeId=str(theirs), **raw)
        assert not outcome.success and outcome.error == "Креатив не найден", name
    compare = await call(tool_ctx, "compareCreatives", creativeIds=[str(theirs), await creative_id(tool_ctx, IMPLANT)])
    assert not compare.success and compare.error_code == "not_found"
    english = await call(dataclasses.replace(tool_ctx, language="en"), "getCreativeAnalysis", creativeId=str(theirs))
    assert english.error == "Creative not found"
    async with tool_ctx.engine.connect() as conn:
        assert (await conn.execute(select(Creative.status).where(Creative.id == theirs))).scalar_one() == "active"


# ── writes ──────────────────────────────────────────────────────────────────────────────────


async def test_pause_creative_pauses_every_ad_once_and_verifies(tool_ctx: ToolContext) -> None:
    cid = await creative_id(tool_ctx, IMPLANT)
    ads = await mapped_ads(tool_ctx, cid)
    ad_sets = {a.fb_adset_id for a in ads}
    assert "ACTIVE" in (await platform_status(tool_ctx, ad_sets)).values()

    result = await ok(tool_ctx, "pauseCreative", creativeId=cid)
    assert result["success"] and result["verification"]["verified"] and result["cached"] is False
    assert result["action"] == "pause" and result["target"] == {"id": cid, "name": IMPLANT}
    statuses = await platform_status(tool_ctx, ad_sets)
    assert all(statuses[a.fb_ad_id] == "PAUSED" for a in ads) and len(result["result"]["paused_ads"]) == len(ads)
    [row] = await sql(tool_ctx, "SELECT status FROM creatives WHERE id = :c", c=uuid.UUID(cid))
    assert row.status == "paused"

    again = await ok(tool_ctx, "pauseCreative", creativeId=cid)
    assert again["cached"] is True and again["result"] == result["result"]


async def test_dry_run_changes_nothing(tool_ctx: ToolContext) -> None:
    dry = dataclasses.replace(tool_ctx, dry_run=True)
    cid = await creative_id(tool_ctx, IMPLANT)
    ad_sets = {a.fb_adset_id for a in await mapped_ads(tool_ctx, cid)}
    before = await platform_status(tool_ctx, ad_sets)
    counts = "SELECT (SELECT count(*) FROM creative_analyses) AS a, (SELECT count(*) FROM creative_tests) AS t, " \
             "(SELECT count(*) FROM ad_creative_mapping) AS m, (SELECT count(*) FROM ai_idempotent_operations) AS o"
    [start] = await sql(tool_ctx, counts)

    paused = await ok(dry, "pauseCreative", creativeId=cid)
    assert paused["dry_run"] is True and paused["validation"] == "passed"
    assert paused["current"]["creative_status"] == "active"
    await ok(dry, "triggerCreativeAnalysis", creativeId=cid)
    await ok(dry, "startCreativeTest", creativeId=await creative_id(tool_ctx, VENEERS))
    [implant_direction] = await sql(tool_ctx, "SELECT direction_id FROM creatives WHERE id = :c", c=uuid.UUID(cid))
    await ok(dry, "launchCreative", creativeId=await creative_id(tool_ctx, DRAFT),
             directionId=str(implant_direction.direction_id))

    assert await platform_status(tool_ctx, ad_sets) == before
    assert await sql(tool_ctx, counts) == [start]
    [row] = await sql(tool_ctx, "SELECT status FROM creatives WHERE id = :c", c=uuid.UUID(cid))
    assert row.status == "active"
    real = await ok(tool_ctx, "pauseCreative", creativeId=cid)
    assert real["cached"] is False  # the dry run was not recorded as executed


async def test_launch_creative_creates_an_active_ad_in_the_directions_ad_set(tool_ctx: ToolContext) -> None:
    cid = await creative_id(tool_ctx, DRAFT)
    [d] = await sql(tool_ctx, "SELECT d.id, d.fb_adset_id FROM creatives c JOIN directions d ON d.id = c.direction_id "
                              "WHERE c.id = :c", c=uuid.UUID(cid))
    result = await ok(tool_ctx, "launchCreative", creativeId=cid, directionId=str(d.id))
    assert result["verification"]["verified"] and result["action"] == "launch"
    ad_id = result["result"]["ad_id"]
    assert (await platform_status(tool_ctx, {d.fb_adset_id}))[ad_id] == "ACTIVE"
    assert [a.fb_ad_id for a in await mapped_ads(tool_ctx, cid)] == [ad_id]
    [row] = await sql(tool_ctx, "SELECT status FROM creatives WHERE id = :c", c=uuid.UUID(cid))
    assert row.status == "active"

    twice = await call(tool_ctx, "launchCreative", creativeId=cid, directionId=str(d.id))
    assert not twice.success and twice.error_code == "already_running"
    # Pausing then launching again is a new operation, not a replay of the first launch.
    await ok(tool_ctx, "pauseCreative", creativeId=cid)
    relaunch = await ok(tool_ctx, "launchCreative", creativeId=cid, directionId=str(d.id))
    assert relaunch["cached"] is False and relaunch["result"]["ad_id"] != ad_id


async def test_start_and_stop_a_creative_test(tool_ctx: ToolContext) -> None:
    busy = await call(tool_ctx, "startCreativeTest", creativeId=await creative_id(tool_ctx, RUNNING_TEST))
    assert not busy.success and busy.error_code == "test_running"

    cid = await creative_id(tool_ctx, VENEERS)
    started = await ok(tool_ctx, "startCreativeTest", creativeId=cid, budgetCents=2000)
    assert started["verification"]["verified"] and started["action"] == "start_test"
    test = started["result"]
    assert test["daily_budget_cents"] == 500 and test["days"] == 4
    ad_set = await tool_ctx.meta.get_ad_set(test["ad_set_id"])
    [test_campaign] = await sql(tool_ctx, "SELECT DISTINCT m.fb_campaign_id FROM creative_tests t "
                                          "JOIN ad_creative_mapping m ON m.fb_adset_id = t.fb_adset_id "
                                          "WHERE t.id <> CAST(:t AS uuid)", t=test["test_id"])
    assert ad_set.status == "ACTIVE" and ad_set.daily_budget_cents == 500
    assert ad_set.campaign_id == test_campaign.fb_campaign_id
    listed = await ok(tool_ctx, "getCreativeTests", creativeId=cid, status="running")
    assert [i["id"] for i in listed["items"]] == [test["test_id"]] and listed["items"][0]["budget_cents"] == 2000
    again = await call(tool_ctx, "startCreativeTest", creativeId=cid, budgetCents=2000)
    assert not again.success and again.error_code == "test_running"

    stopped = await ok(tool_ctx, "stopCreativeTest", creativeId=cid)
    assert stopped["verification"]["verified"] and stopped["target"]["id"] == test["test_id"]
    assert (await platform_status(tool_ctx, {test["ad_set_id"]}))[test["ad_id"]] == "PAUSED"
    [row] = await sql(tool_ctx, "SELECT status, ended_at FROM creative_tests WHERE id = CAST(:t AS uuid)",
                      t=test["test_id"])
    assert row.status == "stopped" and row.ended_at is not None
    for test_id in (test["test_id"], (await ok(tool_ctx, "getCreativeTests", status="completed"))["items"][0]["id"]):
        done = await call(tool_ctx, "stopCreativeTest", testId=test_id)
        assert not done.success and done.error_code == "test_not_running"
    # A stopped test does not block a new one for the same creative.
    assert (await ok(tool_ctx, "startCreativeTest", creativeId=cid))["cached"] is False


async def test_trigger_analysis_stores_a_heuristic_analysis_once_a_day(tool_ctx: ToolContext) -> None:
    cid = await creative_id(tool_ctx, IMPLANT)
    result = await ok(tool_ctx, "triggerCreativeAnalysis", creativeId=cid)
    item = result["result"]["item"]
    assert result["verification"]["verified"] and item["model"] == "heuristic-v1"
    assert 0 <= item["score"] <= 100 and item["verdict"] in ("excellent", "good", "average", "poor")
    assert item["summary"] and item["recommendations"] and item["inputs"]["retention"]["p25"] > 0
    latest = await ok(tool_ctx, "getCreativeAnalysis", creativeId=cid)
    assert latest["item"]["id"] == item["id"] and len(latest["history"]) == 3
    again = await ok(tool_ctx, "triggerCreativeAnalysis", creativeId=cid)
    assert again["cached"] is True and again["result"]["item"]["id"] == item["id"]
    [n] = await sql(tool_ctx, "SELECT count(*) AS n FROM creative_analyses WHERE model = 'heuristic-v1'")
    assert n.n == 1

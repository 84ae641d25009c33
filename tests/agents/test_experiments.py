"""A/B verdicts and the creative bandit through the Creative tools, against the demo data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from tool_calls import make_callers

from agent_brain.agents.creative import AGENT
from agent_brain.optimization.stats import Arm, Variant, ab_test, thompson
from agent_brain.tools.context import ToolContext

call, ok = make_callers(AGENT.tools)


async def _sums(ctx: ToolContext, ids: list[str], first: dt.date, last: dt.date) -> dict[str, tuple[int, int]]:
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT creative_id::text, sum(clicks), sum(leads) FROM creative_metrics_history WHERE creative_id::text "
            "= ANY(:ids) AND date BETWEEN :f AND :l GROUP BY 1"), {"ids": ids, "f": first, "l": last})).all()
    return {c: (int(k), int(n)) for c, k, n in rows}


async def _two_creatives(ctx: ToolContext) -> list[str]:
    async with ctx.engine.connect() as conn:
        return list((await conn.execute(text(
            "SELECT creative_id::text FROM creative_metrics_history WHERE date >= :d GROUP BY 1 "
            "HAVING sum(clicks) > 0 ORDER BY sum(clicks) DESC LIMIT 2"), {"d": ctx.today - dt.timedelta(days=30)}
        )).scalars())


async def test_ab_test_before_and_after_enough_leads(tool_ctx: ToolContext) -> None:
    ids = await _two_creatives(tool_ctx)
    last, first = tool_ctx.today - dt.timedelta(days=1), tool_ctx.today - dt.timedelta(days=30)
    early = await ok(tool_ctx, "analyzeABTest", creativeIds=ids, period="last_30d")
    sums = await _sums(tool_ctx, ids, first, last)
    expected = ab_test([Variant(i, sums[i][0], min(sums[i][1], sums[i][0]), 30) for i in ids])
    assert early["ready"] == expected.ready
    if not expected.ready:
        assert early["missing"] == expected.missing and "Вывода пока нет" in early["message"]
        assert "proposed_steps" not in early
    # Enough data: the first creative converts clearly better than the second.
    async with tool_ctx.engine.begin() as conn:
        await conn.execute(text("UPDATE creative_metrics_history SET clicks = 100, "
                                "leads = CASE WHEN creative_id::text = :a THEN 20 ELSE 8 END "
                                "WHERE creative_id::text IN (:a, :b) AND date BETWEEN :f AND :l"),
                           {"a": ids[0], "b": ids[1], "f": first, "l": last})
    late = await ok(tool_ctx, "analyzeABTest", creativeIds=ids, period="last_30d")
    sums = await _sums(tool_ctx, ids, first, last)
    verdict = ab_test([Variant(i, sums[i][0], sums[i][1], 30) for i in ids])
    assert late["ready"] and late["winner"] == verdict.winner == ids[0]
    assert late["p_value"] == verdict.p_value and tuple(late["lift_ci"]) == verdict.lift_ci
    assert [s["params"]["creativeId"] for s in late["proposed_steps"]] == [ids[1]]
    assert late["message"].startswith("Победил")


async def test_rotation_probabilities_equal_thompson_on_the_same_counts(tool_ctx: ToolContext) -> None:
    async with tool_ctx.engine.connect() as conn:
        adset = (await conn.execute(text(
            "SELECT m.fb_adset_id FROM ad_creative_mapping m JOIN creative_metrics_history h ON h.fb_ad_id = m.fb_ad_id "
            "WHERE h.date >= :d GROUP BY 1 HAVING count(DISTINCT m.creative_id) >= 2 AND sum(h.clicks) > 0 "
            "ORDER BY 1 LIMIT 1"), {"d": tool_ctx.today - dt.timedelta(days=7)})).scalar_one()
        rows = (await conn.execute(text(  # the ad set's own ads: a creative's delivery elsewhere does not count
            "SELECT m.creative_id::text, sum(h.clicks), sum(h.leads) FROM ad_creative_mapping m "
            "JOIN creative_metrics_history h ON h.fb_ad_id = m.fb_ad_id WHERE m.fb_adset_id = :s "
            "AND h.date BETWEEN :f AND :l GROUP BY 1 HAVING sum(h.clicks) > 0 ORDER BY 1"),
            {"s": adset, "f": tool_ctx.today - dt.timedelta(days=7),
             "l": tool_ctx.today - dt.timedelta(days=1)})).all()
    data = await ok(tool_ctx, "suggestCreativeRotation", adsetId=adset)
    by_id = {c: Arm(c, int(k), min(int(n), int(k))) for c, k, n in rows}
    expected = thompson([by_id[c] for c in data["p_best"]])
    assert data["p_best"] == expected.p_best and abs(sum(data["p_best"].values()) - 1) < 1e-9
    assert {s["params"]["creativeId"] for s in data["proposed_steps"]} == set(expected.pause)
    assert "шанс быть лучшим" in data["message"]

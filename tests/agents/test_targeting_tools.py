"""Targeting and delivery settings of an ad set: previewed with the platform's reach estimate / validate_only,
applied through the write path by the proposed step, verified by reading back, refused where Meta refuses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from tool_calls import make_callers

from agent_brain.agents.ads import AGENT
from agent_brain.tools.context import ToolContext

call, ok = make_callers(AGENT.tools)


async def _adset(ctx: ToolContext, name: str) -> str:
    return next(s.id for s in await ctx.meta.list_ad_sets(account_id=ctx.require_account()) if s.name == name)


async def test_targeting_change_shows_reach_before_and_after_then_applies(tool_ctx: ToolContext) -> None:
    adset = await _adset(tool_ctx, "Москва 25-45")
    writes = (await tool_ctx.meta.get_ad_set(adset)).targeting
    preview = await ok(tool_ctx, "previewTargetingChange", adsetId=adset, ageMin=30, ageMax=50, gender="female")
    assert (preview["before"]["ageMin"], preview["before"]["ageMax"], preview["before"]["genders"]) == (25, 45, [])
    assert (preview["after"]["ageMin"], preview["after"]["ageMax"], preview["after"]["genders"]) == (30, 50, [2])
    # One gender instead of both halves the audience in the platform's estimate.
    assert preview["reach_after"]["users_upper_bound"] < preview["reach_before"]["users_upper_bound"]
    assert (await tool_ctx.meta.get_ad_set(adset)).targeting == writes  # the preview changed nothing
    [step] = preview["proposed_steps"]
    assert step["action"] == "updateAdSetTargeting" and "→" in step["description"]

    done = await ok(tool_ctx, "updateAdSetTargeting", **step["params"])
    assert done["verification"]["verified"] is True
    after = (await tool_ctx.meta.get_ad_set(adset)).targeting
    assert after is not None and (after.age_min, after.age_max, after.genders) == (30, 50, [2])
    assert after.cities == writes.cities  # the rest of the targeting is kept


async def test_targeting_to_another_city_resolves_it_through_the_platform(tool_ctx: ToolContext) -> None:
    adset = await _adset(tool_ctx, "Москва 18-35")
    preview = await ok(tool_ctx, "previewTargetingChange", adsetId=adset, cities=["Казань"])
    assert [c["key"] for c in preview["after"]["cities"]] == ["2020946"]
    no_change = await call(tool_ctx, "previewTargetingChange", adsetId=adset, ageMin=18, ageMax=35)
    assert not no_change.success and no_change.error_code == "no_change"


async def test_bid_cap_and_end_date_are_validated_then_set(tool_ctx: ToolContext) -> None:
    adset = await _adset(tool_ctx, "Москва 25-45")
    end = tool_ctx.today + dt.timedelta(days=30)  # type: ignore[operator]
    preview = await ok(tool_ctx, "previewAdSetSettings", adsetId=adset, bidAmountCents=500, endDate=end.isoformat())
    [step] = preview["proposed_steps"]
    assert step["params"] == {"adsetId": adset, "bidAmountCents": 500, "endDate": end.isoformat(),
                              "bidStrategy": "LOWEST_COST_WITH_BID_CAP"}
    done = await ok(tool_ctx, "updateAdSetSettings", **step["params"])
    assert done["verification"]["verified"] is True
    raw = await tool_ctx.meta.client.get(adset, {"fields": "bid_strategy,bid_amount,end_time"})
    assert (raw["bid_strategy"], int(raw["bid_amount"]), raw["end_time"][:10]) == \
        ("LOWEST_COST_WITH_BID_CAP", 500, end.isoformat())
    async with tool_ctx.engine.connect() as conn:
        status = (await conn.execute(text("SELECT status FROM ai_actions WHERE tool = 'updateAdSetSettings'"))).scalar()
    assert status == "verified"


async def test_what_meta_refuses_is_refused_before_a_plan(tool_ctx: ToolContext) -> None:
    adset = await _adset(tool_ctx, "Москва 25-45")
    lifetime = await call(tool_ctx, "previewAdSetSettings", adsetId=adset, lifetimeBudgetCents=50000)
    assert not lifetime.success and lifetime.error_code == "budget_type"
    past = await call(tool_ctx, "previewAdSetSettings", adsetId=adset, endDate="2020-01-01")
    assert not past.success and past.error_code == "past_date"
    cost_cap = await call(tool_ctx, "previewAdSetSettings", adsetId=adset, bidStrategy="COST_CAP")
    assert not cost_cap.success and cost_cap.error_code == "platform_rejected"  # a cost cap needs its amount

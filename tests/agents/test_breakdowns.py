"""Breakdowns by audience, placement, region, device and hour: rows that add up to the account's total."""

from __future__ import annotations

import pytest
from tool_calls import make_callers

from agent_brain.agents.ads import AGENT
from agent_brain.platforms.base import InsightsQuery
from agent_brain.tools.context import ToolContext

call, ok = make_callers(AGENT.tools)


@pytest.mark.parametrize("breakdown", ["age", "gender", "age_gender", "placement", "region", "device", "hour"])
async def test_a_breakdown_adds_up_to_the_total(tool_ctx: ToolContext, breakdown: str) -> None:
    data = await ok(tool_ctx, "getBreakdownReport", breakdown=breakdown, period="last_7d")
    start, end = data["period"]["from"], data["period"]["to"]
    [total] = await tool_ctx.meta.insights(tool_ctx.platform_account_id, InsightsQuery(
        level="account", date_preset=None, since=start, until=end))
    assert data["total_spend_cents"] == sum(i["spend_cents"] for i in data["items"])
    assert abs(data["total_spend_cents"] - total.spend_cents) <= len(data["items"])  # per-row rounding only
    assert abs(sum(i["leads"] for i in data["items"]) - total.leads) <= len(data["items"])
    assert data["table"].count("\n") == len(data["items"]) + 1 and len(data["items"]) >= 2
    if breakdown == "hour":
        assert [i["label"] for i in data["items"]] == sorted(i["label"] for i in data["items"])
        assert len(data["items"]) == 24
    else:
        spends = [i["spend_cents"] for i in data["items"]]
        assert spends == sorted(spends, reverse=True)

"""Issue 16, budget schedules: the sandbox takes `budget_schedule_specs` on ad set creation as Meta's Budget
Scheduling guide describes (daily budgets only, future non-overlapping periods, ABSOLUTE or MULTIPLIER
increases) and refuses the rest with code 100."""

from __future__ import annotations

import pytest
from sandbox_account import ACCOUNT

from agent_brain import clock
from agent_brain.platforms.base import Targeting
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.meta.adapter import MetaAdapter

DAY = 86400


def _spec(start: int, end: int, value: int = 2000, kind: str = "ABSOLUTE") -> dict:
    return {"time_start": start, "time_end": end, "budget_value": value, "budget_value_type": kind,
            "recurrence_type": "ONE_TIME"}


async def _ad_set(meta: MetaAdapter, **kw: object) -> str:
    made = await meta.create_ad_set(ACCOUNT, campaign_id="1001", name="Peaks", targeting=Targeting(countries=["RU"]),
                                    **kw)  # type: ignore[arg-type]
    return made.object_id


async def test_high_demand_periods_are_stored_on_the_ad_set(meta: MetaAdapter) -> None:
    now = int(clock.now().timestamp())
    ad_set = await _ad_set(meta, daily_budget_cents=5000,
                           budget_schedules=[_spec(now + 10 * DAY, now + 12 * DAY),
                                             _spec(now + 3 * DAY, now + 4 * DAY, 50, "MULTIPLIER")])
    raw = await meta.client.get(ad_set, {"fields": "is_budget_schedule_enabled,daily_budget"})
    assert raw["is_budget_schedule_enabled"] is True and int(raw["daily_budget"]) == 5000


@pytest.mark.parametrize(("kw", "why"), [
    ({"lifetime_budget_cents": 90000, "end_time": "2099-01-01T00:00:00+0000", "daily_budget_cents": None,
      "budget_schedules": [_spec(4102444800 - 20 * DAY, 4102444800 - 19 * DAY)]}, "daily budget"),
    ({"daily_budget_cents": 5000, "budget_schedules": [_spec(1_000_000, 1_000_000 + DAY)]}, "future"),
    ({"daily_budget_cents": 5000, "budget_schedules": [_spec(4102444800, 4102444800 + 3 * DAY),
                                                       _spec(4102444800 + DAY, 4102444800 + 5 * DAY)]}, "overlap"),
    ({"daily_budget_cents": 5000, "budget_schedules": [_spec(4102444800, 4102444800 + DAY, kind="PERCENT")]},
     "absolute or multiplier"),
])
async def test_schedules_meta_refuses_are_refused(meta: MetaAdapter, kw: dict, why: str) -> None:
    with pytest.raises(GraphError) as refused:
        await _ad_set(meta, **kw)
    assert refused.value.code == 100 and why in (refused.value.user_text or "").lower()
    assert all(s.name != "Peaks" for s in await meta.list_ad_sets(campaign_id="1001"))

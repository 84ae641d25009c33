"""Budget schedules (Meta's "high-demand periods"): `budget_schedule_specs` on ad set creation, checked as
Meta's Budget Scheduling guide describes them.

Each spec raises the daily budget for a period: `{"time_start", "time_end"}` (UNIX seconds), `budget_value`
and `budget_value_type` — ABSOLUTE (an increase in the currency's minor units) or MULTIPLIER (a percentage
increase) — with `recurrence_type` ONE_TIME. Only daily budgets can be scheduled; periods end after they
start, lie in the future and do not overlap; at most 50 per object.
"""

from __future__ import annotations

from typing import Any

from agent_brain.platforms.sandbox.graph_format import invalid_parameter

MAX_SCHEDULES = 50


def checked_schedules(specs: Any, *, daily_budget: int | None, now: int) -> list[dict[str, Any]]:
    """The specs as stored (ints, sorted by start), or Graph's code-100 refusal naming the problem."""
    if not isinstance(specs, list) or not specs:
        raise invalid_parameter("budget_schedule_specs must be a non-empty list", field="budget_schedule_specs")
    if not daily_budget:
        raise invalid_parameter("budget schedules need a daily budget", field="budget_schedule_specs")
    if len(specs) > MAX_SCHEDULES:
        raise invalid_parameter(f"at most {MAX_SCHEDULES} budget schedules", field="budget_schedule_specs")
    out = []
    for spec in specs:
        try:
            start, end, value = int(spec["time_start"]), int(spec["time_end"]), int(spec["budget_value"])
        except (KeyError, TypeError, ValueError) as exc:
            raise invalid_parameter("each budget schedule needs time_start, time_end and budget_value",
                                    field="budget_schedule_specs") from exc
        kind = spec.get("budget_value_type")
        if kind not in ("ABSOLUTE", "MULTIPLIER") or spec.get("recurrence_type", "ONE_TIME") != "ONE_TIME":
            raise invalid_parameter("budget_value_type is ABSOLUTE or MULTIPLIER, recurrence_type ONE_TIME",
                                    field="budget_schedule_specs")
        if value <= 0 or end <= start or start < now:
            raise invalid_parameter("a budget schedule raises the budget (budget_value > 0) for a future period "
                                    "that ends after it starts", field="budget_schedule_specs")
        out.append({"time_start": start, "time_end": end, "budget_value": value, "budget_value_type": kind,
                    "recurrence_type": "ONE_TIME"})
    out.sort(key=lambda s: s["time_start"])
    for a, b in zip(out, out[1:], strict=False):
        if b["time_start"] < a["time_end"]:
            raise invalid_parameter("budget schedules must not overlap", field="budget_schedule_specs")
    return out

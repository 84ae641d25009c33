"""The budget optimizer's rules (seed 001), as a pure function over per-object figures.

For each ad set (or direction) over the window:
* ROAS above target × 1.5 → budget +20 %;
* CPA (cost per conversion) above target × 1.5 → budget −20 %;
* three consecutive days with spend and no conversions (the last three days) → pause;
* no single change above 50 %.
Boundaries are strict: exactly × 1.5 does not trigger; exactly three days does. Each proposal
carries the numbers behind it so the plan can explain itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

RAISE_PCT, LOWER_PCT, FACTOR, IDLE_DAYS, MAX_CHANGE_PCT = 20.0, -20.0, 1.5, 3, 50.0


@dataclass(frozen=True)
class ObjectFigures:
    id: str
    name: str
    daily_budget_cents: int | None
    spend_cents: int
    conversions: int
    revenue_cents: int | None = None  # None: ROAS unknown for this object
    daily: Sequence[tuple[int, int]] = field(default_factory=tuple)  # (spend, conversions), oldest first


@dataclass(frozen=True)
class Proposal:
    id: str
    name: str
    action: str  # "raise" | "lower" | "pause"
    new_budget_cents: int | None
    reason: dict[str, float | int]


def propose(objects: Sequence[ObjectFigures], *, target_cpa_cents: int | None = None,
            target_roas: float | None = None) -> list[Proposal]:
    """What the rules say for each object; objects they say nothing about are left out."""
    if target_cpa_cents is None and target_roas is None:
        raise ValueError("the optimizer needs a target CPA/CPL or ROAS")
    out: list[Proposal] = []
    for o in objects:
        recent = list(o.daily)[-IDLE_DAYS:]
        if len(recent) == IDLE_DAYS and all(spend > 0 and conv == 0 for spend, conv in recent):
            out.append(Proposal(o.id, o.name, "pause", None, {
                "days_without_conversions": IDLE_DAYS, "spend_cents": sum(s for s, _ in recent)}))
            continue
        if not o.daily_budget_cents:
            continue
        roas = o.revenue_cents / o.spend_cents if o.revenue_cents is not None and o.spend_cents else None
        cpa = o.spend_cents / o.conversions if o.conversions else None
        pct: float | None = None
        reason: dict[str, float | int] = {}
        if target_roas is not None and roas is not None and roas > target_roas * FACTOR:
            pct, reason = RAISE_PCT, {"roas": round(roas, 2), "target_roas": target_roas}
        elif target_cpa_cents is not None and cpa is not None and cpa > target_cpa_cents * FACTOR:
            pct, reason = LOWER_PCT, {"cpa_cents": round(cpa), "target_cpa_cents": target_cpa_cents}
        if pct is None:
            continue
        pct = max(-MAX_CHANGE_PCT, min(MAX_CHANGE_PCT, pct))
        new = round(o.daily_budget_cents * (1 + pct / 100))
        out.append(Proposal(o.id, o.name, "raise" if pct > 0 else "lower", new,
                            {**reason, "budget_cents": o.daily_budget_cents, "change_pct": pct}))
    return out

"""«Оптимизируй бюджеты»: the budget optimizer as an Ads tool that proposes one plan.

It reads the ad sets' figures over the window from our metrics tables (spend and leads per day)
and the CRM (revenue of purchases by leads from each ad set), the budgets and states from the
platform, the targets from the business specs (target CPL as the CPA target; target ROI % as
ROAS = 1 + ROI/100), and applies `agent_brain.optimization.budget`. It writes nothing: its
`proposed_steps` become plan steps the user approves, each explained by the numbers behind it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import text

from agent_brain.agents.ads.tools import tools
from agent_brain.memory.specs import BusinessSpecsStore, target_cpl_cents
from agent_brain.money import format_money
from agent_brain.optimization.budget import ObjectFigures, Proposal, propose
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, ToolError

_DAILY = text("""
SELECT m.fb_adset_id AS adset, h.date, sum(h.spend_cents)::bigint AS spend, sum(h.leads)::bigint AS leads
FROM creative_metrics_history h JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id
WHERE m.ad_account_id = :account AND h.date BETWEEN :first AND :last
GROUP BY 1, 2 ORDER BY 1, 2""")
_REVENUE = text("""
SELECT m.fb_adset_id AS adset, sum(p.amount_cents)::bigint AS revenue
FROM purchases p JOIN leads l ON l.id = p.lead_id
JOIN ad_creative_mapping m ON m.fb_ad_id = l.fb_ad_id AND m.ad_account_id = :account
WHERE p.user_id = :user AND p.purchased_at >= CAST(:first AS date)::timestamp AT TIME ZONE :tz
  AND p.purchased_at < (CAST(:last AS date) + 1)::timestamp AT TIME ZONE :tz
GROUP BY 1""")


class OptimizeBudgetsArgs(BaseModel):
    days: int = Field(default=7, ge=3, le=30, description="Window in days (ending yesterday)")


@tools.tool(kind=READ)
async def optimizeBudgets(args: OptimizeBudgetsArgs, ctx: ToolContext) -> dict[str, Any]:
    """Analyse the active ad sets over the window and propose ONE plan of budget changes: ROAS above
    target ×1.5 → +20 %, CPL above target ×1.5 → −20 %, 3 days of spend without leads → pause, never
    more than 50 %. Needs a target CPL or ROI in the business specs. Nothing is changed until the user
    approves the plan."""
    account = ctx.require_account()
    spec = await BusinessSpecsStore(ctx.engine).get(ctx.user_id, ctx.ad_account_id)
    target_cpa = target_cpl_cents(spec)
    roi = spec.kpi.get("target_roi_percent")
    target_roas = 1 + float(roi) / 100 if isinstance(roi, int | float) and roi > 0 else None
    if target_cpa is None and target_roas is None:
        raise ToolError(say(ctx, "Чтобы оптимизировать бюджеты, нужна цель: целевой CPL или ROI. Задайте её в "
                                 "профиле бизнеса (KPI) — например, «целевой CPL $20».",
                            "To optimise budgets I need a target: a target CPL or ROI. Set it in the business "
                            "profile (KPI), e.g. “target CPL $20”."), code="no_target")
    last = ctx.today - dt.timedelta(days=1)
    first = last - dt.timedelta(days=args.days - 1)
    params = {"account": ctx.ad_account_id, "first": first, "last": last, "user": ctx.user_id,
              "tz": ctx.timezone or "UTC"}
    async with ctx.engine.connect() as conn:
        daily_rows = (await conn.execute(_DAILY, params)).all()
        revenue = {r.adset: int(r.revenue) for r in (await conn.execute(_REVENUE, params)).all()}
    daily: dict[str, dict[dt.date, tuple[int, int]]] = {}
    for r in daily_rows:
        daily.setdefault(r.adset, {})[r.date] = (int(r.spend), int(r.leads))
    active = [s for s in await ctx.meta.list_ad_sets(account_id=account) if s.status == "ACTIVE"]
    figures = []
    for s in active:
        days = daily.get(s.id, {})
        series = [days.get(first + dt.timedelta(days=k), (0, 0)) for k in range(args.days)]
        figures.append(ObjectFigures(
            s.id, s.name, s.daily_budget_cents, sum(x for x, _ in series), sum(n for _, n in series),
            revenue_cents=revenue.get(s.id, 0) if target_roas is not None else None, daily=series))
    proposals = propose(figures, target_cpa_cents=target_cpa, target_roas=target_roas)
    steps = [_step(p, ctx) for p in proposals]
    period = f"{first} — {last}"
    if steps:
        message = say(ctx, f"Проанализировал {len(figures)} активных адсетов за {period}. Предлагаю план "
                           f"из {len(steps)} изменений:", f"I analysed {len(figures)} active ad sets over {period}. "
                                                         f"I propose a plan of {len(steps)} changes:")
        message += "\n" + "\n".join(f"{n}. {s['description']}" for n, s in enumerate(steps, 1))
    else:
        message = say(ctx, f"Проанализировал {len(figures)} активных адсетов за {period}: правила оптимизации "
                           "ничего менять не предлагают.", f"I analysed {len(figures)} active ad sets over "
                                                            f"{period}: the optimisation rules suggest no changes.")
    return {"period": {"from": first.isoformat(), "to": last.isoformat()}, "analysed": len(figures),
            "targets": {"cpl_cents": target_cpa, "roas": target_roas},
            "proposals": [p.__dict__ for p in proposals], "proposed_steps": steps, "message": message}


def _step(p: Proposal, ctx: ToolContext) -> dict[str, Any]:
    money = lambda cents: format_money(int(cents), ctx.currency)  # noqa: E731
    r = p.reason
    if p.action == "pause":
        why = say(ctx, f"{r['days_without_conversions']} дня подряд расход ({money(r['spend_cents'])}) без лидов",
                  f"{r['days_without_conversions']} days in a row of spend ({money(r['spend_cents'])}) without leads")
        return {"action": "pauseAdSet", "params": {"adsetId": p.id, "reason": why},
                "description": say(ctx, f"Поставить на паузу «{p.name}»: {why}", f"Pause “{p.name}”: {why}")}
    if "roas" in r:
        why = say(ctx, f"ROAS {r['roas']} выше цели {r['target_roas']:.2f} × 1.5",
                  f"ROAS {r['roas']} above the {r['target_roas']:.2f} target × 1.5")
    else:
        why = say(ctx, f"CPL {money(r['cpa_cents'])} выше цели {money(r['target_cpa_cents'])} × 1.5",
                  f"CPL {money(r['cpa_cents'])} above the {money(r['target_cpa_cents'])} target × 1.5")
    change = f"{money(r['budget_cents'])} → {money(p.new_budget_cents or 0)} ({r['change_pct']:+.0f}%)"
    return {"action": "updateBudget", "params": {"adsetId": p.id, "dailyBudgetCents": p.new_budget_cents},
            "description": say(ctx, f"Бюджет «{p.name}»: {change} — {why}", f"Budget of “{p.name}”: {change} — {why}")}

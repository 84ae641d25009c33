"""«Оптимизируй бюджеты»: one plan from the optimizer's rules over the demo data, run exactly as approved."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from turns import new_conversation, turn

from agent_brain import clock
from agent_brain.llm.base import ModelRequest, ModelTurn, ToolCall, TurnDone, Usage
from agent_brain.optimization.budget import ObjectFigures, propose

ACCOUNT = "act_100200300400"


class CallsOptimizer:
    """A model that answers every message with one optimizeBudgets call, then a fixed text."""

    name = "scripted-optimizer"
    is_llm = True

    async def stream(self, request: ModelRequest):  # type: ignore[no-untyped-def]
        if request.messages[-1]["role"] == "user" and request.hints.purpose == "agent":
            call = ToolCall(id=f"c{uuid.uuid4().hex[:6]}", name="optimizeBudgets", arguments='{"days": 7}')
            yield TurnDone(ModelTurn(content=None, tool_calls=(call,), usage=Usage(5, 5), model=self.name))
            return
        yield TurnDone(ModelTurn(content="План готов.", usage=Usage(5, 5), model=self.name))


async def _expected(product) -> list:  # type: ignore[no-untyped-def]
    """The optimizer's rules applied to the same figures read here (targets from the KPI spec: target CPL,
    and ROAS = 1 + target ROI / 100 with the revenue of purchases by each ad set's leads)."""
    today = clock.today_in("Europe/Moscow")
    last, first = today - dt.timedelta(days=1), today - dt.timedelta(days=7)
    async with product["engine"].connect() as conn:
        target, roi = (await conn.execute(text("SELECT (kpi->>'target_cpl_cents')::int, "
                                               "(kpi->>'target_roi_percent')::float FROM business_specs"))).one()
        revenue = dict((await conn.execute(text(
            "SELECT m.fb_adset_id, sum(p.amount_cents) FROM purchases p JOIN leads l ON l.id = p.lead_id "
            "JOIN ad_creative_mapping m ON m.fb_ad_id = l.fb_ad_id "
            "WHERE (p.purchased_at AT TIME ZONE 'Europe/Moscow')::date BETWEEN :f AND :l GROUP BY 1"),
            {"f": first, "l": last})).all())
        rows = (await conn.execute(text(
            "SELECT m.fb_adset_id, h.date, sum(h.spend_cents), sum(h.leads) FROM creative_metrics_history h "
            "JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id WHERE h.date BETWEEN :f AND :l GROUP BY 1, 2"),
            {"f": first, "l": last})).all()
    daily: dict[str, dict] = {}
    for adset, day, spend, leads in rows:
        daily.setdefault(adset, {})[day] = (int(spend), int(leads))
    figures = []
    for s in await product["meta"].list_ad_sets(account_id=ACCOUNT):
        if s.status != "ACTIVE":
            continue
        series = [daily.get(s.id, {}).get(first + dt.timedelta(days=k), (0, 0)) for k in range(7)]
        figures.append(ObjectFigures(s.id, s.name, s.daily_budget_cents, sum(a for a, _ in series),
                                     sum(b for _, b in series), revenue_cents=int(revenue.get(s.id, 0)), daily=series))
    return propose(figures, target_cpa_cents=target, target_roas=1 + roi / 100)


async def test_optimize_budgets_proposes_one_plan_and_runs_it_once_approved(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"](model=CallsOptimizer())
    conv = await new_conversation(orch, product["user_id"], mode="auto")
    events = await turn(orch, product["user_id"], conv, "Оптимизируй бюджеты")
    expected = await _expected(product)
    assert expected, "the demo data should give the optimizer something to do"
    approval = next(e for e in events if e["type"] == "approval_required")
    steps = approval["plan"]["steps"]
    assert [(s["action"], s["params"]["adsetId"]) for s in steps] == [
        ("pauseAdSet" if p.action == "pause" else "updateBudget", p.id) for p in expected]
    assert all(s["params"].get("dailyBudgetCents") == p.new_budget_cents for s, p in zip(steps, expected, strict=True)
               if p.action != "pause")
    assert not any(e["type"] == "tool_start" and e["tool"] != "optimizeBudgets" for e in events)  # nothing ran

    before = {s.id: s for s in await product["meta"].list_ad_sets(account_id=ACCOUNT)}
    async for _ in orch.execute_plan(product["user_id"], uuid.UUID(approval["plan_id"])):
        pass
    after = {s.id: s for s in await product["meta"].list_ad_sets(account_id=ACCOUNT)}
    for p in expected:
        if p.action == "pause":
            assert after[p.id].status == "PAUSED"
        else:
            assert after[p.id].daily_budget_cents == p.new_budget_cents != before[p.id].daily_budget_cents

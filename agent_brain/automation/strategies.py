"""Optimizer and bandit rules: the budget optimizer (`optimizeBudgets`) and the creative bandit
(`suggestCreativeRotation`) run on a rule's schedule and propose their plans.

Each due rule (its schedule, like metric rules; marked evaluated in the same statement that picks
it) runs the very tool a chat would, for the rule's owner and account, and turns the tool's
`proposed_steps` into one plan, delivered like a metric rule's (the owner's conversation, Telegram
with ✅/❌). The guardrails of `agent_brain.automation.act` apply to every step before it is planned:
once per object and window, a cooldown per rule and object, in auto mode a cap of changes per object
and day, a budget moved at most ±50 % and never above the KPI's daily cap. In propose mode (the
default) nothing runs until the user approves; in auto mode the plan runs through the same executor,
journal and verification as every write — only the steps that passed the guardrails are in it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import select, text

from agent_brain import clock
from agent_brain.automation.act import ExecutePlan, Notify, RulesRun, _Target, _target, conversation_for
from agent_brain.automation.rules import MAX_CHANGE_PCT
from agent_brain.automation.store import RulesStore, StoredRule
from agent_brain.db.models import AdAccount, User
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.stores.records import NewMessage, Plan, PlanStep
from agent_brain.stores.unified import UnifiedStore

log = logging.getLogger(__name__)

_DUE = text("""
UPDATE automation_rules SET last_evaluated_at = CAST(:now AS timestamptz)
WHERE enabled AND kind <> 'metric' AND (CAST(:only AS uuid[]) IS NULL OR id = ANY(CAST(:only AS uuid[])))
  AND (CAST(:force AS boolean) OR last_evaluated_at IS NULL
       OR last_evaluated_at <= CAST(:now AS timestamptz) - make_interval(hours => schedule_hours))
RETURNING id""")
_OBJECT_PARAMS = ("adsetId", "creativeId", "campaignId", "directionId")


async def run_strategy_rules(engine: Any, platform: MetaAdapter, store: UnifiedStore, *,
                             now: dt.datetime | None = None, only: list[uuid.UUID] | None = None,
                             force: bool = False, execute_plan: ExecutePlan | None = None,
                             notify: Notify | None = None) -> RulesRun:
    """Run every due optimizer / bandit rule once (each picked by one worker), propose or act."""
    now = now or clock.now()
    async with engine.begin() as conn:
        ids = list((await conn.execute(_DUE, {"now": now, "only": only, "force": force})).scalars())
    run = RulesRun(evaluated=len(ids))
    if not ids:
        return run
    rules = RulesStore(engine)
    stored = await rules.get_many(ids)
    longest = max(r.spec.cooldown_hours for r in stored.values())
    recent = await rules.recent_outcomes(ids, now - dt.timedelta(hours=max(longest, 24)))
    events: list[dict[str, Any]] = []
    for rule in stored.values():
        try:
            events.extend(await _run_one(engine, platform, store, rule, recent, now, run,
                                         execute_plan=execute_plan, notify=notify))
        except Exception as exc:  # one rule's failure never stops the others
            log.exception("strategy rule %s failed", rule.id)
            today = now.date()
            events.append({"rule_id": rule.id, "object_id": "rule", "object_name": None, "window_from": today,
                           "window_to": today, "metric_value": None, "outcome": "failed", "plan_id": None,
                           "detail": {"error": f"{type(exc).__name__}: {exc}"[:500]}})
    for e in events:
        run.outcomes[e["outcome"]] += 1
    await rules.log(events)
    return run


async def _run_one(engine: Any, platform: MetaAdapter, store: UnifiedStore, rule: StoredRule, recent: list[Any],
                   now: dt.datetime, run: RulesRun, *, execute_plan: ExecutePlan | None,
                   notify: Notify | None) -> list[dict[str, Any]]:
    from agent_brain.agents.ads import tools as ads_tools  # the agents import the automation package
    from agent_brain.agents.creative.tools import tools as creative_tools
    from agent_brain.tools.context import ToolContext
    from agent_brain.tools.registry import run_tool

    async with engine.connect() as conn:
        owner = (await conn.execute(select(User.language, AdAccount.external_id, AdAccount.currency,
                                           AdAccount.timezone).join(AdAccount, AdAccount.user_id == User.id)
                                    .where(AdAccount.id == rule.ad_account_id))).one()
    language = "en" if owner.language == "en" else "ru"
    ru = language == "ru"
    today = now.astimezone(clock.zone(owner.timezone)).date()
    window_to = today - dt.timedelta(days=1)
    window_from = window_to - dt.timedelta(days=rule.spec.window_days - 1)
    ctx = ToolContext(user_id=rule.user_id, engine=engine, meta=platform,
                      writes=WriteGuard(IdempotentExecutor(engine)),  # the tools only read; plans write later
                      ad_account_id=rule.ad_account_id, platform_account_id=owner.external_id,
                      currency=owner.currency, timezone=owner.timezone, language=language, today=today)
    spec = rule.spec
    if spec.kind == "optimizer":
        tool, raw = ads_tools.get("optimizeBudgets"), {"days": spec.window_days}
    else:
        tool = creative_tools.get("suggestCreativeRotation")
        raw = {"adsetId": (spec.scope_ids or [""])[0], "dateFrom": window_from.isoformat(),
               "dateTo": window_to.isoformat()}
    outcome = await run_tool(tool, tool.validate(raw), ctx)

    def event(object_id: str, name: str | None, result: str, plan_id: uuid.UUID | None = None,
              detail: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"rule_id": rule.id, "object_id": object_id[:64], "object_name": name, "window_from": window_from,
                "window_to": window_to, "metric_value": None, "outcome": result, "plan_id": plan_id,
                "detail": detail or {}}

    if not outcome.success or outcome.data is None:
        return [event("rule", None, "failed", detail={"error": outcome.error, "code": outcome.code})]
    proposed = outcome.data.get("proposed_steps") or []
    # Names, budgets and the KPI cap of the account's ad sets, read as a metric rule on ad sets reads them.
    as_adsets = dataclasses.replace(rule, spec=spec.model_copy(update={"scope_level": "adset"}))
    target = await _target(engine, platform, as_adsets, owner.external_id, {})
    events: list[dict[str, Any]] = []
    steps: list[PlanStep] = []
    acting: list[tuple[str, str | None]] = []
    for raw_step in proposed:
        params = dict(raw_step.get("params") or {})
        object_id = next((str(params[k]) for k in _OBJECT_PARAMS if k in params), "?")
        name = target.names.get(object_id)
        why = _guardrail(rule, object_id, window_to, recent, now)
        if why is None and raw_step.get("action") == "updateBudget":
            params, why = _bounded(params, target)
        if why is not None:
            events.append(event(object_id, name, why, detail={"step": raw_step.get("description")}))
            continue
        steps.append(PlanStep(action=raw_step["action"], params=params, dangerous=True,
                              description=raw_step.get("description") or raw_step["action"]))
        acting.append((object_id, name))
    words = spec.name or spec.describe(language, owner.currency)
    if not steps:  # every step held back by a guardrail (logged above), or the strategy proposes nothing
        return events or [event("rule", None, "skipped_state", detail={"reason": "nothing to change",
                                                                        "message": outcome.data.get("message")})]
    head = (f"⚙️ Правило «{words}»:" if ru else f"⚙️ Rule “{words}”:")
    summary = head + " " + ("предлагаю план." if ru else "here is a plan.")
    conversation_id = await conversation_for(engine, store, rule.user_id)
    plan = await store.create_pending_plan(conversation_id, rule.user_id, Plan(steps=steps, summary=summary),
                                           source="web")
    run.plans.append(plan.id)
    plan_json = {**plan.plan_json, "plan_id": str(plan.id), "rule_id": str(rule.id)}
    tail = (("Подтвердите план, чтобы выполнить." if ru else "Approve the plan to run it.") if spec.mode == "propose"
            else ("Выполняю автоматически (режим auto, в пределах ограничений)." if ru
                  else "Acting automatically (auto mode, within the guardrails)."))
    message = "\n".join([head, *(f"• {s.description}" for s in steps), "", tail])
    await store.add_message(conversation_id, NewMessage(role="assistant", content=message, domain="automation",
                                                        plan_json=plan_json))
    if spec.mode == "auto" and execute_plan is not None:
        status = await execute_plan(rule.user_id, plan.id)
        result = "executed" if status == "completed" else "failed"
        return events + [event(o, n, result, plan.id, {"plan_status": status}) for o, n in acting]
    if notify:
        await notify(rule.user_id, conversation_id, message, {"plan": plan_json})
    return events + [event(o, n, "proposed", plan.id) for o, n in acting]


def _guardrail(rule: StoredRule, object_id: str, window_to: dt.date, recent: list[Any], now: dt.datetime) -> str | None:
    """act.py's checks for one object: once per window, the cooldown, and the daily cap in auto mode."""
    mine = [e for e in recent if e.object_id == object_id and e.rule_id == rule.id]
    if any(e.window_to == window_to for e in mine):
        return "skipped_window"
    if any(e.created_at >= now - dt.timedelta(hours=rule.spec.cooldown_hours) for e in mine):
        return "skipped_cooldown"
    day = now - dt.timedelta(hours=24)
    if rule.spec.mode == "auto" and sum(e.outcome == "executed" and e.created_at >= day
                                        for e in mine) >= rule.spec.max_changes_per_day:
        return "skipped_cap"
    return None


def _bounded(params: dict[str, Any], target: _Target) -> tuple[dict[str, Any], str | None]:
    """A budget step within ±50 % of the current budget and under the KPI's daily cap, or why not."""
    current = target.budgets.get(str(params.get("adsetId")))
    wanted = int(params.get("dailyBudgetCents") or 0)
    if not current or not wanted:
        return params, "skipped_state"
    low, high = current * (1 - MAX_CHANGE_PCT / 100), current * (1 + MAX_CHANGE_PCT / 100)
    new = round(min(max(wanted, low), high))
    if target.budgets.get("__cap__"):
        new = min(new, target.budgets["__cap__"])
    if new == current:
        return params, "skipped_state"  # already at its limit
    return {**params, "dailyBudgetCents": new}, None

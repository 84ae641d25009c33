"""What a firing rule does: propose a plan (default), act within guardrails (auto), or notify.

A firing never writes by itself: it becomes a plan made of the same tool steps a chat turn would
plan, stored like any other plan and delivered into the owner's conversation (their Telegram chat
when linked, else their latest web conversation). Approved — by the user, or by the rule itself in
auto mode — it runs through the same executor, idempotency and verification as every write.

Rules apply to any platform: a rule on a TikTok or Google Ads account reads that platform's objects
through its adapter (`platforms`, with the account's own token when one is stored) and its plan
steps name the platform, so they act through the same platform router as a chat turn.

Guardrails, checked against the rules' log before anything is planned: once per object and window;
a cooldown per rule and object; in auto mode a cap of changes per object and day; a budget moves
at most ±50 % at a time and never above a daily cap derived from the KPI monthly budget.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text

from agent_brain import clock
from agent_brain.automation.evaluate import Firing, evaluate_due
from agent_brain.automation.rules import ACTION_TOOLS, MAX_CHANGE_PCT, RuleSpec
from agent_brain.automation.store import RulesStore, StoredRule
from agent_brain.db.models import AdAccount, Conversation, Direction, User
from agent_brain.money import format_money
from agent_brain.platforms.base import PlatformAdapter
from agent_brain.platforms.graph.client import token_scope
from agent_brain.platforms.jsonapi.client import api_token_scope
from agent_brain.stores.records import NewMessage, Plan, PlanStep
from agent_brain.stores.unified import UnifiedStore

log = logging.getLogger(__name__)

# (user_id, plan_id) → the plan's outcome ("completed", "failed", …); the orchestrator's executor in production.
ExecutePlan = Callable[[uuid.UUID, uuid.UUID], Awaitable[str]]
# (user_id, conversation_id, text, payload): deliver beyond the conversation (e.g. Telegram); the payload
# may carry {"plan": plan_json} (approve buttons) or {"chart": {"series": …}} (a chart).
Notify = Callable[[uuid.UUID, uuid.UUID, str, dict[str, Any] | None], Awaitable[None]]


@dataclass
class RulesRun:
    evaluated: int = 0
    firings: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    plans: list[uuid.UUID] = field(default_factory=list)


@dataclass
class _Target:
    """The platform's view of the objects a rule touches (names, budgets), read once per run."""

    names: dict[str, str] = field(default_factory=dict)
    budgets: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)


async def run_rules(engine: Any, platform: PlatformAdapter, store: UnifiedStore, *, now: dt.datetime | None = None,
                    only: list[uuid.UUID] | None = None, force: bool = False,
                    execute_plan: ExecutePlan | None = None, notify: Notify | None = None,
                    platforms: Mapping[str, PlatformAdapter] | None = None, cipher: Any = None) -> RulesRun:
    """Evaluate the due rules (one statement), then propose, execute or notify for what fired.

    `platform` is Meta's adapter; `platforms` the others by name ("tiktok", "google"); `cipher`
    opens the accounts' own tokens for the reads made here (plans run with them anyway)."""
    adapters: dict[str, PlatformAdapter] = {**(platforms or {}), "meta": platform}
    now = now or clock.now()
    rules = RulesStore(engine)
    async with engine.begin() as conn:
        evaluated, firings = await evaluate_due(conn, now, only=only, force=force)
    run = RulesRun(evaluated=evaluated, firings=len(firings))
    if not firings:
        return run
    by_rule: dict[uuid.UUID, list[Firing]] = defaultdict(list)
    for f in firings:
        by_rule[f.rule_id].append(f)
    stored = await rules.get_many(list(by_rule))
    longest = max(r.spec.cooldown_hours for r in stored.values())
    recent = await rules.recent_outcomes(list(by_rule), now - dt.timedelta(hours=max(longest, 24)))
    targets: dict[tuple[uuid.UUID, str], _Target] = {}
    events: list[dict[str, Any]] = []
    for rule_id, rule_firings in by_rule.items():
        rule = stored[rule_id]
        acting: list[Firing] = []
        for f in rule_firings:
            outcome = _guardrail(rule, f, recent, now)
            if outcome:
                events.append(_event(f, outcome))
            else:
                acting.append(f)
        if not acting:
            continue
        try:
            events.extend(await _act(engine, adapters, store, rule, acting, targets, now, run,
                                     execute_plan=execute_plan, notify=notify, cipher=cipher))
        except Exception as exc:  # one rule's failure never stops the others
            log.exception("rule %s failed to act", rule_id)
            events.extend(_event(f, "failed", detail={"error": f"{type(exc).__name__}: {exc}"[:500]})
                          for f in acting)
    for e in events:
        run.outcomes[e["outcome"]] += 1
    await rules.log(events)
    return run


def _guardrail(rule: StoredRule, firing: Firing, recent: list[Any], now: dt.datetime) -> str | None:
    """Why this firing must not act now (an outcome to log), or None."""
    mine = [e for e in recent if e.object_id == firing.object_id]
    if any(e.rule_id == rule.id and e.window_to == firing.window_to for e in mine):
        return "skipped_window"
    cooldown = now - dt.timedelta(hours=rule.spec.cooldown_hours)
    if any(e.rule_id == rule.id and e.created_at >= cooldown for e in mine):
        return "skipped_cooldown"
    if rule.spec.mode == "auto" and rule.spec.action != "notify":
        day_start = now - dt.timedelta(hours=24)
        if sum(1 for e in mine if e.outcome == "executed" and e.created_at >= day_start) >= rule.spec.max_changes_per_day:
            return "skipped_cap"
    return None


def _event(f: Firing, outcome: str, *, plan_id: uuid.UUID | None = None,
           detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"rule_id": f.rule_id, "object_id": f.object_id, "object_name": f.object_name,
            "window_from": f.window_from, "window_to": f.window_to, "metric_value": f.value,
            "outcome": outcome, "plan_id": plan_id, "detail": detail or {}}


async def _act(engine: Any, adapters: Mapping[str, PlatformAdapter], store: UnifiedStore, rule: StoredRule,
               firings: list[Firing], targets: dict[tuple[uuid.UUID, str], _Target], now: dt.datetime, run: RulesRun,
               *, execute_plan: ExecutePlan | None, notify: Notify | None, cipher: Any = None) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        owner = (await conn.execute(select(User.language, AdAccount.external_id, AdAccount.currency,
                                           AdAccount.platform, AdAccount.access_token_encrypted)
                                    .join(AdAccount, AdAccount.user_id == User.id)
                                    .where(AdAccount.id == rule.ad_account_id))).one()
    language, currency = owner.language or "ru", owner.currency
    ru = language == "ru"
    spec = rule.spec
    platform = adapters.get(owner.platform)
    if platform is None:
        raise LookupError(f"no adapter for the {owner.platform} account of rule {rule.id}")
    if hasattr(platform, "attach"):
        platform.attach(owner.external_id)  # TikTok / Google: make the account's objects findable
    token = cipher.decrypt(owner.access_token_encrypted) if cipher and owner.access_token_encrypted else None
    with token_scope(token if owner.platform == "meta" else None), api_token_scope({owner.platform: token}):
        target = await _target(engine, platform, rule, owner.external_id, targets)
    firings = [f if f.object_name else dataclasses.replace(f, object_name=target.names.get(f.object_id))
               for f in firings]
    conversation_id = await conversation_for(engine, store, rule.user_id)
    lines = [_firing_line(spec, f, ru, currency) for f in firings]
    head = (f"⚙️ Правило «{spec.name or spec.describe(language, currency)}» сработало:" if ru
            else f"⚙️ Rule “{spec.name or spec.describe(language, currency)}” fired:")
    if spec.action == "notify":
        message = "\n".join([head, *lines])
        await store.add_message(conversation_id, NewMessage(role="assistant", content=message, domain="automation"))
        if notify:
            await notify(rule.user_id, conversation_id, message, None)
        return [_event(f, "notified") for f in firings]
    steps, acting, skipped = _steps(spec, firings, target, ru, currency,
                                    None if owner.platform == "meta" else owner.platform)
    events = [_event(f, "skipped_state", detail={"reason": why}) for f, why in skipped]
    if not steps:
        return events
    summary = head + " " + ("предлагаю план." if ru else "here is a plan.")
    plan = await store.create_pending_plan(conversation_id, rule.user_id, Plan(steps=steps, summary=summary),
                                           source="web")
    run.plans.append(plan.id)
    plan_json = {**plan.plan_json, "plan_id": str(plan.id), "rule_id": str(rule.id)}
    message = "\n".join([head, *lines, "", ("Подтвердите план, чтобы выполнить." if ru else "Approve the plan to run it.")
                         if spec.mode == "propose" else ("Выполняю автоматически (режим auto)." if ru
                                                         else "Acting automatically (auto mode).")])
    await store.add_message(conversation_id, NewMessage(role="assistant", content=message, domain="automation",
                                                        plan_json=plan_json))
    if spec.mode == "auto" and execute_plan is not None:
        status = await execute_plan(rule.user_id, plan.id)
        outcome = "executed" if status == "completed" else "failed"
        return events + [_event(f, outcome, plan_id=plan.id, detail={"plan_status": status}) for f in acting]
    if notify:
        await notify(rule.user_id, conversation_id, message, {"plan": plan_json})
    return events + [_event(f, "proposed", plan_id=plan.id) for f in acting]


def _firing_line(spec: RuleSpec, f: Firing, ru: bool, currency: str) -> str:
    value = (format_money(round(f.value), currency) if spec.metric in ("cpl", "cpm", "spend")
             else f"{f.value:.2f}%" if spec.metric == "ctr" else f"{f.value:g}")
    name = f.object_name or f.object_id
    period = f"{f.window_from}…{f.window_to}" if f.window_from != f.window_to else str(f.window_to)
    return (f"• «{name}»: {spec.metric.upper()} {value} ({period}, расход {format_money(f.spend_cents, currency)})"
            if ru else f"• “{name}”: {spec.metric.upper()} {value} ({period}, spend {format_money(f.spend_cents, currency)})")


def _steps(spec: RuleSpec, firings: list[Firing], target: _Target, ru: bool, currency: str,
           platform: str | None = None) -> tuple[list[PlanStep], list[Firing], list[tuple[Firing, str]]]:
    """A plan step per firing object, the firings they act on, and those skipped with the reason;
    on TikTok / Google Ads each step names its `platform` (the tools route by it)."""
    tool = ACTION_TOOLS[(spec.scope_level, spec.action)]
    key = {"adset": "adsetId", "campaign": "campaignId", "direction": "directionId", "creative": "creativeId"}[spec.scope_level]
    steps: list[PlanStep] = []
    acting: list[Firing] = []
    skipped: list[tuple[Firing, str]] = []
    for f in firings:
        name = f.object_name or f.object_id
        status = target.statuses.get(f.object_id)
        if spec.action == "pause" and status == "PAUSED" or spec.action == "resume" and status == "ACTIVE":
            skipped.append((f, f"already {status}"))
            continue
        params: dict[str, Any] = {key: f.object_id, **({"platform": platform} if platform else {})}
        if spec.action in ("budget_pct", "budget_set"):
            current = target.budgets.get(f.object_id)
            if not current:
                skipped.append((f, "no daily budget to change"))
                continue
            wanted = current * (1 + (spec.action_value or 0) / 100) if spec.action == "budget_pct" else spec.action_value or 0
            low, high = current * (1 - MAX_CHANGE_PCT / 100), current * (1 + MAX_CHANGE_PCT / 100)
            new = round(min(max(wanted, low), high))
            if target.budgets.get("__cap__"):
                new = min(new, target.budgets["__cap__"])
            if new == current:
                skipped.append((f, "budget already at its limit"))
                continue
            params["dailyBudgetCents"] = new
            what = (f"бюджет «{name}»: {format_money(current, currency)} → {format_money(new, currency)} в день" if ru
                    else f"budget of “{name}”: {format_money(current, currency)} → {format_money(new, currency)} a day")
        else:
            verbs = {"pause": ("поставить на паузу", "pause"), "resume": ("включить", "resume")}[spec.action]
            what = f"{verbs[0]} «{name}»" if ru else f"{verbs[1]} “{name}”"
        if spec.action in ("pause", "resume") and tool not in ("pauseCreative",):
            params["reason"] = ("правило автоматизации" if ru else "automation rule")
        steps.append(PlanStep(action=tool, params=params, description=what, dangerous=True))
        acting.append(f)
    return steps, acting, skipped


async def _target(engine: Any, platform: PlatformAdapter, rule: StoredRule, external_id: str,
                  cache: dict[tuple[uuid.UUID, str], _Target]) -> _Target:
    key = (rule.ad_account_id, rule.spec.scope_level)
    if key in cache:
        return cache[key]
    target = _Target()
    level = rule.spec.scope_level
    if level == "adset":
        for s in await platform.list_ad_sets(account_id=external_id):
            target.names[s.id], target.statuses[s.id] = s.name, s.status
            if s.daily_budget_cents:
                target.budgets[s.id] = s.daily_budget_cents
    elif level == "campaign":
        for c in await platform.list_campaigns(external_id):
            target.names[c.id], target.statuses[c.id] = c.name, c.status
    elif level == "direction":
        async with engine.connect() as conn:
            for d in (await conn.execute(select(Direction.id, Direction.name, Direction.daily_budget_cents,
                                                Direction.campaign_status)
                                         .where(Direction.ad_account_id == rule.ad_account_id))).all():
                target.names[str(d.id)], target.budgets[str(d.id)] = d.name, d.daily_budget_cents
                target.statuses[str(d.id)] = d.campaign_status
    async with engine.connect() as conn:
        monthly = (await conn.execute(text(  # the account's KPI, else the user's general one
            "SELECT (kpi->>'monthly_budget_cents')::bigint FROM business_specs WHERE user_id = :u "
            "AND (ad_account_id = :a OR ad_account_id IS NULL) ORDER BY ad_account_id NULLS LAST LIMIT 1"),
            {"u": rule.user_id, "a": rule.ad_account_id})).scalar()
    if monthly:
        target.budgets["__cap__"] = monthly // 30  # no single object above a day's share of the monthly budget
    cache[key] = target
    return target


async def conversation_for(engine: Any, store: UnifiedStore, user_id: uuid.UUID) -> uuid.UUID:
    """Where a rule talks to its owner: their Telegram chat when linked, else their latest web conversation."""
    async with engine.connect() as conn:
        found = (await conn.execute(
            select(Conversation.id).where(Conversation.user_id == user_id, Conversation.source.in_(("telegram", "web")))
            .order_by((Conversation.source == "telegram").desc(), Conversation.updated_at.desc()).limit(1))).scalar()
    if found:
        return found  # type: ignore[no-any-return]
    return (await store.get_or_create(user_id=user_id, source="web")).id

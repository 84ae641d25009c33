"""Editing a rule by chat: «поменяй порог правила 2 на $35», «сделай правило про CPL каждые 2 часа».

Like creation, the rule as it would become is restated and backtested first (`previewRuleUpdate`, a
read), and the change is a plan the user approves (`updateRule`, always confirmed). The rule is
named by its number in listRules, its id, or the metric it watches (the one rule about CPL); the
new values are validated as a whole rule (the ±50 % guardrail, actions per level…).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from agent_brain.agents.ads.automation import _backtest_summary
from agent_brain.agents.ads.tools import tools
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RuleNotFoundError, RulesStore, StoredRule
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError

_CHANGES = {"threshold": "threshold", "operator": "operator", "windowDays": "window_days",
            "action": "action", "actionValue": "action_value", "mode": "mode", "scheduleHours": "schedule_hours"}


class UpdateRuleArgs(BaseModel):
    """Which rule (exactly one of ruleId, ruleNumber, ruleMetric) and what changes (at least one)."""

    ruleId: uuid.UUID | None = None
    ruleNumber: int | None = Field(default=None, ge=1, le=1000, description="The rule's number in listRules (1 = first)")
    ruleMetric: Literal["cpl", "ctr", "cpm", "spend", "leads", "frequency"] | None = Field(
        default=None, description="The rule about this metric, when the user names it that way")
    threshold: float | None = Field(default=None, ge=0, le=1_000_000_000,
                                    description="New threshold: money in cents ($35 = 3500), CTR in %, counts")
    operator: Literal[">", ">=", "<", "<="] | None = None
    windowDays: int | None = Field(default=None, ge=1, le=90)
    action: Literal["notify", "pause", "resume", "budget_pct", "budget_set"] | None = None
    actionValue: float | None = Field(default=None, ge=-1_000_000_000, le=1_000_000_000)
    mode: Literal["propose", "auto"] | None = None
    scheduleHours: int | None = Field(default=None, ge=1, le=168, description="How often it is checked, in hours")

    @model_validator(mode="after")
    def _valid(self) -> UpdateRuleArgs:
        if sum(v is not None for v in (self.ruleId, self.ruleNumber, self.ruleMetric)) != 1:
            raise ValueError("give exactly one of ruleId, ruleNumber, ruleMetric")
        if not self.changes():
            raise ValueError("give at least one change: " + ", ".join(_CHANGES))
        return self

    def changes(self) -> dict[str, Any]:
        return {field: getattr(self, name) for name, field in _CHANGES.items() if getattr(self, name) is not None}


async def _rule(ctx: ToolContext, args: UpdateRuleArgs) -> StoredRule:
    store = RulesStore(ctx.engine)
    if args.ruleId is not None:
        try:
            return await store.get(ctx.user_id, args.ruleId)
        except RuleNotFoundError:
            raise ToolError(say(ctx, "Такого правила нет.", "No such rule."), code="not_found") from None
    rules = await store.list(ctx.user_id)
    if args.ruleNumber is not None:
        if not 1 <= args.ruleNumber <= len(rules):
            raise ToolError(say(ctx, f"Правила №{args.ruleNumber} нет: всего правил {len(rules)}.",
                                f"There is no rule #{args.ruleNumber}: there are {len(rules)}."), code="not_found")
        return rules[args.ruleNumber - 1]
    about = [(n, r) for n, r in enumerate(rules, 1) if r.spec.metric == args.ruleMetric]
    if len(about) == 1:
        return about[0][1]
    if not about:
        raise ToolError(say(ctx, f"Правила про {args.ruleMetric.upper() if args.ruleMetric else ''} нет.",
                            f"There is no rule about {args.ruleMetric}."), code="not_found")
    listed = "; ".join(f"{n}. {r.spec.describe(ctx.language, ctx.currency)}" for n, r in about[:5])
    raise ToolError(say(ctx, f"Таких правил несколько — какое изменить (номер)? {listed}",
                        f"Several rules match — which one (its number)? {listed}"), code="ambiguous")


def _changed(ctx: ToolContext, rule: StoredRule, args: UpdateRuleArgs) -> RuleSpec:
    values = args.changes()
    if rule.spec.kind != "metric" and set(values) - {"window_days", "mode", "schedule_hours"}:
        raise ToolError(say(ctx, "У правила оптимизатора или ротации можно менять только период, режим и расписание.",
                            "An optimizer or rotation rule only takes a new window, mode or schedule."),
                        code="invalid_rule")
    if values.get("action") in ("notify", "pause", "resume") and "action_value" not in values:
        values["action_value"] = None
    try:
        return RuleSpec.model_validate({**rule.spec.model_dump(), **values})
    except ValueError as exc:
        raise ToolError(say(ctx, f"Так правило не изменить: {exc}", f"The rule cannot be changed so: {exc}"),
                        code="invalid_rule") from None


@tools.tool(kind=READ)
async def previewRuleUpdate(args: UpdateRuleArgs, ctx: ToolContext) -> dict[str, Any]:
    """Show an edit of a rule before it is saved: the rule now and as it would become, in words, and a
    backtest of the new version on the last 30 days. Use before updateRule."""
    rule = await _rule(ctx, args)
    spec = _changed(ctx, rule, args)
    test = (await _backtest_summary(ctx, spec) if spec.kind == "metric" else
            {"hits": [], "effect_cents": 0, "text": say(ctx, "Это правило предлагает план при каждом запуске — "
                                                             "бэктеста по порогу у него нет.",
                                                        "This rule proposes a plan each time it runs — it has no "
                                                        "threshold to backtest.")})
    before, after = rule.spec.describe(ctx.language, ctx.currency), spec.describe(ctx.language, ctx.currency)
    message = say(ctx, f"Сейчас: {before}\nСтанет: {after}\n{test['text']}",
                  f"Now: {before}\nWill be: {after}\n{test['text']}")
    return {"rule_id": str(rule.id), "before": before, "description": after, "rule": spec.model_dump(mode="json"),
            "backtest": test, "message": message}


@tools.tool(kind=WRITE, dangerous=True)
async def updateRule(args: UpdateRuleArgs, ctx: ToolContext) -> dict[str, Any]:
    """Change a rule's threshold, condition, window, action, mode or schedule (the rule by its number in
    listRules, its id, or the metric it watches). Always needs the user's confirmation."""
    rule = await _rule(ctx, args)
    spec = _changed(ctx, rule, args)
    fields = {k: v for k, v in spec.model_dump().items() if k != "scope_names"}
    stored = await RulesStore(ctx.engine).update(ctx.user_id, rule.id, **fields)
    words = stored.spec.describe(ctx.language, ctx.currency)
    return {"rule_id": str(stored.id), "description": words, "target": {"id": str(stored.id), "name": words},
            "message": say(ctx, f"Правило изменено: {words}", f"Rule changed: {words}")}

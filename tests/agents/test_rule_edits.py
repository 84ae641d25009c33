"""Editing a rule: the rule by number, id or metric; the new version restated and backtested before it
is saved (equal to a backtest of the edited spec); the change validated as a whole rule."""

from __future__ import annotations

import datetime as dt

from tool_calls import make_callers

from agent_brain.agents.ads import AGENT
from agent_brain.automation.evaluate import backtest
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RulesStore
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE

call, ok = make_callers(AGENT.tools)
RULE = {"level": "adset", "metric": "cpl", "operator": ">", "threshold": 4000, "windowDays": 1, "action": "pause"}


def test_declarations() -> None:
    kinds = {t.name: (t.kind, t.dangerous) for t in AGENT.tools}
    assert kinds["previewRuleUpdate"] == (READ, False) and kinds["updateRule"] == (WRITE, True)


async def test_preview_restates_and_backtests_the_edit_without_saving(tool_ctx: ToolContext) -> None:
    await ok(tool_ctx, "createRule", **{**RULE, "action": "notify", "level": "account", "metric": "spend",
                                        "threshold": 100000})
    await ok(tool_ctx, "createRule", **RULE)
    data = await ok(tool_ctx, "previewRuleUpdate", ruleNumber=2, threshold=3500)
    assert data["before"].startswith("Если CPL адсета выше $40.00")
    assert data["description"].startswith("Если CPL адсета выше $35.00 за сутки — поставить на паузу.")
    edited = RuleSpec(scope_level="adset", metric="cpl", operator=">", threshold=3500, action="pause")
    expected = await backtest(tool_ctx.engine, edited, ad_account_id=tool_ctx.ad_account_id,
                              last_day=tool_ctx.today - dt.timedelta(days=1))
    assert len(data["backtest"]["hits"]) == len(expected.hits)
    assert data["backtest"]["effect_cents"] == expected.effect_cents(edited)
    assert "Сейчас:" in data["message"] and "Станет:" in data["message"]
    [_, stored] = await RulesStore(tool_ctx.engine).list(tool_ctx.user_id)
    assert stored.spec.threshold == 4000  # a preview saves nothing


async def test_update_by_metric_changes_only_what_was_asked(tool_ctx: ToolContext) -> None:
    created = await ok(tool_ctx, "createRule", **RULE)
    data = await ok(tool_ctx, "updateRule", ruleMetric="cpl", scheduleHours=2)
    assert data["rule_id"] == created["rule_id"] and "каждые 2 ч" in data["message"]
    [rule] = await RulesStore(tool_ctx.engine).list(tool_ctx.user_id)
    assert (rule.spec.schedule_hours, rule.spec.threshold, rule.spec.action) == (2, 4000, "pause")


async def test_unknown_ambiguous_and_invalid_edits_are_refused(tool_ctx: ToolContext) -> None:
    missing = await call(tool_ctx, "updateRule", ruleNumber=1, threshold=3500)
    assert not missing.success and missing.error_code == "not_found"
    await ok(tool_ctx, "createRule", **RULE)
    await ok(tool_ctx, "createRule", **{**RULE, "level": "campaign"})
    both = await call(tool_ctx, "previewRuleUpdate", ruleMetric="cpl", threshold=3500)
    assert not both.success and both.error_code == "ambiguous" and "1." in (both.error or "")
    too_much = await call(tool_ctx, "updateRule", ruleNumber=1, action="budget_pct", actionValue=80)
    assert not too_much.success and too_much.error_code == "invalid_rule"  # the ±50 % guardrail holds
    [first, _] = await RulesStore(tool_ctx.engine).list(tool_ctx.user_id)
    assert first.spec.action == "pause"


async def test_an_optimizer_rule_takes_a_new_schedule_but_no_threshold(tool_ctx: ToolContext) -> None:
    await RulesStore(tool_ctx.engine).create(tool_ctx.user_id, tool_ctx.ad_account_id,  # type: ignore[arg-type]
                                             RuleSpec.strategy("optimizer"))
    preview = await ok(tool_ctx, "previewRuleUpdate", ruleNumber=1, scheduleHours=12)
    assert "каждые 12 ч" in preview["description"] and preview["backtest"]["hits"] == []
    refused = await call(tool_ctx, "updateRule", ruleNumber=1, threshold=3500)
    assert not refused.success and refused.error_code == "invalid_rule"
    await ok(tool_ctx, "updateRule", ruleNumber=1, scheduleHours=12)
    [rule] = await RulesStore(tool_ctx.engine).list(tool_ctx.user_id)
    assert (rule.spec.kind, rule.spec.schedule_hours) == ("optimizer", 12)

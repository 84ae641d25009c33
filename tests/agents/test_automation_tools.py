"""The automation agent's tools against the demo world: preview and save a rule, its activity, reports."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import text
from tool_calls import make_callers

from agent_brain.agents.ads import AGENT
from agent_brain.automation.evaluate import backtest
from agent_brain.automation.rules import RuleSpec
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE

call, ok = make_callers(AGENT.tools)
RULE = {"level": "adset", "metric": "cpl", "operator": ">", "threshold": 4000, "windowDays": 1, "action": "pause"}


def test_declarations() -> None:
    kinds = {t.name: (t.kind, t.dangerous) for t in AGENT.tools}
    assert kinds["previewRule"] == (READ, False) and kinds["createRule"] == (WRITE, True)
    assert kinds["deleteRule"] == (WRITE, True) and kinds["createReportSchedule"] == (WRITE, False)


async def test_preview_restates_and_backtests_the_rule_without_saving(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "previewRule", **RULE)
    assert data["description"].startswith("Если CPL адсета выше $40.00 за сутки — поставить на паузу.")
    expected = await backtest(tool_ctx.engine, RuleSpec(scope_level="adset", metric="cpl", operator=">",
                                                        threshold=4000, action="pause"),
                              ad_account_id=tool_ctx.ad_account_id, last_day=tool_ctx.today - dt.timedelta(days=1))
    assert len(data["backtest"]["hits"]) == len(expected.hits)
    assert data["backtest"]["effect_cents"] == expected.effect_cents(RuleSpec(
        scope_level="adset", metric="cpl", operator=">", threshold=4000, action="pause"))
    async with tool_ctx.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM automation_rules"))).scalar_one() == 0


async def test_a_named_object_is_resolved_and_an_ambiguous_one_asked_about(tool_ctx: ToolContext) -> None:
    ad_sets = await tool_ctx.meta.list_ad_sets(account_id=tool_ctx.platform_account_id)
    one = ad_sets[0]
    data = await ok(tool_ctx, "createRule", **{**RULE, "scopeName": one.name})
    assert f"«{one.name}»" in data["description"]
    async with tool_ctx.engine.connect() as conn:
        scope = (await conn.execute(text("SELECT scope_ids FROM automation_rules"))).scalar_one()
    assert scope == [one.id]
    missing = await call(tool_ctx, "createRule", **{**RULE, "scopeName": "Нет такого адсета"})
    assert not missing.success and missing.error_code == "not_found"


async def test_rules_are_listed_switched_and_deleted(tool_ctx: ToolContext) -> None:
    created = await ok(tool_ctx, "createRule", **{**RULE, "action": "notify", "level": "account"})
    listed = await ok(tool_ctx, "listRules")
    assert [i["id"] for i in listed["items"]] == [created["rule_id"]]
    off = await ok(tool_ctx, "setRuleEnabled", ruleId=created["rule_id"], enabled=False)
    assert off["enabled"] is False and off["message"].startswith("Правило выключено")
    await ok(tool_ctx, "deleteRule", ruleId=created["rule_id"])
    assert (await ok(tool_ctx, "listRules"))["items"] == []
    gone = await call(tool_ctx, "deleteRule", ruleId=created["rule_id"])
    assert not gone.success and gone.error_code == "not_found"


async def test_a_daily_report_is_scheduled_at_the_accounts_local_time(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "createReportSchedule", kind="daily", hour=9)
    assert "каждый день в 09:00" in data["message"] and tool_ctx.timezone in data["message"]
    listed = await ok(tool_ctx, "listReportSchedules")
    assert [i["id"] for i in listed["items"]] == [data["report_id"]]
    next_run = dt.datetime.fromisoformat(listed["items"][0]["next_run_at"])
    assert next_run.astimezone(ZoneInfo(tool_ctx.timezone)).time() == dt.time(9, 0)
    await ok(tool_ctx, "cancelReportSchedule", reportId=data["report_id"])
    assert (await ok(tool_ctx, "listReportSchedules"))["items"] == []

"""«поменяй порог правила 1 на $35» by chat, offline model, real PostgreSQL: the new version is restated
and backtested in the reply, the change is a plan (nothing saved before approval), approved → saved."""

from __future__ import annotations

import uuid

from turns import new_conversation, turn

from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RulesStore


async def _executed(orch, user_id, plan_id) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e.to_json() async for e in orch.execute_plan(user_id, plan_id)]


async def test_a_rule_is_edited_by_chat_through_a_plan(product) -> None:  # type: ignore[no-untyped-def]
    orch, user_id, engine = product["build"](), product["user_id"], product["engine"]
    conv = await new_conversation(orch, user_id, "auto")  # even in auto mode an edit is confirmed
    async with engine.connect() as conn:
        from sqlalchemy import text
        account = (await conn.execute(text("SELECT id FROM ad_accounts WHERE user_id = :u"), {"u": user_id})).scalar()
    store = RulesStore(engine)
    await store.create(user_id, account, RuleSpec(scope_level="adset", metric="cpl", operator=">", threshold=4000,
                                                  action="pause"))
    events = await turn(orch, user_id, conv, "поменяй порог правила 1 на $35")
    preview = next(e for e in events if e["type"] == "tool_result" and e.get("tool") == "previewRuleUpdate")
    assert preview["success"] and "$35.00" in preview["result"]["description"]
    approval = next(e for e in events if e["type"] == "approval_required")
    assert [(s["action"], s["params"]) for s in approval["plan"]["steps"]] == [
        ("updateRule", {"ruleNumber": 1, "threshold": 3500})]
    [rule] = await store.list(user_id)
    assert rule.spec.threshold == 4000
    await _executed(orch, user_id, uuid.UUID(approval["plan_id"]))
    [rule] = await store.list(user_id)
    assert rule.spec.threshold == 3500 and rule.spec.action == "pause"

    english = await turn(orch, user_id, conv, "make the CPL rule run every 2 hours")
    step = next(e for e in english if e["type"] == "approval_required")["plan"]["steps"][0]
    assert (step["action"], step["params"]) == ("updateRule", {"ruleMetric": "cpl", "scheduleHours": 2})

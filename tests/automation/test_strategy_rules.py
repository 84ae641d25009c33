"""Optimizer and bandit rules run on their schedule against the demo world (real PostgreSQL, the Graph
sandbox, the real plan executor): they propose the plan the tool would, nothing runs before approval,
auto mode acts once within the guardrails, and a window is acted on once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError
from rules_world import RulesWorld
from sqlalchemy import text

from agent_brain import clock
from agent_brain.agents.ads import tools as ads_tools
from agent_brain.agents.creative.tools import tools as creative_tools
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RulesStore
from agent_brain.automation.strategies import run_strategy_rules
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import run_tool


def _ctx(world: RulesWorld) -> ToolContext:
    return ToolContext(user_id=world.user_id, engine=world.engine, meta=world.meta,
                       writes=WriteGuard(IdempotentExecutor(world.engine)), ad_account_id=world.account_id,
                       platform_account_id=world.external_id, timezone=world.timezone, language="ru")


async def _tool_steps(world: RulesWorld, registry: Any, name: str, **raw: Any) -> list[dict[str, Any]]:
    tool = registry.get(name)
    outcome = await run_tool(tool, tool.validate(raw), _ctx(world))
    assert outcome.success, outcome.error
    return [{"action": s["action"], "params": s["params"]} for s in outcome.data["proposed_steps"]]


async def _events(world: RulesWorld) -> list[Any]:
    async with world.engine.connect() as conn:
        return list((await conn.execute(text("SELECT object_id, outcome, plan_id FROM automation_rule_events "
                                             "ORDER BY id"))).all())


def test_strategy_rules_are_validated_and_restated() -> None:
    optimizer = RuleSpec.strategy("optimizer", window_days=7)
    assert optimizer.describe("ru").startswith("Оптимизатор бюджетов: каждые 24 ч разбирать активные адсеты за 7 дн.")
    bandit = RuleSpec.strategy("bandit", scope_ids=["1"], scope_names=["Москва 25-45"], mode="auto")
    assert bandit.describe("en").startswith("Creative rotation in ad set «Москва 25-45»: every 24 h")
    assert "within the guardrails" in bandit.describe("en")
    with pytest.raises(ValidationError, match="exactly one ad set"):
        RuleSpec.strategy("bandit")
    with pytest.raises(ValidationError, match="3–30 days"):
        RuleSpec.strategy("optimizer", window_days=1)


async def test_an_optimizer_rule_proposes_the_optimizers_plan_once_per_window(rules_world: RulesWorld) -> None:
    world = rules_world
    expected = await _tool_steps(world, ads_tools, "optimizeBudgets", days=7)
    assert expected, "the demo data should give the optimizer something to do"
    rule = await RulesStore(world.engine).create(world.user_id, world.account_id, RuleSpec.strategy("optimizer"))
    before = {s.id: (s.status, s.daily_budget_cents) for s in await world.meta.list_ad_sets(account_id=world.external_id)}
    heard: list[dict[str, Any]] = []

    async def notify(user_id, conversation_id, body, payload):  # type: ignore[no-untyped-def]
        heard.append(payload or {})

    run = await run_strategy_rules(world.engine, world.meta, world.store, notify=notify)
    assert run.evaluated == 1 and len(run.plans) == 1
    plan = await world.store.get_plan(run.plans[0], user_id=world.user_id)
    assert plan.status == "pending"  # proposed: nothing runs before the user approves
    assert [{"action": s.action, "params": s.params} for s in plan.plan.steps] == expected
    assert heard and heard[0]["plan"]["rule_id"] == str(rule.id)
    after = {s.id: (s.status, s.daily_budget_cents) for s in await world.meta.list_ad_sets(account_id=world.external_id)}
    assert after == before
    assert {e.outcome for e in await _events(world)} == {"proposed"}

    assert (await run_strategy_rules(world.engine, world.meta, world.store)).evaluated == 0  # not due again yet
    again = await run_strategy_rules(world.engine, world.meta, world.store, force=True)
    assert again.plans == []  # the same window is never acted on twice
    assert {e.outcome for e in (await _events(world))[len(expected):]} == {"skipped_window"}


async def test_an_auto_optimizer_rule_acts_within_the_guardrails(rules_world: RulesWorld) -> None:
    world = rules_world
    expected = await _tool_steps(world, ads_tools, "optimizeBudgets", days=7)
    await RulesStore(world.engine).create(world.user_id, world.account_id,
                                          RuleSpec.strategy("optimizer", mode="auto"))
    before = {s.id: s.daily_budget_cents for s in await world.meta.list_ad_sets(account_id=world.external_id)}
    run = await run_strategy_rules(world.engine, world.meta, world.store, execute_plan=world.execute_plan)
    [plan_id] = run.plans
    assert (await world.store.get_plan(plan_id, user_id=world.user_id)).status == "completed"
    after = {s.id: s for s in await world.meta.list_ad_sets(account_id=world.external_id)}
    for step in expected:
        changed = after[step["params"]["adsetId"]]
        if step["action"] == "pauseAdSet":
            assert changed.status == "PAUSED"
        else:
            assert changed.daily_budget_cents == step["params"]["dailyBudgetCents"]
            assert abs(changed.daily_budget_cents - before[changed.id]) <= before[changed.id] // 2  # ±50 %
    assert {e.outcome for e in await _events(world)} == {"executed"}


async def test_a_bandit_rule_proposes_the_bandits_pauses(rules_world: RulesWorld) -> None:
    world = rules_world
    today = clock.today_in(world.timezone)
    async with world.engine.connect() as conn:
        adset = (await conn.execute(text(
            "SELECT m.fb_adset_id FROM ad_creative_mapping m JOIN creative_metrics_history h ON h.fb_ad_id = m.fb_ad_id "
            "WHERE h.date >= :d GROUP BY 1 HAVING count(DISTINCT m.creative_id) >= 2 AND sum(h.clicks) > 0 "
            "ORDER BY 1 LIMIT 1"), {"d": today - dt.timedelta(days=7)})).scalar_one()
    last = today - dt.timedelta(days=1)
    expected = await _tool_steps(world, creative_tools, "suggestCreativeRotation", adsetId=adset,
                                 dateFrom=(last - dt.timedelta(days=6)).isoformat(), dateTo=last.isoformat())
    await RulesStore(world.engine).create(world.user_id, world.account_id,
                                          RuleSpec.strategy("bandit", scope_ids=[adset]))
    run = await run_strategy_rules(world.engine, world.meta, world.store)
    assert run.evaluated == 1
    if expected:
        [plan_id] = run.plans
        plan = await world.store.get_plan(plan_id, user_id=world.user_id)
        assert [{"action": s.action, "params": s.params} for s in plan.plan.steps] == expected
        assert plan.status == "pending"
    else:
        assert run.plans == [] and [e.outcome for e in await _events(world)] == ["skipped_state"]


async def test_metric_rules_ignore_strategy_rules(rules_world: RulesWorld) -> None:
    from agent_brain.automation.act import run_rules

    world = rules_world
    await RulesStore(world.engine).create(world.user_id, world.account_id, RuleSpec.strategy("optimizer"))
    assert (await run_rules(world.engine, world.meta, world.store)).evaluated == 0
    [rule] = await RulesStore(world.engine).list(world.user_id)
    assert rule.spec.kind == "optimizer" and rule.last_evaluated_at is None


async def test_a_strategy_rule_is_created_by_chat_through_a_plan(rules_world: RulesWorld) -> None:
    from uuid import UUID

    world = rules_world
    conv = await world.store.get_or_create(user_id=world.user_id, source="web")
    await world.store.set_mode(conv.id, "auto")  # even in auto mode a rule is confirmed
    from agent_brain.orchestrator.orchestrator import TurnRequest

    events = [e.to_json() async for e in world.orchestrator.process(
        TurnRequest(world.user_id, "Каждый день предлагай ротацию креативов в адсете Москва 25-45", "web", conv.id))]
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    assert step["action"] == "createStrategyRule" and step["params"]["kind"] == "bandit"
    assert await RulesStore(world.engine).list(world.user_id) == []
    assert await world.execute_plan(world.user_id, UUID(approval["plan_id"])) == "completed"
    [rule] = await RulesStore(world.engine).list(world.user_id)
    assert rule.spec.kind == "bandit" and rule.spec.scope_ids == [step["params"]["adsetId"]]
    assert rule.spec.describe("ru").startswith("Ротация креативов в адсете")

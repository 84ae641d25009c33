"""Rules: validated structure, backtests equal to a hand computation, propose and auto with guardrails."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from pydantic import ValidationError
from rules_world import RulesWorld
from sqlalchemy import text

from agent_brain import clock
from agent_brain.automation.act import run_rules
from agent_brain.automation.evaluate import backtest
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RulesStore

# ── the rule as a structure ─────────────────────────────────────────────────────────────────


def test_a_rule_is_restated_in_words() -> None:
    spec = RuleSpec(scope_level="adset", metric="cpl", operator=">", threshold=4000, action="pause")
    assert spec.describe("ru") == ("Если CPL адсета выше $40.00 за сутки — поставить на паузу. "
                                   "Проверка каждые 6 ч; предлагать план на подтверждение.")
    raise_ = RuleSpec(scope_level="direction", scope_names=["Брекеты"], metric="ctr", operator=">=", threshold=1.5,
                      window_days=7, action="budget_pct", action_value=20, mode="auto", min_spend_cents=5000)
    assert raise_.describe("en") == ("If CTR a direction «Брекеты» at least 1.5% over 7 days — raise the budget by 20%."
                                     " Checked every 6 h; act automatically. Only with spend of at least $50.00.")


@pytest.mark.parametrize(("fields", "error"), [
    ({"scope_level": "ad", "action": "pause"}, "not available for level 'ad'"),
    ({"scope_level": "campaign", "action": "budget_pct", "action_value": 10}, "not available for level 'campaign'"),
    ({"scope_level": "adset", "action": "budget_pct", "action_value": 80}, "at most 50%"),
    ({"scope_level": "adset", "action": "budget_pct"}, "non-zero percentage"),
    ({"scope_level": "adset", "action": "budget_set", "action_value": 5}, "at least 100"),
    ({"scope_level": "adset", "metric": "ctr", "threshold": 150}, "CTR is a percentage"),
])
def test_invalid_rules_are_refused_with_the_reason(fields: dict, error: str) -> None:
    base = {"metric": "cpl", "operator": ">", "threshold": 4000}
    with pytest.raises(ValidationError, match=error):
        RuleSpec.model_validate({**base, **fields})


# ── backtest ────────────────────────────────────────────────────────────────────────────────


async def _daily_by_adset(world: RulesWorld) -> dict[str, dict[dt.date, tuple[int, int]]]:
    async with world.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT m.fb_adset_id, h.date, sum(h.spend_cents), sum(h.leads) FROM creative_metrics_history h "
            "JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id WHERE m.ad_account_id = :a GROUP BY 1, 2"),
            {"a": world.account_id})).all()
    daily: dict[str, dict[dt.date, tuple[int, int]]] = defaultdict(dict)
    for adset, day, spend, leads in rows:
        daily[adset][day] = (int(spend), int(leads))
    return daily


def _by_hand(daily: dict[str, dict[dt.date, tuple[int, int]]], first: dt.date, last: dt.date, window: int,
             threshold: float, min_spend: int) -> dict[str, tuple[dt.date, int, int]]:
    """adset → (first day fired, days fired, spend after the first day), computed the slow, obvious way."""
    out: dict[str, tuple[dt.date, int, int]] = {}
    for adset, days in daily.items():
        fired = []
        d = first
        while d <= last:
            spend = sum(days.get(d - dt.timedelta(days=k), (0, 0))[0] for k in range(window))
            leads = sum(days.get(d - dt.timedelta(days=k), (0, 0))[1] for k in range(window))
            has_rows = any((d - dt.timedelta(days=k)) in days for k in range(window))
            if has_rows and spend >= min_spend and spend / max(leads, 1) > threshold:
                fired.append(d)
            d += dt.timedelta(days=1)
        if fired:
            after = sum(s for day, (s, _) in days.items() if fired[0] < day <= last)
            out[adset] = (fired[0], len(fired), after)
    return out


async def test_backtest_equals_a_hand_computation(rules_world: RulesWorld) -> None:
    world = rules_world
    last = clock.today_in(world.timezone) - dt.timedelta(days=1)
    daily = await _daily_by_adset(world)
    # A threshold from the data itself: some ad sets cross it on some days, not all on all days.
    cpls = sorted(s / max(n, 1) for days in daily.values() for s, n in days.values() if s)
    threshold = cpls[int(len(cpls) * 0.7)]
    spec = RuleSpec(scope_level="adset", metric="cpl", operator=">", threshold=threshold, window_days=3,
                    min_spend_cents=2000, action="pause")
    result = await backtest(world.engine, spec, ad_account_id=world.account_id, last_day=last, days=30)
    expected = _by_hand(daily, last - dt.timedelta(days=29), last, 3, threshold, 2000)
    assert expected, "the threshold should make the rule fire somewhere"
    assert {h.object_id: (h.first_day, h.days_fired, h.spend_after_first_cents) for h in result.hits} == expected
    assert result.effect_cents(spec) == sum(after for _, _, after in expected.values())


# ── acting ──────────────────────────────────────────────────────────────────────────────────


async def _window_cpl_by_adset(world: RulesWorld, days: int) -> dict[str, tuple[float, int]]:
    today = clock.today_in(world.timezone)
    daily = await _daily_by_adset(world)
    out = {}
    for adset, rows in daily.items():
        spend = sum(s for d, (s, _) in rows.items() if today - dt.timedelta(days=days - 1) <= d <= today)
        leads = sum(n for d, (_, n) in rows.items() if today - dt.timedelta(days=days - 1) <= d <= today)
        if spend:
            out[adset] = (spend / max(leads, 1), spend)
    return out


async def test_a_firing_rule_proposes_a_plan_in_words_and_never_twice_for_a_window(rules_world: RulesWorld) -> None:
    world = rules_world
    cpl = await _window_cpl_by_adset(world, 7)
    threshold = sorted(v for v, _ in cpl.values())[len(cpl) // 2]  # the worse half of the ad sets
    rule = await RulesStore(world.engine).create(world.user_id, world.account_id, RuleSpec(
        name="Дорогие адсеты", scope_level="adset", metric="cpl", operator=">", threshold=threshold, window_days=7,
        action="pause"))
    active = {s.id: s.name for s in await world.meta.list_ad_sets(account_id=world.external_id) if s.status == "ACTIVE"}
    expected = {a for a, (v, _) in cpl.items() if v > threshold and a in active}
    assert expected

    run = await run_rules(world.engine, world.meta, world.store, only=[rule.id])
    assert run.evaluated == 1 and run.outcomes["proposed"] == len(expected) and len(run.plans) == 1
    plan = await world.store.get_plan(run.plans[0], user_id=world.user_id)
    assert plan.status == "pending"
    assert {s.params["adsetId"] for s in plan.plan.steps} == expected
    assert all(s.action == "pauseAdSet" and active[s.params["adsetId"]] in s.description for s in plan.plan.steps)
    message = (await world.store.load_messages(plan.conversation_id))[-1]
    assert message.plan_json["plan_id"] == str(plan.id) and "Дорогие адсеты" in (message.content or "")
    assert {s.status for s in await world.meta.list_ad_sets(account_id=world.external_id)
            if s.id in expected} == {"ACTIVE"}  # proposing changed nothing

    paused = run.outcomes.get("skipped_state", 0)  # ad sets over the threshold that are already paused
    assert paused == len({a for a, (v, _) in cpl.items() if v > threshold} - expected)
    again = await run_rules(world.engine, world.meta, world.store, only=[rule.id], force=True)
    assert dict(again.outcomes) == {"skipped_window": len(expected), **({"skipped_state": paused} if paused else {})}
    assert again.plans == []


async def test_an_auto_rule_acts_within_the_guardrails_once(rules_world: RulesWorld) -> None:
    world = rules_world
    cpl = await _window_cpl_by_adset(world, 7)
    best = min(cpl, key=lambda a: cpl[a][0])
    before = {s.id: s for s in await world.meta.list_ad_sets(account_id=world.external_id)}
    assume_active = before[best].status == "ACTIVE" and before[best].daily_budget_cents
    assert assume_active
    rule = await RulesStore(world.engine).create(world.user_id, world.account_id, RuleSpec(
        scope_level="adset", scope_ids=[best], metric="cpl", operator="<=", threshold=cpl[best][0], window_days=7,
        action="budget_pct", action_value=20, mode="auto"))

    run = await run_rules(world.engine, world.meta, world.store, only=[rule.id], execute_plan=world.execute_plan)
    assert dict(run.outcomes) == {"executed": 1}
    after = {s.id: s for s in await world.meta.list_ad_sets(account_id=world.external_id)}
    assert after[best].daily_budget_cents == round(before[best].daily_budget_cents * 1.2)

    # The same window again: nothing more happens (once per window, then the cooldown).
    again = await run_rules(world.engine, world.meta, world.store, only=[rule.id], force=True,
                            execute_plan=world.execute_plan)
    assert dict(again.outcomes) == {"skipped_window": 1}
    assert {s.id: s.daily_budget_cents for s in await world.meta.list_ad_sets(account_id=world.external_id)}[best] \
        == after[best].daily_budget_cents
    log = await RulesStore(world.engine).events(world.user_id, since=clock.now() - dt.timedelta(hours=1))
    assert [e["outcome"] for e in log] == ["skipped_window", "executed"]


async def test_a_budget_rule_never_moves_more_than_half(rules_world: RulesWorld) -> None:
    world = rules_world
    cpl = await _window_cpl_by_adset(world, 7)
    adset = max(cpl, key=lambda a: cpl[a][1])
    current = {s.id: s.daily_budget_cents for s in await world.meta.list_ad_sets(account_id=world.external_id)}[adset]
    assert current
    rule = await RulesStore(world.engine).create(world.user_id, world.account_id, RuleSpec(
        scope_level="adset", scope_ids=[adset], metric="spend", operator=">", threshold=0, window_days=7,
        action="budget_set", action_value=current * 10))
    run = await run_rules(world.engine, world.meta, world.store, only=[rule.id])
    plan = await world.store.get_plan(run.plans[0], user_id=world.user_id)
    assert plan.plan.steps[0].params["dailyBudgetCents"] == round(current * 1.5)

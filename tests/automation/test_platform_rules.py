"""Rules on any platform: a rule on the clinic's TikTok account is evaluated from the unified
`ad_daily_metrics` (loaded by the real metrics sync from the TikTok sandbox), its plan names the
platform, and approving it pauses the campaign on TikTok through the write path."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from rules_world import RulesWorld
from sqlalchemy import select, text

from agent_brain import clock
from agent_brain.agents import load_agents
from agent_brain.automation.act import run_rules
from agent_brain.automation.evaluate import backtest
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RulesStore
from agent_brain.db.models import AdAccount
from agent_brain.demo.seed import seed_other_platforms
from agent_brain.jobs.metrics_sync import accounts_to_sync, sync_account
from agent_brain.llm.offline import OfflineModel
from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.sandbox import platform_seed
from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.stores.users import UserStore


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def tiktok_world(rules_world: RulesWorld) -> AsyncIterator[dict[str, Any]]:
    world = rules_world
    today = clock.today_in(platform_seed.TIMEZONE)
    await seed_other_platforms(world.engine, UserStore(world.engine), world.user_id, today, ("tiktok",), {})
    async with tiktok_client("tt-token-0123456789", transport=httpx.ASGITransport(
            app=create_tiktok_sandbox_app(world.engine)), breaker=BreakerRegistry().get("tiktok"),
            sleep=_no_sleep) as client:
        tiktok = TikTokAdapter(client)
        [account] = await accounts_to_sync(world.engine, "tiktok")
        await sync_account(world.engine, tiktok, account, "manual", date_from=today - dt.timedelta(days=14),
                           date_to=today)
        orchestrator = Orchestrator(engine=world.engine, model=OfflineModel(), agents=load_agents(), meta=world.meta,
                                    store=world.store, platforms={"tiktok": tiktok},
                                    writes=WriteGuard(IdempotentExecutor(world.engine, poll_interval=0.01),
                                                      sleep=_no_sleep))
        yield {"world": world, "tiktok": tiktok, "account": account, "today": today, "orchestrator": orchestrator}
        await orchestrator.wait_idle()


async def _campaign_cpl(engine: Any, account_id: uuid.UUID, first: dt.date, last: dt.date) -> dict[str, float]:
    """Each TikTok campaign's CPL over the window, added up here from the synced ad-days."""
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT campaign_id, date, spend_cents, leads FROM ad_daily_metrics WHERE ad_account_id = :a"),
            {"a": account_id})).all()
    spend: dict[str, int] = defaultdict(int)
    leads: dict[str, int] = defaultdict(int)
    for r in rows:
        if first <= r.date <= last:
            spend[r.campaign_id] += r.spend_cents
            leads[r.campaign_id] += r.leads
    return {c: spend[c] / max(leads[c], 1) for c in spend if spend[c] > 0}


async def test_a_tiktok_rule_fires_a_plan_that_pauses_on_tiktok(tiktok_world: dict[str, Any]) -> None:
    world: RulesWorld = tiktok_world["world"]
    tiktok: TikTokAdapter = tiktok_world["tiktok"]
    today = tiktok_world["today"]
    account_id = tiktok_world["account"].id
    cpl = await _campaign_cpl(world.engine, account_id, today - dt.timedelta(days=6), today)
    campaigns = {c.id: c for c in await tiktok.list_campaigns(platform_seed.TIKTOK_ADVERTISER_ID)}
    active = sorted((v, c) for c, v in cpl.items() if campaigns[c].status == "ACTIVE")
    assert len(active) >= 2
    threshold = (active[0][0] + active[-1][0]) / 2  # the dearest active campaign(s) only
    expected = {c for v, c in active if v > threshold}
    assert expected and len(expected) < len(active)
    rule = await RulesStore(world.engine).create(world.user_id, account_id, RuleSpec(
        name="Дорогие кампании TikTok", scope_level="campaign", metric="cpl", operator=">", threshold=threshold,
        window_days=7, action="pause"))

    run = await run_rules(world.engine, world.meta, world.store, only=[rule.id], platforms={"tiktok": tiktok})
    assert run.evaluated == 1 and run.outcomes["proposed"] == len(expected) and len(run.plans) == 1
    plan = await world.store.get_plan(run.plans[0], user_id=world.user_id)
    assert {s.params["campaignId"] for s in plan.plan.steps} == expected
    assert all(s.action == "pauseCampaign" and s.params["platform"] == "tiktok"
               and campaigns[s.params["campaignId"]].name in s.description for s in plan.plan.steps)
    assert {(await tiktok.get_campaign(c)).status for c in expected} == {"ACTIVE"}  # proposing changed nothing

    async for _ in tiktok_world["orchestrator"].execute_plan(world.user_id, plan.id):
        pass
    assert (await world.store.get_plan(plan.id, user_id=world.user_id)).status == "completed"
    assert {(await tiktok.get_campaign(c)).status for c in expected} == {"PAUSED"}
    async with world.engine.connect() as conn:
        journal = (await conn.execute(text("SELECT platform, target_id FROM ai_actions WHERE platform = 'tiktok'"))).all()
    assert {r.target_id for r in journal} >= expected


async def test_a_tiktok_backtest_sees_the_unified_metrics(tiktok_world: dict[str, Any]) -> None:
    world: RulesWorld = tiktok_world["world"]
    today, account_id = tiktok_world["today"], tiktok_world["account"].id
    cpl = await _campaign_cpl(world.engine, account_id, today - dt.timedelta(days=2), today)
    threshold = min(cpl.values())
    spec = RuleSpec(scope_level="campaign", metric="cpl", operator=">=", threshold=threshold, window_days=3,
                    action="pause")
    result = await backtest(world.engine, spec, ad_account_id=account_id, last_day=today, days=1)
    assert {h.object_id for h in result.hits} == set(cpl)  # every campaign with spend reaches the lowest CPL
    async with world.engine.connect() as conn:
        platform = (await conn.execute(select(AdAccount.platform).where(AdAccount.id == account_id))).scalar_one()
    assert platform == "tiktok"


async def test_tiktok_campaigns_over_the_target_cpl_are_alerted_once(tiktok_world: dict[str, Any]) -> None:
    from agent_brain.automation.alerts import check_alerts
    from agent_brain.memory.specs import BusinessSpecsStore

    world: RulesWorld = tiktok_world["world"]
    account_id = tiktok_world["account"].id
    yesterday = clock.today_in(platform_seed.TIMEZONE) - dt.timedelta(days=1)
    cpl = await _campaign_cpl(world.engine, account_id, yesterday, yesterday)
    assert len(cpl) >= 2
    target = round(sorted(cpl.values())[0]) + 1  # every campaign but the cheapest is above it
    await BusinessSpecsStore(world.engine).update(world.user_id, account_id, kpi={"target_cpl_cents": target})
    messages: list[str] = []

    async def notify(user_id, conversation_id, body, payload):  # type: ignore[no-untyped-def]
        messages.append(body)

    await check_alerts(world.engine, world.store, notify=notify)
    async with world.engine.connect() as conn:
        alerted = set((await conn.execute(text(
            "SELECT object_id FROM alert_events WHERE kind = 'cpl_over_target' AND ad_account_id = :a"),
            {"a": account_id})).scalars())
    assert alerted == {c for c, v in cpl.items() if v > target}
    assert all(any(c in m and "(TikTok)" in m for m in messages) for c in alerted)
    await check_alerts(world.engine, world.store, notify=notify)
    async with world.engine.connect() as conn:
        again = (await conn.execute(text(
            "SELECT count(*) FROM alert_events WHERE kind = 'cpl_over_target' AND ad_account_id = :a"),
            {"a": account_id})).scalar_one()
    assert again == len(alerted)  # deduplicated


async def _adset_cpl(engine: Any, account_id: uuid.UUID, first: dt.date, last: dt.date) -> dict[str, float]:
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT adset_id, sum(spend_cents) AS spend, sum(leads) AS leads FROM ad_daily_metrics "
            "WHERE ad_account_id = :a AND date BETWEEN :f AND :l GROUP BY adset_id"),
            {"a": account_id, "f": first, "l": last})).all()
    return {r.adset_id: r.spend / max(r.leads, 1) for r in rows if r.spend > 0}


async def test_an_auto_tiktok_budget_rule_raises_the_ad_group_budget_once(tiktok_world: dict[str, Any]) -> None:
    world: RulesWorld = tiktok_world["world"]
    tiktok: TikTokAdapter = tiktok_world["tiktok"]
    today, account_id = tiktok_world["today"], tiktok_world["account"].id
    before = {s.id: s for s in await tiktok.list_ad_sets(account_id=platform_seed.TIKTOK_ADVERTISER_ID)}
    cpl = {a: v for a, v in (await _adset_cpl(world.engine, account_id, today - dt.timedelta(days=6), today)).items()
           if before[a].status == "ACTIVE" and before[a].daily_budget_cents}
    best = min(cpl, key=cpl.__getitem__)
    rule = await RulesStore(world.engine).create(world.user_id, account_id, RuleSpec(
        scope_level="adset", scope_ids=[best], metric="cpl", operator="<=", threshold=cpl[best], window_days=7,
        action="budget_pct", action_value=20, mode="auto"))
    orchestrator = tiktok_world["orchestrator"]

    async def execute_plan(user_id: uuid.UUID, plan_id: uuid.UUID) -> str:
        async for _ in orchestrator.execute_plan(user_id, plan_id):
            pass
        return (await world.store.get_plan(plan_id, user_id=user_id)).status

    run = await run_rules(world.engine, world.meta, world.store, only=[rule.id], platforms={"tiktok": tiktok},
                          execute_plan=execute_plan)
    assert dict(run.outcomes) == {"executed": 1}
    assert (await tiktok.get_ad_set(best)).daily_budget_cents == round(before[best].daily_budget_cents * 1.2)
    again = await run_rules(world.engine, world.meta, world.store, only=[rule.id], force=True,
                            platforms={"tiktok": tiktok}, execute_plan=execute_plan)
    assert dict(again.outcomes) == {"skipped_window": 1}
    assert (await tiktok.get_ad_set(best)).daily_budget_cents == round(before[best].daily_budget_cents * 1.2)


async def test_a_rule_on_a_platform_without_an_adapter_fails_visibly(tiktok_world: dict[str, Any]) -> None:
    world: RulesWorld = tiktok_world["world"]
    rule = await RulesStore(world.engine).create(world.user_id, tiktok_world["account"].id, RuleSpec(
        scope_level="campaign", metric="spend", operator=">", threshold=0, window_days=7, action="pause"))
    run = await run_rules(world.engine, world.meta, world.store, only=[rule.id])  # no TikTok adapter given
    assert run.firings > 0 and dict(run.outcomes) == {"failed": run.firings} and run.plans == []


async def test_a_google_ads_rule_pauses_the_campaign_on_google(rules_world: RulesWorld) -> None:
    from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client
    from agent_brain.platforms.google.sandbox import create_google_sandbox_app

    world = rules_world
    today = clock.today_in(platform_seed.TIMEZONE)
    await seed_other_platforms(world.engine, UserStore(world.engine), world.user_id, today, ("google",), {})
    async with google_client("g-token-0123456789", "dev-0123456789", transport=httpx.ASGITransport(
            app=create_google_sandbox_app(world.engine)), breaker=BreakerRegistry().get("google"),
            sleep=_no_sleep) as client:
        google = GoogleAdsAdapter(client)
        [account] = await accounts_to_sync(world.engine, "google")
        await sync_account(world.engine, google, account, "manual", date_from=today - dt.timedelta(days=14),
                           date_to=today)
        cpl = await _campaign_cpl(world.engine, account.id, today - dt.timedelta(days=6), today)
        campaigns = {c.id: c for c in await google.list_campaigns(platform_seed.GOOGLE_CUSTOMER_ID)}
        dearest = max((c for c in cpl if campaigns[c].status == "ACTIVE"), key=cpl.__getitem__)
        rule = await RulesStore(world.engine).create(world.user_id, account.id, RuleSpec(
            scope_level="campaign", scope_ids=[dearest], metric="cpl", operator=">=", threshold=cpl[dearest],
            window_days=7, action="pause"))
        run = await run_rules(world.engine, world.meta, world.store, only=[rule.id], platforms={"google": google})
        assert dict(run.outcomes) == {"proposed": 1}
        plan = await world.store.get_plan(run.plans[0], user_id=world.user_id)
        assert [(s.action, s.params["campaignId"], s.params["platform"]) for s in plan.plan.steps] == [
            ("pauseCampaign", dearest, "google")]
        orchestrator = Orchestrator(engine=world.engine, model=OfflineModel(), agents=load_agents(), meta=world.meta,
                                    store=world.store, platforms={"google": google},
                                    writes=WriteGuard(IdempotentExecutor(world.engine, poll_interval=0.01),
                                                      sleep=_no_sleep))
        async for _ in orchestrator.execute_plan(world.user_id, plan.id):
            pass
        await orchestrator.wait_idle()
        assert (await google.get_campaign(dearest)).status == "PAUSED"

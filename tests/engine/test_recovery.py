"""Recovery after a dead process, against the real demo world, PostgreSQL and the Graph sandbox.

A crash is the state a killed process leaves: its plan `executing`, its journal row `sent`, its
idempotency key `in_progress`, its lease no longer renewed. (`bench/crash_recovery.py` produces
the same with SIGKILL on a real `agent-brain serve`.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from turns import new_conversation, turn

from agent_brain.db.models import IdempotentOperation
from agent_brain.journal.records import ActionOrigin, WriteTarget
from agent_brain.journal.recovery import recover, recovery_message
from agent_brain.journal.store import ActionJournal
from agent_brain.platforms.write_safety import IdempotentExecutor, operation_key
from agent_brain.stores.records import PlanRecord

ACCOUNT = "act_100200300400"
DEAD = "plan-deadbeef0000"


@dataclass
class Crash:
    conversation_id: uuid.UUID
    plan_id: uuid.UUID
    campaign_ids: list[str]
    keys: list[str]


async def _lapse(engine, conversation_id: uuid.UUID) -> None:  # type: ignore[no-untyped-def]
    """The dead process stopped beating: its lease is past its expiry."""
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE ai_conversations SET lock_expires_at = now() - interval '1 second' "
                                "WHERE id = :i"), {"i": conversation_id})


async def crashed_plan(product, message: str, *, sent: list[bool], applied: list[bool],  # type: ignore[no-untyped-def]
                       done_before: int = 0) -> Crash:
    """A plan whose executor died: `done_before` steps finished, then one row per `sent` step left
    `sent` (its write on the platform if `applied`), nothing recorded after."""
    orch, engine, meta, user_id = product["build"](), product["engine"], product["meta"], product["user_id"]
    conv = await new_conversation(orch, user_id, "plan")
    events = await turn(orch, user_id, conv, message)
    plan_id = uuid.UUID(next(e for e in events if e["type"] == "approval_required")["plan_id"])
    store, journal = orch.store, ActionJournal(engine)
    assert await store.acquire_lock(conv, DEAD)
    await store.approve_plan(plan_id)
    plan = await store.start_execution(plan_id, executor=DEAD)
    campaigns = [step.params["campaignId"] for step in plan.plan.steps]
    names = {c.id: c.name for c in await meta.list_campaigns(ACCOUNT)}
    keys = []
    for index, campaign_id in enumerate(campaigns):
        if index < done_before:
            await meta.set_status(campaign_id, "PAUSED")
            await store.record_step(plan_id, index, {"action": "pauseCampaign", "success": True, "verified": True,
                                                     "result": {"target": {"name": names[campaign_id]}}, "error": None})
            continue
        if not sent[index - done_before]:
            break
        key = operation_key("pauseCampaign", {"campaignId": campaign_id}, ACCOUNT, f"plan:{plan_id}:{index}")
        assert await IdempotentExecutor(engine)._claim(key, "pauseCampaign", {}, ACCOUNT, user_id)
        action = await journal.intend(
            origin=ActionOrigin(user_id=user_id, source="web", conversation_id=conv, owner=DEAD, plan_id=plan_id,
                                step_index=index),
            tool="pauseCampaign", platform="meta", account_id=ACCOUNT,
            target=WriteTarget("campaign", campaign_id, names[campaign_id]), args={"campaignId": campaign_id},
            expected={"status": "PAUSED"}, before={"status": "ACTIVE"}, key=key, reversible=True)
        await journal.move(action, "sent")
        if applied[index - done_before]:
            await meta.set_status(campaign_id, "PAUSED")
        keys.append(key)
    await _lapse(engine, conv)
    return Crash(conv, plan_id, campaigns, keys)


async def _key_status(engine, key: str) -> str:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return (await conn.execute(select(IdempotentOperation.status)
                                   .where(IdempotentOperation.operation_key == key))).scalar_one()


async def _last_message(product, conv: uuid.UUID) -> str:  # type: ignore[no-untyped-def]
    messages = await product["build"]().store.load_messages(conv, 5)
    return messages[-1].content or ""


async def test_a_write_that_reached_the_platform_before_the_crash_completes_the_plan(product) -> None:  # type: ignore[no-untyped-def]
    crash = await crashed_plan(product, "Останови кампанию Виниры СПб", sent=[True], applied=[True])
    writes = product["app"].state.emulator.writes_applied
    report = await recover(product["engine"], product["meta"])
    assert report.plans == {str(crash.plan_id): "completed"} and report.applied == 1
    store = product["build"]().store
    plan = await store.get_plan(crash.plan_id)
    assert plan.status == "completed" and plan.execution_results["0"]["success"]
    [action] = await ActionJournal(product["engine"]).for_plan(crash.plan_id)
    assert action.status == "verified" and action.after_state == {"status": "PAUSED"}
    assert await _key_status(product["engine"], crash.keys[0]) == "succeeded"  # a retry replays, never resends
    assert product["app"].state.emulator.writes_applied == writes  # recovery only reads
    said = await _last_message(product, crash.conversation_id)
    assert "перезапускался" in said and "План выполнен полностью" in said and "«Виниры СПб»" in said
    assert (await store.get_by_id(crash.conversation_id)).lock_owner is None


async def test_a_write_that_never_arrived_fails_the_plan_and_says_so(product) -> None:  # type: ignore[no-untyped-def]
    crash = await crashed_plan(product, "Останови кампанию Виниры СПб", sent=[True], applied=[False])
    report = await recover(product["engine"], product["meta"])
    assert report.plans == {str(crash.plan_id): "failed"} and report.not_applied == 1
    [action] = await ActionJournal(product["engine"]).for_plan(crash.plan_id)
    assert action.status == "failed" and action.after_state == {"status": "ACTIVE"}
    assert await _key_status(product["engine"], crash.keys[0]) == "failed"
    said = await _last_message(product, crash.conversation_id)
    assert "План не выполнен" in said and "«Виниры СПб»: ❌ не применено" in said
    plan = await product["build"]().store.get_plan(crash.plan_id)
    english = recovery_message(plan, "en")
    assert "restarted" in english and "The plan failed" in english and "«Виниры СПб»: ❌ not applied" in english


async def test_a_crash_between_two_steps_leaves_the_plan_partially_completed(product) -> None:  # type: ignore[no-untyped-def]
    crash = await crashed_plan(product, "Останови кампании Виниры СПб и Имплантация Москва",
                               sent=[True], applied=[False], done_before=1)
    report = await recover(product["engine"], product["meta"])
    assert report.plans == {str(crash.plan_id): "partially_completed"}
    said = await _last_message(product, crash.conversation_id)
    assert "выполнен частично" in said and "не применено" in said


async def test_a_crash_before_any_write_fails_the_plan_without_touching_the_platform(product) -> None:  # type: ignore[no-untyped-def]
    crash = await crashed_plan(product, "Останови кампанию Виниры СПб", sent=[False], applied=[False])
    report = await recover(product["engine"], product["meta"])
    assert report.plans == {str(crash.plan_id): "failed"} and report.applied == report.not_applied == 0
    assert await ActionJournal(product["engine"]).for_plan(crash.plan_id) == []


async def test_live_work_is_left_alone_and_the_user_can_chat_after_recovery(product) -> None:  # type: ignore[no-untyped-def]
    crash = await crashed_plan(product, "Останови кампанию Виниры СПб", sent=[True], applied=[True])
    orch = product["build"]()
    async with product["engine"].begin() as conn:  # the executor is alive after all: its lease is renewed
        await conn.execute(text("UPDATE ai_conversations SET lock_expires_at = now() + interval '1 minute' "
                                "WHERE id = :i"), {"i": crash.conversation_id})
    assert (await recover(product["engine"], product["meta"])).plans == {}
    assert (await orch.store.get_plan(crash.plan_id)).status == "executing"
    busy = await turn(orch, product["user_id"], crash.conversation_id, "Покажи расходы за неделю")
    assert busy[0]["code"] == "busy"
    await _lapse(product["engine"], crash.conversation_id)  # now it dies
    assert (await recover(product["engine"], product["meta"])).plans == {str(crash.plan_id): "completed"}
    events = await turn(orch, product["user_id"], crash.conversation_id, "Покажи расходы за неделю")
    assert events[-1]["type"] == "done"


async def test_notifiers_hear_about_recovered_plans(product) -> None:  # type: ignore[no-untyped-def]
    crash = await crashed_plan(product, "Останови кампанию Виниры СПб", sent=[True], applied=[True])
    heard: list[tuple[uuid.UUID, str, str]] = []

    class Recorder:
        async def plan_recovered(self, plan: PlanRecord, text: str) -> None:
            heard.append((plan.id, plan.status, text))

    await recover(product["engine"], product["meta"], notifiers=[Recorder()])
    assert [(p, s) for p, s, _ in heard] == [(crash.plan_id, "completed")]
    assert heard[0][2] == await _last_message(product, crash.conversation_id)


async def test_two_sweepers_settle_each_crash_once(product) -> None:  # type: ignore[no-untyped-def]
    crash = await crashed_plan(product, "Останови кампанию Виниры СПб", sent=[True], applied=[True])
    reports = await asyncio.gather(*(recover(product["engine"], product["meta"]) for _ in range(4)))
    assert sum(len(r.plans) for r in reports) == 1 and sum(r.applied for r in reports) == 1
    messages = await product["build"]().store.load_messages(crash.conversation_id, 20)
    assert sum(1 for m in messages if m.content and "перезапускался" in m.content) == 1


async def test_a_sweeper_leaves_a_write_another_sweeper_is_settling(product) -> None:  # type: ignore[no-untyped-def]
    """A sweeper that lists orphans only after a peer claimed one must neither settle that write a
    second time nor finish its plan before the peer has read the write back."""
    engine, meta = product["engine"], product["meta"]
    crash = await crashed_plan(product, "Останови кампанию Виниры СПб", sent=[True], applied=[True])
    journal = ActionJournal(engine)
    [action] = await journal.for_plan(crash.plan_id)
    assert await journal.claim(action.id, "recovery-peer", previous=DEAD)  # the peer is reading it back

    late = await recover(engine, meta)
    assert late.applied == 0 and late.plans == {}
    [still] = await journal.for_plan(crash.plan_id)
    assert (still.status, still.owner) == ("sent", "recovery-peer")
    assert (await product["build"]().store.get_plan(crash.plan_id)).status == "executing"

    # The peer died mid-read: once its claim is older than the grace, the next sweep takes over.
    after = await recover(engine, meta, grace=dt.timedelta(0))
    assert after.applied == 1 and after.plans == {str(crash.plan_id): "completed"}
    messages = await product["build"]().store.load_messages(crash.conversation_id, 20)
    assert sum(1 for m in messages if m.content and "перезапускался" in m.content) == 1


async def test_the_heartbeat_renews_a_running_lease(product) -> None:  # type: ignore[no-untyped-def]
    from agent_brain.stores.unified import UnifiedStore

    store = UnifiedStore(product["engine"], lock_lease_seconds=2)
    conv = await store.get_or_create(user_id=product["user_id"], source="web")
    async with store.locked(conv.id, "long-turn"):
        first = (await store.get_by_id(conv.id)).lock_expires_at
        for _ in range(100):
            await asyncio.sleep(0.1)
            renewed = (await store.get_by_id(conv.id)).lock_expires_at
            if renewed != first:
                break
        assert renewed is not None and first is not None and renewed > first
        assert not await store.acquire_lock(conv.id, "second-turn")
    assert (await store.get_by_id(conv.id)).lock_owner is None

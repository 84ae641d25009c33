"""UnifiedStore against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.engine import create_engine
from agent_brain.stores.errors import (
    ConversationBusyError,
    ConversationNotFoundError,
    IllegalPlanTransitionError,
    PlanExpiredError,
    PlanNotFoundError,
)
from agent_brain.stores.records import NewMessage, Plan, PlanStep
from agent_brain.stores.unified import PLAN_TRANSITIONS, UnifiedStore
from agent_brain.stores.users import UserRecord

PAUSE_PLAN = Plan(
    steps=[PlanStep(action="pauseCampaign", params={"campaignId": "120000001"}, description="pause", dangerous=True)],
    summary="Pause the campaign",
)


# ── conversations ───────────────────────────────────────────────────────────────────────────


async def test_web_get_or_create_makes_new_and_finds_by_id(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    assert conv.mode == "plan"
    assert conv.message_count == 0
    again = await store.get_or_create(user_id=user.id, source="web", conversation_id=conv.id)
    assert again.id == conv.id


async def test_telegram_get_or_create_returns_the_chats_single_conversation(
    store: UnifiedStore, user: UserRecord
) -> None:
    first = await store.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=555)
    second = await store.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=555)
    other_chat = await store.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=556)
    assert first.id == second.id
    assert other_chat.id != first.id


async def test_telegram_chat_of_another_user_is_not_handed_over(
    store: UnifiedStore, user: UserRecord, other_user: UserRecord
) -> None:
    await store.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=777)
    with pytest.raises(ConversationNotFoundError):
        await store.get_or_create(user_id=other_user.id, source="telegram", telegram_chat_id=777)


async def test_another_users_conversation_is_not_found(
    store: UnifiedStore, user: UserRecord, other_user: UserRecord
) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    with pytest.raises(ConversationNotFoundError):
        await store.get_by_id(conv.id, user_id=other_user.id)
    with pytest.raises(ConversationNotFoundError):
        await store.get_or_create(user_id=other_user.id, source="web", conversation_id=conv.id)
    assert await store.delete_conversation(conv.id, user_id=other_user.id) is False
    assert (await store.get_by_id(conv.id)).id == conv.id


async def test_list_conversations_is_scoped_and_paged(
    store: UnifiedStore, user: UserRecord, other_user: UserRecord
) -> None:
    mine = [await store.get_or_create(user_id=user.id, source="web") for _ in range(3)]
    await store.get_or_create(user_id=other_user.id, source="web")
    page1 = await store.list_conversations(user.id, limit=2)
    page2 = await store.list_conversations(user.id, limit=2, offset=2)
    ids = {c.id for c in page1 + page2}
    assert ids == {c.id for c in mine}
    assert len(page1) == 2 and len(page2) == 1


async def test_set_mode_metadata_and_summary(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    await store.set_mode(conv.id, "auto")
    await store.update_metadata(conv.id, last_agent="ads", last_domain="ads")
    await store.update_rolling_summary(conv.id, "User paused campaign X.", message_count=20)
    got = await store.get_by_id(conv.id)
    assert (got.mode, got.last_agent, got.last_domain) == ("auto", "ads", "ads")
    assert (got.rolling_summary, got.summary_message_count) == ("User paused campaign X.", 20)


async def test_invalid_mode_is_refused_by_the_database(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    with pytest.raises(Exception, match="ck_ai_conversations_mode"):
        await store.set_mode(conv.id, "yolo")  # type: ignore[arg-type]
    assert (await store.get_by_id(conv.id)).mode == "plan"


async def test_updates_on_unknown_conversation_raise(store: UnifiedStore) -> None:
    with pytest.raises(ConversationNotFoundError):
        await store.set_mode(uuid.uuid4(), "auto")
    with pytest.raises(ConversationNotFoundError):
        await store.add_messages(uuid.uuid4(), [NewMessage(role="user", content="hi")])


# ── messages ────────────────────────────────────────────────────────────────────────────────


async def test_batch_insert_keeps_order_counts_and_openai_format(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    call = {"id": "call_1", "type": "function", "function": {"name": "getSpendReport", "arguments": '{"period":"today"}'}}
    ids = await store.add_messages(
        conv.id,
        [
            NewMessage(role="user", content="Покажи расходы за сегодня"),
            NewMessage(role="assistant", content=None, tool_calls=[call], agent="ads", domain="ads"),
            NewMessage(role="tool", tool_call_id="call_1", tool_name="getSpendReport", tool_result={"spend": 12.5}),
            NewMessage(role="assistant", content="Расход за сегодня: $12.50", agent="ads", domain="ads"),
        ],
    )
    assert ids == sorted(ids) and len(ids) == 4
    messages = await store.load_openai_messages(conv.id)
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[1]["tool_calls"] == [call]
    assert messages[2] == {"role": "tool", "content": '{"spend": 12.5}', "tool_call_id": "call_1"}
    stored = await store.load_messages(conv.id)
    assert all(m.tokens_used > 0 for m in stored)
    got = await store.get_by_id(conv.id)
    assert got.message_count == 4
    assert got.title == "Покажи расходы за сегодня"


async def test_load_messages_returns_latest_window_oldest_first(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    for i in range(12):
        await store.add_message(conv.id, NewMessage(role="user" if i % 2 == 0 else "assistant", content=f"m{i}"))
    window = await store.load_messages(conv.id, limit=5)
    assert [m.content for m in window] == ["m7", "m8", "m9", "m10", "m11"]


async def test_concurrent_batches_do_not_interleave(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")

    async def batch(tag: str) -> list[int]:
        return await store.add_messages(
            conv.id, [NewMessage(role="user", content=f"{tag}-{i}") for i in range(5)]
        )

    results = await asyncio.gather(*(batch(t) for t in "abcd"))
    for ids in results:
        assert ids == list(range(ids[0], ids[0] + 5))  # one INSERT → contiguous identities
    assert (await store.get_by_id(conv.id)).message_count == 20


async def test_clear_resets_history_summary_focus_and_pending_plans(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    await store.add_messages(conv.id, [NewMessage(role="user", content="a"), NewMessage(role="assistant", content="b")])
    await store.update_rolling_summary(conv.id, "s", message_count=2)
    await store.update_focus_entities(conv.id, {"campaignId": "1"})
    plan = await store.create_pending_plan(conv.id, user.id, PAUSE_PLAN, source="web")
    assert await store.clear(conv.id) == 2
    got = await store.get_by_id(conv.id)
    assert (got.message_count, got.rolling_summary, got.focus_entities) == (0, None, {})
    assert await store.load_messages(conv.id) == []
    assert (await store.get_plan(plan.id)).status == "rejected"


# ── focus entities ──────────────────────────────────────────────────────────────────────────


async def test_focus_entities_merge_and_remove(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    await store.update_focus_entities(conv.id, {"campaignId": "1", "period": "today"})
    merged = await store.update_focus_entities(conv.id, {"period": "yesterday", "directionId": "d"})
    assert merged == {"campaignId": "1", "period": "yesterday", "directionId": "d"}
    assert await store.update_focus_entities(conv.id, {"campaignId": None}) == {
        "period": "yesterday",
        "directionId": "d",
    }
    await store.clear_focus_entities(conv.id)
    assert await store.get_focus_entities(conv.id) == {}


# ── lock ────────────────────────────────────────────────────────────────────────────────────


async def test_concurrent_lock_from_two_connections_exactly_one_wins(
    engine: AsyncEngine, user: UserRecord
) -> None:
    # Two engines = two connection pools, as two processes would have.
    other_engine = create_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
    try:
        a, b = UnifiedStore(engine), UnifiedStore(other_engine)
        conv = await a.get_or_create(user_id=user.id, source="web")
        for _ in range(5):
            results = await asyncio.gather(a.acquire_lock(conv.id, "worker-a"), b.acquire_lock(conv.id, "worker-b"))
            assert sorted(results) == [False, True]
            winner = "worker-a" if results[0] else "worker-b"
            assert (await a.get_by_id(conv.id)).lock_owner == winner
            assert await a.release_lock(conv.id, winner)
    finally:
        await other_engine.dispose()


async def test_lock_is_held_until_released(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    async with store.locked(conv.id) as owner:
        with pytest.raises(ConversationBusyError):
            async with store.locked(conv.id):
                pass
        assert await store.release_lock(conv.id, "someone-else") is False
        assert (await store.get_by_id(conv.id)).lock_owner == owner
    got = await store.get_by_id(conv.id)
    assert got.lock_owner is None and got.lock_expires_at is None


async def test_lock_lease_lapses_when_a_worker_dies(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    assert await store.acquire_lock(conv.id, "dead-worker", lease_seconds=1)
    assert not await store.acquire_lock(conv.id, "new-worker")
    # Let the lease lapse without sleeping: move it into the past, as time would.
    async with store._engine.connect() as conn:
        await conn.execute(
            text("UPDATE ai_conversations SET lock_expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": conv.id},
        )
    assert await store.acquire_lock(conv.id, "new-worker")
    # The dead worker coming back cannot release the new owner's lease.
    assert not await store.release_lock(conv.id, "dead-worker")
    assert (await store.get_by_id(conv.id)).lock_owner == "new-worker"


async def test_extend_lock_only_for_owner(store: UnifiedStore, user: UserRecord) -> None:
    conv = await store.get_or_create(user_id=user.id, source="web")
    assert await store.acquire_lock(conv.id, "w1", lease_seconds=5)
    before = (await store.get_by_id(conv.id)).lock_expires_at
    assert await store.extend_lock(conv.id, "w1", lease_seconds=60)
    assert not await store.extend_lock(conv.id, "w2")
    after = (await store.get_by_id(conv.id)).lock_expires_at
    assert before is not None and after is not None and after > before


# ── plans ───────────────────────────────────────────────────────────────────────────────────


async def _plan(store: UnifiedStore, user: UserRecord, **kwargs):  # type: ignore[no-untyped-def]
    conv = await store.get_or_create(user_id=user.id, source="web")
    return conv, await store.create_pending_plan(conv.id, user.id, PAUSE_PLAN, source="web", **kwargs)


async def test_plan_happy_path(store: UnifiedStore, user: UserRecord) -> None:
    conv, plan = await _plan(store, user)
    assert (await store.get_pending_plan(conv.id)).id == plan.id
    assert plan.plan == PAUSE_PLAN
    assert (await store.approve_plan(plan.id)).status == "approved"
    assert await store.get_pending_plan(conv.id) is None
    assert (await store.start_execution(plan.id)).status == "executing"
    done = await store.complete_execution(plan.id, {"0": {"success": True}})
    assert done.status == "completed" and done.execution_results == {"0": {"success": True}}
    assert done.resolved_at is not None


async def test_manual_steps_return_to_approved_between_steps(store: UnifiedStore, user: UserRecord) -> None:
    _, plan = await _plan(store, user)
    await store.approve_plan(plan.id)
    await store.start_execution(plan.id)
    step = await store.finish_step(plan.id, {"0": {"success": True}})
    assert step.status == "approved"
    await store.start_execution(plan.id)
    assert (await store.fail_execution(plan.id, {"0": {"success": True}, "1": {"error": "x"}})).status == "failed"


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "executing"),  # pending cannot execute without approval
        ([], "completed"),
        (["approved", "executing", "completed"], "executing"),  # already executed
        (["rejected"], "approved"),
        (["approved", "executing", "failed"], "executing"),
    ],
)
async def test_illegal_transitions_raise_and_change_nothing(
    store: UnifiedStore, user: UserRecord, path: list[str], illegal: str
) -> None:
    _, plan = await _plan(store, user)
    moves = {
        "approved": store.approve_plan,
        "rejected": store.reject_plan,
        "executing": store.start_execution,
        "completed": lambda pid: store.complete_execution(pid, {}),
        "failed": lambda pid: store.fail_execution(pid, {}),
    }
    for status in path:
        await moves[status](plan.id)
    before = await store.get_plan(plan.id)
    with pytest.raises(IllegalPlanTransitionError) as info:
        await moves[illegal](plan.id)
    assert info.value.current == before.status and info.value.target == illegal
    assert await store.get_plan(plan.id) == before


def test_transition_table_has_no_exit_from_terminal_states() -> None:
    for status in ("completed", "failed", "rejected", "expired"):
        assert PLAN_TRANSITIONS[status] == frozenset()


async def test_double_start_execution_only_one_wins(store: UnifiedStore, user: UserRecord) -> None:
    _, plan = await _plan(store, user)
    await store.approve_plan(plan.id)
    results = await asyncio.gather(
        *(store.start_execution(plan.id) for _ in range(10)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, IllegalPlanTransitionError) for r in results if r not in winners)


async def test_expired_plan_cannot_be_approved(store: UnifiedStore, user: UserRecord) -> None:
    conv, plan = await _plan(store, user, ttl=dt.timedelta(milliseconds=1))
    await asyncio.sleep(0.01)
    assert await store.get_pending_plan(conv.id) is None
    with pytest.raises(PlanExpiredError):
        await store.approve_plan(plan.id)
    assert (await store.get_plan(plan.id)).status == "expired"
    with pytest.raises(IllegalPlanTransitionError):
        await store.start_execution(plan.id)


async def test_expire_stale_plans(store: UnifiedStore, user: UserRecord) -> None:
    _, stale = await _plan(store, user, ttl=dt.timedelta(milliseconds=1))
    _, fresh = await _plan(store, user)
    await asyncio.sleep(0.01)
    assert await store.expire_stale_plans() == 1
    assert (await store.get_plan(stale.id)).status == "expired"
    assert (await store.get_plan(fresh.id)).status == "pending"


async def test_plans_are_scoped_to_their_user(store: UnifiedStore, user: UserRecord, other_user: UserRecord) -> None:
    _, plan = await _plan(store, user)
    with pytest.raises(PlanNotFoundError):
        await store.get_plan(plan.id, user_id=other_user.id)
    with pytest.raises(PlanNotFoundError):
        await store.approve_plan(plan.id, user_id=other_user.id)
    assert (await store.get_plan(plan.id)).status == "pending"


async def test_telegram_message_id_is_saved(store: UnifiedStore, user: UserRecord) -> None:
    _, plan = await _plan(store, user)
    await store.update_telegram_message_id(plan.id, 4242, 555)
    got = await store.get_plan(plan.id)
    assert (got.telegram_message_id, got.telegram_chat_id) == (4242, 555)
    with pytest.raises(PlanNotFoundError):
        await store.update_telegram_message_id(uuid.uuid4(), 1, 1)


# ── open_turn: getOrCreate + lock + pending plan in one statement ───────────────────────────


async def test_open_turn_locks_reports_busy_and_pending_plan(store: UnifiedStore, user: UserRecord) -> None:
    conv, locked, pending = await store.open_turn(user_id=user.id, source="web", owner="w1")
    assert locked and pending is None and conv.lock_owner == "w1"
    again, locked_again, _ = await store.open_turn(user_id=user.id, source="web", owner="w2", conversation_id=conv.id)
    assert again.id == conv.id and not locked_again and again.lock_owner == "w1"
    plan = await store.create_pending_plan(conv.id, user.id, PAUSE_PLAN, source="web")
    await store.record_turn(conv.id, last_agent="ads", last_domain="ads", focus_patch={}, release_owner="w1")
    third, locked_third, pending_id = await store.open_turn(user_id=user.id, source="web", owner="w2",
                                                            conversation_id=conv.id)
    assert locked_third and pending_id == plan.id and third.last_agent == "ads"


async def test_open_turn_telegram_chat_and_foreign_ids(
    store: UnifiedStore, user: UserRecord, other_user: UserRecord
) -> None:
    first, locked, _ = await store.open_turn(user_id=user.id, source="telegram", owner="a", telegram_chat_id=42)
    await store.release_lock(first.id, "a")
    second, locked2, _ = await store.open_turn(user_id=user.id, source="telegram", owner="b", telegram_chat_id=42)
    assert locked and locked2 and first.id == second.id
    with pytest.raises(ConversationNotFoundError):
        await store.open_turn(user_id=other_user.id, source="telegram", owner="c", telegram_chat_id=42)
    with pytest.raises(ConversationNotFoundError):
        await store.open_turn(user_id=other_user.id, source="web", owner="c", conversation_id=first.id)
    assert (await store.get_by_id(first.id)).lock_owner == "b"


async def test_open_turn_from_two_engines_exactly_one_wins(engine: AsyncEngine, user: UserRecord) -> None:
    other_engine = create_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
    try:
        a, b = UnifiedStore(engine), UnifiedStore(other_engine)
        conv = await a.get_or_create(user_id=user.id, source="web")
        results = await asyncio.gather(
            a.open_turn(user_id=user.id, source="web", owner="A", conversation_id=conv.id),
            b.open_turn(user_id=user.id, source="web", owner="B", conversation_id=conv.id),
        )
        assert sorted(r[1] for r in results) == [False, True]
    finally:
        await other_engine.dispose()


async def test_record_turn_releases_only_its_own_lease(store: UnifiedStore, user: UserRecord) -> None:
    conv, _, _ = await store.open_turn(user_id=user.id, source="web", owner="mine")
    await store.record_turn(conv.id, last_agent=None, last_domain=None, focus_patch={}, release_owner="not-mine")
    assert (await store.get_by_id(conv.id)).lock_owner == "mine"
    await store.record_turn(conv.id, last_agent=None, last_domain=None, focus_patch={"period": "today"},
                            release_owner="mine")
    got = await store.get_by_id(conv.id)
    assert got.lock_owner is None and got.focus_entities == {"period": "today"}

"""Idle conversations are summarised by a background job (real PostgreSQL, the offline model): only
quiet, unlocked ones whose summary is due; never over a newer summary a turn wrote meanwhile."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.jobs import queue
from agent_brain.llm.offline import OfflineModel
from agent_brain.memory.idle_summaries import IDLE, _OnlyIfUnchanged, idle_due, summarise_idle
from agent_brain.stores.records import NewMessage
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserRecord


async def _conversation(store: UnifiedStore, engine: AsyncEngine, user: UserRecord, *, messages: int,
                        idle_minutes: int, chat: int) -> uuid.UUID:
    conv = await store.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=chat)
    said = [NewMessage(role="user" if i % 2 == 0 else "assistant",
                       content=f"Покажи расходы кампании номер {i}" if i % 2 == 0 else f"Расход {i * 10} $")
            for i in range(messages)]
    await store.add_messages(conv.id, said)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE ai_conversations SET updated_at = now() - make_interval(mins => :m) "
                                "WHERE id = :i"), {"m": idle_minutes, "i": conv.id})
    return conv.id


async def test_only_quiet_conversations_with_a_due_summary_are_summarised(
    store: UnifiedStore, engine: AsyncEngine, user: UserRecord
) -> None:
    quiet = await _conversation(store, engine, user, messages=24, idle_minutes=45, chat=1)
    active = await _conversation(store, engine, user, messages=24, idle_minutes=5, chat=2)
    short = await _conversation(store, engine, user, messages=12, idle_minutes=45, chat=3)
    busy = await _conversation(store, engine, user, messages=24, idle_minutes=45, chat=4)
    assert await store.acquire_lock(busy, "a-running-turn")

    assert [r.id for r in await idle_due(engine)] == [quiet]
    run = await summarise_idle(engine, store, OfflineModel())
    assert (run.due, run.summarised) == (1, 1)
    got = await store.get_by_id(quiet)
    assert got.rolling_summary and got.summary_message_count == 24 and not got.summary_tainted
    for other in (active, short, busy):
        assert (await store.get_by_id(other)).rolling_summary is None
    assert (await summarise_idle(engine, store, OfflineModel())).due == 0  # summarised: no longer due
    assert (await store.get_by_id(busy)).lock_owner == "a-running-turn"  # the job never touched the lease


async def test_a_summary_written_meanwhile_is_not_overwritten(
    store: UnifiedStore, engine: AsyncEngine, user: UserRecord
) -> None:
    conv = await _conversation(store, engine, user, messages=24, idle_minutes=45, chat=5)
    [row] = await idle_due(engine)
    await store.update_rolling_summary(conv, "A turn's newer summary.", message_count=24)
    guarded = _OnlyIfUnchanged(store, engine, row.summary_message_count)
    await guarded.update_rolling_summary(conv, "The job's older summary.", message_count=24)
    assert guarded.stored is False
    assert (await store.get_by_id(conv)).rolling_summary == "A turn's newer summary."


def test_the_job_is_scheduled_every_fifteen_minutes() -> None:
    task = queue.app.tasks["agent_brain:summarise_idle_conversations"]
    [periodic] = [p for p in queue.app.periodic_registry.periodic_tasks.values() if p.task is task]
    assert periodic.cron == "*/15 * * * *" and task.queue == "housekeeping"
    assert dt.timedelta(minutes=30) == IDLE

"""Retention: rows past their window go in batches, recent ones and open writes stay, 0 keeps forever;
the daily job runs on a real worker (and is counted in the job metrics)."""

from __future__ import annotations

import time

import pytest
from job_world import World
from procrastinate.periodic import PeriodicRegistry
from sqlalchemy import text

from agent_brain.jobs.queue import open_queue, run_worker
from agent_brain.jobs.retention import RetentionPolicy, enforce_retention
from agent_brain.jobs.tasks import NAMESPACE
from agent_brain.observability import metrics
from agent_brain.stores.unified import UnifiedStore


async def _scalar(world: World, sql: str) -> int:
    async with world.engine.connect() as conn:
        return (await conn.execute(text(sql))).scalar_one()


async def _aged_world(world: World) -> None:
    """Conversations, messages, runs, journal rows and dialogs, each old and recent (ages by the database clock)."""
    store = UnifiedStore(world.engine)
    async with world.engine.connect() as conn:
        user_id = (await conn.execute(text("SELECT id FROM users WHERE name = 'demo'"))).scalar_one()
    idle = await store.get_or_create(user_id=user_id, source="web")
    live = await store.get_or_create(user_id=user_id, source="web")
    async with world.engine.begin() as conn:
        await conn.execute(text("UPDATE ai_conversations SET updated_at = now() - interval '400 days' WHERE id = :c"),
                           {"c": idle.id})
        for conv, age in ((idle, 400), (live, 400), (live, 400), (live, 1)):
            await conn.execute(text(
                "INSERT INTO ai_messages (conversation_id, role, content, created_at) "
                "VALUES (:c, 'user', 'x', now() - make_interval(days => :d))"), {"c": conv.id, "d": age})
        for age in (100, 100, 100, 5):
            await conn.execute(text(
                "INSERT INTO ai_runs (conversation_id, user_id, model, created_at) "
                "VALUES (:c, :u, 'offline', now() - make_interval(days => :d))"), {"c": live.id, "u": user_id,
                                                                                   "d": age})
        for age, status in ((400, "verified"), (400, "failed"), (400, "unknown"), (400, "sent"), (2, "verified")):
            await conn.execute(text(
                "INSERT INTO ai_actions (user_id, source, tool, platform, args, expected, idempotency_key, status, "
                "created_at) VALUES (:u, 'web', 'pauseCampaign', 'meta', '{}', '{}', md5(random()::text), :s, "
                "now() - make_interval(days => :d))"), {"u": user_id, "s": status, "d": age})
        await conn.execute(text("UPDATE whatsapp_dialogs SET last_message_at = now() - interval '500 days' "
                                "WHERE id = (SELECT id FROM whatsapp_dialogs ORDER BY phone LIMIT 1)"))


async def test_retention_deletes_what_is_past_its_window_in_batches(world: World) -> None:
    await _aged_world(world)
    dialogs = await _scalar(world, "SELECT count(*) FROM whatsapp_dialogs")
    old_dialog_messages = await _scalar(
        world, "SELECT count(*) FROM whatsapp_messages WHERE sent_at < now() - interval '365 days' AND dialog_id <> "
               "(SELECT id FROM whatsapp_dialogs ORDER BY phone LIMIT 1)")
    keep_forever = await enforce_retention(world.engine, RetentionPolicy(0, 0, 0, 0), batch=2)
    assert keep_forever == {}

    done = await enforce_retention(world.engine, RetentionPolicy(), batch=2)  # defaults: 365 / 90 / 365 / 365
    assert done["conversations"] == 1  # the idle one, its message with it
    assert done["messages"] == 2  # the live conversation's two old messages (three batches of ≤ 2)
    assert done["runs"] == 3 and done["journal"] == 2  # settled writes only
    assert done["dialogs"] == 1 and done["dialog_messages"] == old_dialog_messages
    assert await _scalar(world, "SELECT count(*) FROM ai_messages") == 1
    assert await _scalar(world, "SELECT count(*) FROM ai_runs") == 1
    assert await _scalar(world, "SELECT string_agg(status, ',' ORDER BY status) FROM ai_actions") == \
        "sent,unknown,verified"  # open writes are never purged, recent ones stay
    assert await _scalar(world, "SELECT count(*) FROM whatsapp_dialogs") == dialogs - 1
    again = await enforce_retention(world.engine, RetentionPolicy(), batch=2)
    assert not any(again.values())


@pytest.mark.slow
async def test_the_daily_retention_job_runs_on_a_worker(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await _aged_world(world)
    succeeded = metrics.JOBS.labels("enforce_retention", "succeeded")
    before = succeeded._value.get()
    url = world.engine.url.render_as_string(hide_password=False)
    async with open_queue(url) as queue:
        monkeypatch.setattr(queue, "periodic_registry", PeriodicRegistry())  # no schedule of its own: any hour
        job = await queue.configure_task(f"{NAMESPACE}:enforce_retention").defer_async(timestamp=int(time.time()))
        await run_worker(queue, world.services, name="retention", wait=False)
    assert await _scalar(world, f"SELECT status::text FROM procrastinate_jobs WHERE id = {job}") == "succeeded"
    assert await _scalar(world, "SELECT count(*) FROM ai_runs") == 1
    assert succeeded._value.get() == before + 1

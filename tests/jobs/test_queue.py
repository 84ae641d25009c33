"""The job queue on real PostgreSQL: two workers, periodic slots run once, a dead worker's job run again once."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from job_world import World
from procrastinate.periodic import PeriodicRegistry
from sqlalchemy import text

from agent_brain.jobs.queue import open_queue, run_worker, start_worker_task
from agent_brain.jobs.tasks import NAMESPACE

# Real workers polling the queue for tens of seconds: the slow CI step (`make test-slow`), never skipped.
pytestmark = pytest.mark.slow


def _url(world: World) -> str:
    return world.engine.url.render_as_string(hide_password=False)


async def _scalar(world: World, sql: str, **params: object) -> object:
    async with world.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()


async def _wait_for(world: World, sql: str) -> None:
    async with asyncio.timeout(90):  # a bound on a hung run, not a speed assertion
        while not await _scalar(world, sql):  # noqa: ASYNC110 - the workers' rows: no event to wait on
            await asyncio.sleep(0.2)


async def test_two_workers_share_the_queue_and_each_periodic_slot_runs_once(world: World) -> None:
    async with open_queue(_url(world)) as queue:
        workers = [start_worker_task(queue, world.services, name=f"worker-{n}") for n in (1, 2)]
        try:
            # What the hourly schedule does (deferred by hand: the test must not depend on the hour).
            await queue.configure_task(f"{NAMESPACE}:schedule_recent_metrics_sync").defer_async(
                timestamp=int(time.time()))
            await _wait_for(world, "SELECT count(*) FROM metrics_sync_runs WHERE status = 'completed'")
            await _wait_for(world, f"SELECT count(*) FROM procrastinate_jobs WHERE task_name = "
                                   f"'{NAMESPACE}:housekeeping' AND status = 'succeeded'")
        finally:
            for task in workers:
                task.cancel()
            for task in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    # The first sync of a new account fetched its 90-day history, once.
    # (Only that one is certain: in the minutes after :05 or 03:20 the workers' own schedules add syncs too.)
    assert await _scalar(world, "SELECT count(*) FROM metrics_sync_runs WHERE kind = 'backfill'") == 1
    assert await _scalar(world, "SELECT count(*) FROM metrics_sync_runs WHERE status <> 'completed'") == 0
    # Both workers deferred the periodic tasks they know; each slot became one job.
    slots = await _scalar(world, """
        SELECT max(n) FROM (SELECT count(*) AS n FROM procrastinate_periodic_defers GROUP BY task_name, defer_timestamp) s""")
    assert slots == 1
    per_job = await _scalar(world, f"""
        SELECT max(n) FROM (SELECT count(*) AS n FROM procrastinate_jobs
        WHERE task_name = '{NAMESPACE}:housekeeping' GROUP BY args->>'timestamp') s""")
    assert per_job == 1


async def test_the_job_of_a_worker_that_died_runs_again_exactly_once(world: World,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_queue(_url(world)) as queue:
        # This worker defers no schedules: at :05 past the hour its periodic deferrer would add an hourly
        # sync of its own, and the test must not depend on the hour it runs in.
        monkeypatch.setattr(queue, "periodic_registry", PeriodicRegistry())
        job_id = await queue.configure_task(f"{NAMESPACE}:sync_account_metrics",
                                            lock=f"metrics:{world.account.id}").defer_async(
            account_id=str(world.account.id), external_id=world.account.external_id,
            timezone=world.account.timezone, kind="trailing")
        async with world.engine.begin() as conn:
            # A worker took the job and was killed: its heartbeat stopped five minutes ago.
            dead = (await conn.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                            "VALUES (now() - interval '5 minutes') RETURNING id"))).scalar_one()
            await conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :j"),
                               {"w": dead, "j": job_id})
        await queue.configure_task(f"{NAMESPACE}:retry_stalled_jobs").defer_async(timestamp=int(time.time()))
        await run_worker(queue, world.services, name="survivor", wait=False)  # until the queue is empty
        await run_worker(queue, world.services, name="survivor", wait=False)  # the requeued job
        status = await _scalar(world, "SELECT status::text FROM procrastinate_jobs WHERE id = :j", j=job_id)
    assert status == "succeeded"
    assert await _scalar(world, "SELECT count(*) FROM metrics_sync_runs WHERE status = 'completed'") == 1
    assert await _scalar(world, "SELECT count(*) FROM procrastinate_periodic_defers") == 0

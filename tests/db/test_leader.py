"""Exactly one process runs the Telegram poller: the holder of an advisory lock; a standby takes over
when the holder stops or loses its connection. Two engines on one database stand for two processes."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.engine import create_engine
from agent_brain.db.leader import run_as_leader


@pytest.fixture
async def other_engine(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    other = create_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
    yield other
    await other.dispose()


class Poller:
    """Stands in for the Telegram poller: records that it runs, runs until stopped."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.started: list[str] = []
        self.changed = asyncio.Event()
        self.standby = 0

    def work(self, tag: str) -> Callable[[], asyncio.Future[None]]:
        async def run() -> None:
            self.running.add(tag)
            self.started.append(tag)
            self.changed.set()
            try:
                await asyncio.Event().wait()
            finally:
                self.running.discard(tag)
                self.changed.set()

        return lambda: asyncio.ensure_future(run())

    def stood_by(self) -> None:
        self.standby += 1
        self.changed.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(30):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_exactly_one_process_polls_and_a_standby_takes_over(
        engine: AsyncEngine, other_engine: AsyncEngine) -> None:
    name = f"test-polling-{uuid.uuid4().hex}"
    poller = Poller()
    tasks = {tag: asyncio.create_task(run_as_leader(e, name, poller.work(tag), retry_every=0.02, check_every=0.05,
                                                    on_standby=poller.stood_by))
             for tag, e in (("a", engine), ("b", other_engine))}
    try:
        await poller.until(lambda: poller.standby >= 5)  # the other one has been refused five times
        assert len(poller.running) == 1 and len(poller.started) == 1
        holder = poller.started[0]
        standby = "b" if holder == "a" else "a"

        await _stop(tasks[holder])  # the holder's process ends: its connection, and the lock, go with it
        await poller.until(lambda: standby in poller.running)
        assert poller.running == {standby} and poller.started == [holder, standby]
    finally:
        for task in tasks.values():
            await _stop(task)


async def test_a_holder_that_loses_its_connection_stops_and_the_lock_is_taken_again(
        engine: AsyncEngine, other_engine: AsyncEngine) -> None:
    name = f"test-polling-{uuid.uuid4().hex}"
    poller = Poller()
    first = asyncio.create_task(run_as_leader(engine, name, poller.work("a"), retry_every=0.02, check_every=0.05))
    await poller.until(lambda: "a" in poller.running)
    second = asyncio.create_task(run_as_leader(other_engine, name, poller.work("b"), retry_every=0.02,
                                               check_every=0.05, on_standby=poller.stood_by))
    try:
        await poller.until(lambda: poller.standby >= 1)
        async with other_engine.connect() as conn:  # the holder's connection is cut (a network loss, a restart)
            killed = (await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND objid::int = hashtext(:name) AND granted"), {"name": name})).scalars().all()
        assert killed == [True]
        # The holder stopped its work with the lock lost; whichever process takes the lock next runs it.
        await poller.until(lambda: len(poller.started) == 2 and len(poller.running) == 1)
        assert poller.started[0] == "a" and len(poller.running) == 1
    finally:
        await _stop(first)
        await _stop(second)

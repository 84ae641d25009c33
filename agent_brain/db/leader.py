"""One process of many: work that must run exactly once across every process on this database.

Telegram long polling is the case: two `getUpdates` loops on one bot token steal each other's
updates (and Telegram answers 409 to one of them). Each process of `serve --workers N` (or several
`serve` behind a proxy) calls `run_as_leader`; the one holding a PostgreSQL advisory lock runs the
work, the others stand by and try again every few seconds. The lock is a session lock on a
connection of its own, so it goes with the holder: a crash, a kill -9 or a lost connection frees it
and a standby takes over within `retry_every` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.engine import connect_outside_pool

log = logging.getLogger(__name__)


async def run_as_leader(engine: AsyncEngine, name: str, work: Callable[[], Awaitable[None]], *,
                        retry_every: float = 5.0, check_every: float = 5.0,
                        on_standby: Callable[[], None] | None = None) -> None:
    """Run `work()` while holding the advisory lock `name`; return when it returns, stop it when cancelled.

    While another process holds the lock, try again every `retry_every` seconds (`on_standby` is
    called after each refusal). While holding it, check the connection every `check_every` seconds:
    if it is lost, so is the lock — the work is stopped and the race to take it starts again.
    """
    announced = False
    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await connect_outside_pool(engine, "agent-brain leader")
            if await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", name):
                log.info("%s: this process runs it", name)
                await _lead(conn, work, check_every)  # the work's own errors go to the caller
                return
        except _ConnectionLost:
            log.warning("%s: lost the database connection holding the lock; trying again", name)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.warning("%s: could not take the lock (%s); trying again", name, type(exc).__name__)
        else:
            if not announced:
                log.info("%s: another process runs it; standing by", name)
                announced = True
            if on_standby is not None:
                on_standby()
        finally:
            if conn is not None:
                conn.terminate()  # closes at once; the server releases the session's lock with it
        _raise_if_cancelled()
        await asyncio.sleep(retry_every)


class _ConnectionLost(Exception):
    pass


def _raise_if_cancelled() -> None:
    """Python 3.11's `asyncio.wait_for` (inside `asyncpg.connect`) can swallow a cancellation that lands as
    the connection completes; the request still shows in `cancelling()`, so honour it here."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _lead(conn: asyncpg.Connection, work: Callable[[], Awaitable[None]], check_every: float) -> None:
    task = asyncio.ensure_future(work())
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=check_every)
            if done:
                await task
                return
            _raise_if_cancelled()
            try:
                await conn.fetchval("SELECT 1", timeout=check_every)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                raise _ConnectionLost from exc
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

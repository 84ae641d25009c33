"""The durable webhook inbox: updates are stored before Telegram's 200 and processed from the table.

- `WebhookInbox.put` is one `INSERT … ON CONFLICT DO NOTHING`: a re-delivered `update_id` is
  acknowledged and dropped, whichever worker got it first.
- `WebhookInbox.claim` hands a worker, in one statement, the oldest open update of each chat whose
  earlier updates are all finished (`FOR UPDATE SKIP LOCKED`: two workers never take the same row,
  and a chat's next update is not claimable while one before it is pending or processing), so
  per-chat order holds across processes.
- A claim is a lease: a worker renews it while it handles the update; if the process dies, the
  lease lapses and any worker takes the update again — nothing acknowledged is lost. A failed
  update is retried after a backoff, then parked as `failed` (and stops holding its chat).
- `InboxWorker` runs in every web process in webhook mode; the route wakes it at once, and it also
  polls, so updates stored by another process (or before a crash) are picked up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from telegram_bot.stop import is_stop

log = logging.getLogger(__name__)

_PUT = text("""
INSERT INTO telegram_updates (update_id, chat_id, payload)
VALUES (:update_id, :chat_id, CAST(:payload AS jsonb))
ON CONFLICT (update_id) DO NOTHING
RETURNING update_id
""")

_CLAIM = text("""
UPDATE telegram_updates u
SET status = 'processing', claimed_by = :worker, attempts = u.attempts + 1,
    lease_until = now() + make_interval(secs => :lease)
WHERE u.update_id IN (
    SELECT t.update_id FROM telegram_updates t
    WHERE t.status IN ('pending', 'processing') AND (t.lease_until IS NULL OR t.lease_until <= now())
      AND t.received_at <= now() - make_interval(secs => :settle)
      AND NOT EXISTS (SELECT 1 FROM telegram_updates e
                      WHERE e.chat_id = t.chat_id AND e.update_id < t.update_id
                        AND e.status IN ('pending', 'processing'))
    ORDER BY t.update_id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED)
RETURNING u.update_id, u.chat_id, u.payload, u.attempts
""")

_RENEW = text("""
UPDATE telegram_updates SET lease_until = now() + make_interval(secs => :lease)
WHERE update_id = :update_id AND claimed_by = :worker AND status = 'processing'
""")

_DONE = text("""
UPDATE telegram_updates SET status = 'done', processed_at = now(), lease_until = NULL, error = NULL
WHERE update_id = :update_id AND claimed_by = :worker AND status = 'processing'
""")

_FAIL = text("""
UPDATE telegram_updates
SET status = CASE WHEN attempts >= :max_attempts THEN 'failed' ELSE 'pending' END,
    lease_until = now() + make_interval(secs => :backoff * attempts), error = :error, claimed_by = NULL
WHERE update_id = :update_id AND claimed_by = :worker AND status = 'processing'
""")

_PURGE = text("""
DELETE FROM telegram_updates WHERE status = 'done' AND processed_at < now() - make_interval(secs => :age)
""")

_OPEN = text("SELECT count(*) FROM telegram_updates WHERE status IN ('pending', 'processing')")


@dataclass(frozen=True)
class Claimed:
    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    attempts: int


def chat_of(payload: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its order key), from the raw JSON. /stop is filed under no
    chat: it must run while the chat's turn does, not after it."""
    if is_stop(payload):
        return None
    for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(payload.get(key), dict):
            return (payload[key].get("chat") or {}).get("id")
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message") or {}
        return (message.get("chat") or {}).get("id") or (query.get("from") or {}).get("id")
    for value in payload.values():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return value["from"].get("id")  # inline queries and the like: the person's own order
    return None


class WebhookInbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def put(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Store an update; False when this update_id is already stored (a re-delivery)."""
        async with self.engine.begin() as conn:
            row = (await conn.execute(_PUT, {"update_id": update_id, "chat_id": chat_of(payload),
                                             "payload": json.dumps(payload)})).first()
        return row is not None

    async def claim(self, worker: str, *, limit: int, lease: float, settle: float = 0.0) -> list[Claimed]:
        """Lease up to `limit` updates. `settle`: only updates stored at least this long ago — concurrent
        deliveries of one chat's updates may commit out of order, and a short wait lets the earlier
        one land first (Telegram numbers updates sequentially; the chat's order is update_id order)."""
        async with self.engine.begin() as conn:
            rows = (await conn.execute(_CLAIM, {"worker": worker, "limit": limit, "lease": lease,
                                                "settle": settle})).all()
        return sorted((Claimed(r.update_id, r.chat_id, r.payload, r.attempts) for r in rows),
                      key=lambda c: c.update_id)

    async def renew(self, update_id: int, worker: str, lease: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_RENEW, {"update_id": update_id, "worker": worker, "lease": lease})

    async def done(self, update_id: int, worker: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_DONE, {"update_id": update_id, "worker": worker})

    async def fail(self, update_id: int, worker: str, error: str, *, max_attempts: int, backoff: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_FAIL, {"update_id": update_id, "worker": worker, "error": error[:2000],
                                       "max_attempts": max_attempts, "backoff": backoff})

    async def purge(self, older_than: float) -> int:
        async with self.engine.begin() as conn:
            return (await conn.execute(_PURGE, {"age": older_than})).rowcount

    async def open_count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(_OPEN)).scalar_one())


Process = Callable[[dict[str, Any]], Awaitable[None]]


class InboxWorker:
    """Claims updates and hands each to `process` (the dispatcher), up to `concurrency` at once."""

    def __init__(self, inbox: WebhookInbox, process: Process, *, name: str | None = None, concurrency: int = 32,
                 poll_every: float = 1.0, lease: float = 60.0, max_attempts: int = 3, backoff: float = 5.0,
                 settle: float = 0.25, keep_done: float = 86_400.0) -> None:
        self.inbox = inbox
        self.process = process
        self.name = name or f"tg-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.concurrency = concurrency
        self.poll_every = poll_every
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.keep_done = keep_done
        self.settle = settle
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.handled = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled; cancelling leaves claimed rows to their lease (another worker retakes them)."""
        polls = 0
        try:
            while True:
                await self.step()
                polls += 1
                if polls % 3600 == 1:
                    with contextlib.suppress(Exception):
                        await self.inbox.purge(self.keep_done)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_every)
                    await asyncio.sleep(self.settle)  # a new update: let concurrent deliveries land
                self._wake.clear()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def step(self) -> int:
        """Claim what is claimable now and start handling it; returns how many were claimed."""
        free = self.concurrency - len(self._tasks)
        if free <= 0:
            return 0
        try:
            claimed = await self.inbox.claim(self.name, limit=free, lease=self.lease, settle=self.settle)
        except Exception:  # the database is away: try again on the next poll
            log.exception("telegram inbox: claim failed")
            return 0
        for item in claimed:
            task = asyncio.create_task(self._handle(item), name=f"tg-update-{item.update_id}")
            self._tasks.add(task)
            task.add_done_callback(self._finished)
        return len(claimed)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # the chat's next update may be claimable now

    async def _handle(self, item: Claimed) -> None:
        renewing = asyncio.create_task(self._renew(item.update_id))
        try:
            await self.process(item.payload)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("telegram update %s failed (attempt %s)", item.update_id, item.attempts)
            renewing.cancel()
            await self.inbox.fail(item.update_id, self.name, f"{type(exc).__name__}: {exc}",
                                  max_attempts=self.max_attempts, backoff=self.backoff)
            return
        finally:
            renewing.cancel()
        await self.inbox.done(item.update_id, self.name)
        self.handled += 1

    async def _renew(self, update_id: int) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await self.inbox.renew(update_id, self.name, self.lease)
            except Exception:
                log.warning("telegram inbox: could not renew the lease of update %s", update_id)

    async def drained(self, within: float = 30.0) -> None:
        """Wait until the inbox holds nothing open (tests and shutdown)."""
        async with asyncio.timeout(within):
            while await self.inbox.open_count():
                self.wake()
                await asyncio.sleep(0.05)

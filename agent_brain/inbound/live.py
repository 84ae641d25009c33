"""Live dialog updates across processes: PostgreSQL LISTEN/NOTIFY.

Whoever processes a delivery (the job worker, the sweep, a web process) calls `announce` inside
the transaction that stores it, so the notification is sent only if the data is committed, and any
web process listening on the channel hears it. Each web process keeps ONE listening connection
(`DialogFeed`) and fans the notifications out to its subscribers — the SSE streams of the Dialogs
panel — by user: a user hears only about their own dialogs. The payload carries ids only; the panel
reads the dialogs through the authenticated API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger(__name__)

CHANNEL = "inbound_dialogs"
_QUEUE_SIZE = 100  # a subscriber this far behind loses updates (the panel re-reads the whole list anyway)


async def announce(conn: AsyncConnection, user_id: uuid.UUID, dialog_ids: Iterable[uuid.UUID], *,
                   kind: str = "message") -> None:
    """Tell every listening web process that these dialogs of this user changed (sent on commit)."""
    ids = sorted({str(d) for d in dialog_ids})
    if not ids:
        return
    payload = json.dumps({"user": str(user_id), "dialogs": ids, "kind": kind})
    await conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})


def listen_dsn(url: URL) -> str:
    """The plain `postgresql://` DSN asyncpg connects with (never logged: it may hold a password)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class DialogFeed:
    """One LISTEN connection per process, started by the first subscriber, re-opened after a drop."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any] | None]]] = {}

    async def _ensure(self) -> None:
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            conn = await asyncpg.connect(self._dsn)
            conn.add_termination_listener(self._on_lost)
            await conn.add_listener(CHANNEL, self._on_notify)
            self._conn = conn

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = json.loads(payload)
            queues = self._subscribers.get(str(event["user"]), ())
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed %s notification", CHANNEL)
            return
        for queue in list(queues):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait({"dialogs": event.get("dialogs", []), "kind": event.get("kind", "message")})

    def _on_lost(self, _conn: Any) -> None:
        """The listening connection died: end every stream (the browser's EventSource reconnects)."""
        self._conn = None
        for queues in self._subscribers.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[dict[str, Any] | None]]:
        """A queue of this user's dialog updates (None: the feed was lost, stop and reconnect)."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=_QUEUE_SIZE)
        key = str(user_id)
        self._subscribers.setdefault(key, set()).add(queue)
        try:
            await self._ensure()
            yield queue
        finally:
            queues = self._subscribers.get(key)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[key]

    async def close(self) -> None:
        async with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close()

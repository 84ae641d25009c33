"""Stop a turn that runs in another process (`serve --workers N`): PostgreSQL LISTEN/NOTIFY.

A Stop request reaches whichever process the load balancer picked; the turn runs in the one that took
the conversation's lease. When it is not this one, the request is announced on a channel every process
listens on, and the process running the turn stops it at its next safe point. (Telegram's /stop goes
through `telegram_chat_state` instead, see `telegram_bot.stop`.) A notification sent while a listener
is reconnecting is lost; pressing Stop again sends another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.engine import connect_outside_pool
from agent_brain.orchestrator.orchestrator import Orchestrator

log = logging.getLogger(__name__)

CHANNEL = "agent_brain_stop"


class StopRelay:
    """One listening connection per process; `request` stops the turn here or tells the other processes."""

    def __init__(self, engine: AsyncEngine, orchestrator: Orchestrator, *, reconnect_every: float = 2.0) -> None:
        self._engine = engine
        self._orchestrator = orchestrator
        self._reconnect_every = reconnect_every
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def request(self, conversation_id: uuid.UUID, *, running_elsewhere: bool) -> bool:
        """Stop the conversation's turn. True when it runs here, or runs in another process (told)."""
        if self._orchestrator.request_stop(conversation_id):
            return True
        if not running_elsewhere:
            return False
        async with self._engine.begin() as conn:
            await conn.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": CHANNEL, "id": str(conversation_id)})
        return True

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self._orchestrator.request_stop(uuid.UUID(payload))

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="stop-relay")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        while True:
            conn = None
            try:
                conn = await connect_outside_pool(self._engine, "agent-brain stop relay")
                lost = asyncio.Event()
                conn.add_termination_listener(_setter(lost))
                await conn.add_listener(CHANNEL, self._on_notify)
                self.listening.set()
                await lost.wait()
                log.warning("stop relay: lost its connection; reconnecting")
            except Exception as exc:  # the database is away: retry
                log.warning("stop relay: cannot listen (%s); retrying", type(exc).__name__)
            finally:
                self.listening.clear()
                if conn is not None:
                    conn.terminate()
            await asyncio.sleep(self._reconnect_every)


def _setter(event: asyncio.Event) -> Any:
    return lambda _conn: event.set()

"""What handlers receive besides the update: built once per dispatcher, injected by aiogram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from agent_brain.runtime import Runtime
from telegram_bot.links import ChatLinks
from telegram_bot.outbox import Outboxes, Pacing


class ChatLocks:
    """One turn at a time per chat in this process: a second message waits for the first reply
    instead of bouncing off the conversation's lease with "still answering". (Across processes
    the orchestrator's database lease still decides.)"""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:  # nobody waits: forget the chat, the dict stays small
                del self._users[chat_id]
                del self._locks[chat_id]


@dataclass
class TelegramDeps:
    runtime: Runtime
    pacing: Pacing = field(default_factory=Pacing)
    charts: bool = True
    links: ChatLinks = field(init=False)
    outboxes: Outboxes = field(init=False)
    locks: ChatLocks = field(init=False, default_factory=ChatLocks)
    # Drawing holds the GIL: one chart at a time keeps the event loop (every other chat's
    # streaming) responsive when many charts are due at once.
    chart_slots: asyncio.Semaphore = field(init=False, default_factory=lambda: asyncio.Semaphore(1))

    def __post_init__(self) -> None:
        self.links = ChatLinks(self.runtime.engine)
        self.outboxes = Outboxes(self.pacing)

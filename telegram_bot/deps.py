"""What handlers receive besides the update: built once per dispatcher, injected by aiogram."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from agent_brain.runtime import Runtime
from telegram_bot.edits import ChatState
from telegram_bot.links import ChatLinks
from telegram_bot.outbox import Outboxes, Pacing
from telegram_bot.quick import QuickActions


@dataclass
class TelegramDeps:
    runtime: Runtime
    pacing: Pacing = field(default_factory=Pacing)
    charts: bool = True
    links: ChatLinks = field(init=False)
    outboxes: Outboxes = field(init=False)
    chat_state: ChatState = field(init=False)
    quick: QuickActions = field(init=False)
    # Drawing holds the GIL: one chart at a time keeps the event loop (every other chat's
    # streaming) responsive when many charts are due at once.
    chart_slots: asyncio.Semaphore = field(init=False, default_factory=lambda: asyncio.Semaphore(1))

    def __post_init__(self) -> None:
        self.links = ChatLinks(self.runtime.engine)
        self.outboxes = Outboxes(self.pacing)
        self.chat_state = ChatState(self.runtime.engine)
        token = self.runtime.settings.telegram_bot_token
        # Button signatures are keyed on a server secret Telegram users never see.
        self.quick = QuickActions((token.get_secret_value() if token else "").encode() or b"no-token")

"""Messages the product starts itself — a rule's plan, a scheduled report, an alert — sent to Telegram.

Used by the background jobs (`agent_brain.jobs`): the text goes to the conversation's Telegram chat,
a plan comes with its ✅/❌ card (the same card and buttons as in a chat turn, so approving it is the
same path), a report's daily series as a chart. Conversations that are not Telegram ones are left to
the web page, which shows them from the conversation itself.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import BufferedInputFile

from agent_brain.runtime import Runtime
from agent_brain.stores.errors import ConversationNotFoundError
from telegram_bot.approvals import send_card
from telegram_bot.bot import build_bot
from telegram_bot.charts import caption, chartable, render_png
from telegram_bot.outbox import Outboxes, Pacing
from telegram_bot.render import escape, pack, text_lines

log = logging.getLogger(__name__)


class TelegramNotifier:
    """`agent_brain.automation.act.Notify` over the Bot API (a bot session per notification: they are rare)."""

    def __init__(self, runtime: Runtime, *, pacing: Pacing | None = None) -> None:
        self.runtime = runtime
        self.outboxes = Outboxes(pacing or Pacing())

    async def __call__(self, user_id: uuid.UUID, conversation_id: uuid.UUID, text: str,
                       payload: dict[str, Any] | None) -> None:
        try:
            conv = await self.runtime.conversations.get_by_id(conversation_id)
        except ConversationNotFoundError:
            return
        if conv.source != "telegram" or conv.telegram_chat_id is None or conv.user_id != user_id:
            return
        chat_id = conv.telegram_chat_id
        user = await self.runtime.users.get_user(user_id)
        lang = "en" if user is not None and user.language == "en" else "ru"
        async with build_bot(self.runtime.settings) as bot:
            outbox = self.outboxes.get(bot, chat_id)
            payload = payload or {}
            chart = payload.get("chart")
            if isinstance(chart, dict) and chartable({"chart": "timeseries", **chart}):
                series = {"chart": "timeseries", **chart}
                currency = str(chart.get("currency") or "USD")
                png = render_png(series, lang, currency)
                await outbox.call(lambda: SendPhoto(chat_id=chat_id, photo=BufferedInputFile(png, "report.png"),
                                                    caption=caption(series, lang, currency)))
            plan = payload.get("plan")
            for part in pack(escape(line) for line in text_lines(text)):
                await outbox.call(lambda part=part: SendMessage(chat_id=chat_id, text=part))
            if isinstance(plan, dict) and plan.get("plan_id"):
                await send_card(self.runtime, self.outboxes, bot, chat_id, uuid.UUID(plan["plan_id"]), plan, lang)

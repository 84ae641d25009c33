"""Inbound customer dialogs in Telegram: the marketer is told about handoffs and hot leads, with
buttons to send the prepared draft or take the dialog over (handled in `handlers/inbound.py`).

Callback data: `ib:s:<message id>` (send the draft) and `ib:t:<message id>` (take over); a press
is checked against the linked user's own dialogs, so a forged id does nothing.
"""

from __future__ import annotations

import logging

from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from agent_brain.inbound.service import HandoffCard
from agent_brain.runtime import Runtime
from telegram_bot.outbox import Outboxes, Pacing
from telegram_bot.render import escape

log = logging.getLogger(__name__)

SEND, TAKE, EDIT = "ib:s:", "ib:t:", "ib:e:"
EDIT_MARK = "#ib"  # in the prompt for an edited reply: the customer message it answers, e.g. #ib123
_INTENTS = {
    "price_question": ("вопрос о цене", "price question"), "booking": ("запись", "booking"),
    "complaint": ("жалоба", "complaint"), "objection": ("возражение", "objection"),
    "human_request": ("просит человека", "asks for a person"), "opt_out": ("отписка", "opt-out"),
    "spam": ("спам", "spam"), "greeting": ("приветствие", "greeting"), "question": ("вопрос", "question"),
    "other": ("не распознано", "not recognised"),
}
_SENTIMENTS = {"positive": ("позитивный", "positive"), "neutral": ("нейтральный", "neutral"),
               "negative": ("негативный", "negative")}
_METHODS = {"rules": ("правила", "rules"), "model": ("модель", "model"), "none": ("нет", "none")}


def card_text(card: HandoffCard, lang: str) -> str:
    i = 0 if lang == "ru" else 1
    channel = "Instagram" if card.channel == "instagram" else "WhatsApp"
    head = ("🙋 Нужен ответ человека", "🙋 A person should answer")[i] if card.kind == "handoff" else \
        ("🔥 Горячий лид", "🔥 Hot lead")[i]
    a = card.analysis
    lines = [f"{head} — {channel}, {escape(card.customer)}",
             f"«{escape(card.text[:1000])}»",
             ("Намерение: {} · тон: {} · уверенность {:.2f} ({})", "Intent: {} · tone: {} · confidence {:.2f} ({})")[i]
             .format(_INTENTS.get(a.intent, (a.intent, a.intent))[i], _SENTIMENTS.get(a.sentiment, (a.sentiment,) * 2)[i],
                     a.confidence, _METHODS.get(a.method, (a.method,) * 2)[i])]
    if card.draft:
        lines.append(("Черновик ответа: {}", "Draft reply: {}")[i].format(escape(card.draft)))
    return "\n".join(lines)


def card_keyboard(card: HandoffCard, lang: str) -> InlineKeyboardMarkup:
    i = 0 if lang == "ru" else 1
    row = []
    if card.draft:
        row.append(InlineKeyboardButton(text=("✉️ Отправить черновик", "✉️ Send the draft")[i],
                                        callback_data=f"{SEND}{card.message_id}"))
    row.append(InlineKeyboardButton(text=("✏️ Изменить", "✏️ Edit")[i], callback_data=f"{EDIT}{card.message_id}"))
    row.append(InlineKeyboardButton(text=("🙋 Беру на себя", "🙋 I'll take it")[i],
                                    callback_data=f"{TAKE}{card.message_id}"))
    return InlineKeyboardMarkup(inline_keyboard=[row])


class TelegramHandoffNotifier:
    """`HandoffNotify` over the Bot API, to the chat linked to the dialog's owner."""

    def __init__(self, runtime: Runtime, *, pacing: Pacing | None = None) -> None:
        self.runtime = runtime
        self.outboxes = Outboxes(pacing or Pacing())

    async def __call__(self, card: HandoffCard) -> None:
        user = await self.runtime.users.get_user(card.user_id)
        if user is None or user.telegram_chat_id is None:
            return  # not linked to Telegram: the web panel shows the dialog
        from telegram_bot.bot import build_bot  # here: the bot's handlers import this module

        chat_id = user.telegram_chat_id
        lang = "en" if user.language == "en" else "ru"
        async with build_bot(self.runtime.settings) as bot:
            await self.outboxes.get(bot, chat_id).call(lambda: SendMessage(
                chat_id=chat_id, text=card_text(card, lang), reply_markup=card_keyboard(card, lang)))

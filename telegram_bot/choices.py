"""A clarifying question's answers as an inline keyboard, and what a press means.

callback_data is `ch:<index>` (≤ 6 bytes). It names a position only; the choice itself is read
back from the chat's own conversation — the last assistant message must still carry these
choices (a newer turn makes old buttons stale) and the pressed button's label must match the
stored one. The choice's `reply_text` then goes through the same path as a typed message.
"""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from agent_brain.runtime import Runtime
from agent_brain.stores.users import UserRecord
from telegram_bot.outbox import Outboxes
from telegram_bot.texts import Lang

_DATA = re.compile(r"^ch:(\d{1,2})$")
LABEL_LIMIT = 64  # a button shows about this much

TEXTS = {
    "choose": {"ru": "Выберите вариант:", "en": "Pick one:"},
    "chosen": {"ru": "Выбрано:", "en": "Chosen:"},
    "stale": {"ru": "Этот вопрос уже неактуален — напишите, что нужно.", "en": "This question is no longer open — "
                                                                            "please type what you need."},
}


def callback_data(index: int) -> str:
    return f"ch:{index}"


def parse_callback_data(data: str | None) -> int | None:
    match = _DATA.match(data or "")
    return int(match.group(1)) if match else None


def label(choice: dict[str, str]) -> str:
    text = choice.get("label") or choice.get("reply_text") or "?"
    return text if len(text) <= LABEL_LIMIT else text[:LABEL_LIMIT - 1] + "…"


def keyboard(choices: list[dict[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=label(c), callback_data=callback_data(i))] for i, c in enumerate(choices)])


async def send_card(outboxes: Outboxes, bot: Bot, chat_id: int, choices: list[dict[str, str]], lang: Lang) -> None:
    await outboxes.get(bot, chat_id).call(lambda: SendMessage(
        chat_id=chat_id, text=TEXTS["choose"][lang], reply_markup=keyboard(choices)))


async def chosen_reply(runtime: Runtime, user: UserRecord, chat_id: int, index: int, pressed_label: str | None
                       ) -> str | None:
    """The text to send for a press, or None when the button is stale or does not belong here."""
    conv = await runtime.conversations.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=chat_id)
    messages = await runtime.conversations.load_messages(conv.id, limit=5)
    last = next((m for m in reversed(messages) if m.role == "assistant"), None)
    stored: Any = last.tool_result if last is not None else None
    choices = stored.get("choices") if isinstance(stored, dict) else None
    if not isinstance(choices, list) or not 0 <= index < len(choices):
        return None
    choice = choices[index]
    if pressed_label is not None and pressed_label != label(choice):
        return None
    reply = choice.get("reply_text") if isinstance(choice, dict) else None
    return reply if isinstance(reply, str) and reply.strip() else None

"""Presses on a clarifying question's choice buttons (`ch:<index>`): the choice is sent as the
chat's next message, through the same path as typed text."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText
from aiogram.types import CallbackQuery

from agent_brain.stores.users import UserRecord
from telegram_bot import choices
from telegram_bot.deps import TelegramDeps
from telegram_bot.render import escape
from telegram_bot.texts import Lang
from telegram_bot.turns import run_turn


def build_router() -> Router:
    router = Router(name="choices")

    @router.callback_query(F.data.startswith("ch:"))
    async def pick(query: CallbackQuery, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        message = query.message
        assert message is not None  # LinkedChatMiddleware refuses presses without a message
        index = choices.parse_callback_data(query.data)
        markup = getattr(message, "reply_markup", None)
        pressed = None
        if index is not None and markup is not None:
            rows = markup.inline_keyboard
            pressed = rows[index][0].text if index < len(rows) and rows[index] else None
        reply = (await choices.chosen_reply(deps.runtime, user, message.chat.id, index, pressed)
                 if index is not None else None)
        with contextlib.suppress(TelegramBadRequest):
            await query.answer(None if reply else choices.TEXTS["stale"][lang], show_alert=reply is None)
        # One press answers the question: the buttons go away (an edit without markup drops them).
        shown = choices.TEXTS["chosen" if reply else "stale"][lang] + (f" {escape(pressed or reply)}" if reply else "")
        with contextlib.suppress(TelegramBadRequest):
            await deps.outboxes.get(bot, message.chat.id).call(lambda: EditMessageText(
                chat_id=message.chat.id, message_id=message.message_id, text=shown))
        if reply:
            await run_turn(deps, bot, message.chat.id, user, reply, lang)

    return router

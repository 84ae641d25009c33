"""Presses on quick-action buttons (`qa:…`): checked against the chat's stored last answer, then the
action's phrase goes through the same turn as typed text (writes still become plans)."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageReplyMarkup
from aiogram.types import CallbackQuery

from agent_brain.stores.users import UserRecord
from telegram_bot import quick
from telegram_bot.deps import TelegramDeps
from telegram_bot.texts import Lang
from telegram_bot.turns import run_turn


def build_router() -> Router:
    router = Router(name="quick")

    @router.callback_query(F.data.startswith("qa:"))
    async def press(query: CallbackQuery, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        message = query.message
        assert message is not None  # LinkedChatMiddleware refuses presses without a message
        chat_id = message.chat.id
        conversation = await deps.runtime.conversations.get_or_create(user_id=user.id, source="telegram",
                                                                     telegram_chat_id=chat_id)
        turn = quick.last_turn(await deps.runtime.conversations.load_messages(conversation.id, limit=40))
        action = deps.quick.verify(query.data, user_id=user.id, conversation_id=conversation.id, chat_id=chat_id,
                                   turn=turn, lang=lang)
        with contextlib.suppress(TelegramBadRequest):
            await query.answer(action.label if action else quick.TEXTS["forged"][lang], show_alert=action is None)
        if action is None:
            return
        # One press: the buttons go (an answer's suggestions are for that answer only).
        with contextlib.suppress(TelegramBadRequest):
            await deps.outboxes.get(bot, chat_id).call(lambda: EditMessageReplyMarkup(
                chat_id=chat_id, message_id=message.message_id, reply_markup=None))
        await run_turn(deps, bot, chat_id, user, action.text, lang, in_group=message.chat.type != "private")

    return router

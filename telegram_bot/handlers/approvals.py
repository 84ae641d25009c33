"""Presses on the approval card's ✅ / ❌ buttons."""

from __future__ import annotations

import contextlib

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery

from agent_brain.stores.users import UserRecord
from telegram_bot.approvals import handle_press
from telegram_bot.deps import TelegramDeps
from telegram_bot.texts import Lang


def build_router() -> Router:
    router = Router(name="approvals")

    @router.callback_query()
    async def press(query: CallbackQuery, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        message = query.message
        assert message is not None  # LinkedChatMiddleware refuses presses without a message
        answer = await handle_press(deps.runtime, deps.outboxes, bot, chat_id=message.chat.id,
                                    message_id=message.message_id, user=user, data=query.data, lang=lang)
        # "query is too old": the plan ran longer than Telegram keeps a press open; the card shows the outcome.
        with contextlib.suppress(TelegramBadRequest):
            await query.answer(answer.text, show_alert=answer.alert)

    return router

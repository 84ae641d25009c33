"""Every handler behind this middleware gets the chat's linked `user`; an unlinked chat gets the
linking instructions instead, and the handler never runs (so it cannot leak any data)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from telegram_bot.deps import TelegramDeps
from telegram_bot.texts import t, ui_language


class LinkedChatMiddleware(BaseMiddleware):
    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        deps: TelegramDeps = data["deps"]
        if isinstance(event, Message):
            chat_id: int | None = event.chat.id
        elif isinstance(event, CallbackQuery):
            # The chat the button is in, not the presser: that is what a plan is tied to.
            chat_id = event.message.chat.id if event.message is not None else None
        else:
            return await handler(event, data)
        user = await deps.links.user_for_chat(chat_id) if chat_id is not None else None
        lang = ui_language(getattr(event, "from_user", None), user)
        if user is None:
            if isinstance(event, Message):
                await event.answer(t(lang, "unlinked"))
            else:
                await event.answer(t(lang, "unlinked_alert"), show_alert=True)
            return None
        data["user"] = user
        data["lang"] = lang
        return await handler(event, data)

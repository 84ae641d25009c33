"""Last resort: an exception escaping a handler is logged and the chat told, never silently lost."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from telegram_bot.outbox import best_effort
from telegram_bot.texts import t, ui_language

log = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name="errors")

    @router.errors()
    async def on_error(event: ErrorEvent) -> bool:
        update = event.update
        log.error("update %s failed", update.update_id, exc_info=event.exception)
        message = update.message or (update.callback_query.message if update.callback_query else None)
        if message is not None:
            sender = update.message.from_user if update.message else update.callback_query.from_user  # type: ignore[union-attr]
            await best_effort(message.answer(t(ui_language(sender), "internal_error")))
        return True

    return router

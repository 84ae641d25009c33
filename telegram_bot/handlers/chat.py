"""Any other text is a message to the assistant (a typed «да»/«нет» answers a pending plan)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message

from agent_brain.stores.users import UserRecord
from telegram_bot.deps import TelegramDeps
from telegram_bot.texts import Lang, t
from telegram_bot.turns import run_turn


def build_router() -> Router:
    router = Router(name="chat")

    @router.message(F.text)
    async def text(message: Message, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        await deps.chat_state.remember(message.chat.id, message.message_id)  # an edit of it is answered again
        await run_turn(deps, bot, message.chat.id, user, message.text or "", lang,
                       in_group=message.chat.type != "private")

    @router.message()
    async def other(message: Message, lang: Lang) -> None:
        await message.answer(t(lang, "text_only"))

    return router

"""/stop: stop the chat's running answer (see `telegram_bot.stop`; it is not queued behind that answer)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from agent_brain.stores.users import UserRecord
from telegram_bot import stop
from telegram_bot.deps import TelegramDeps
from telegram_bot.texts import Lang


def build_router() -> Router:
    router = Router(name="stop")

    @router.message(Command("stop"))
    async def stop_turn(message: Message, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        runtime = deps.runtime
        conversation = await runtime.conversations.get_or_create(user_id=user.id, source="telegram",
                                                                 telegram_chat_id=message.chat.id)
        if runtime.orchestrator.request_stop(conversation.id):  # the turn runs in this process
            await message.answer(stop.TEXTS["stopping"][lang])
            return
        if conversation.lock_owner is None:
            await message.answer(stop.TEXTS["idle"][lang])
            return
        await stop.request(runtime.engine, message.chat.id)  # another process runs it: it polls for this
        await message.answer(stop.TEXTS["stopping"][lang])

    return router

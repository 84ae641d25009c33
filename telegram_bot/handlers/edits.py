"""Edited text messages (see `telegram_bot.edits`): the newest is answered again, older ones get a note."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.methods import SendMessage
from aiogram.types import Message, ReplyParameters

from agent_brain.stores.users import UserRecord
from telegram_bot.deps import TelegramDeps
from telegram_bot.edits import TEXTS
from telegram_bot.texts import Lang
from telegram_bot.turns import run_turn


def build_router() -> Router:
    router = Router(name="edits")

    @router.edited_message(F.text)
    async def edited(message: Message, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        chat_id = message.chat.id

        async def note(key: str) -> None:
            # Through the chat's outbox: the note and the new answer keep to ≤ 1 message/s.
            await deps.outboxes.get(bot, chat_id).call(lambda: SendMessage(
                chat_id=chat_id, text=TEXTS[key][lang],
                reply_parameters=ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)))

        if (message.text or "").startswith("/"):
            await note("command_edit")
            return
        if not await deps.chat_state.is_latest(chat_id, message.message_id):
            await note("old_edit")
            return
        await note("reanswer")
        await run_turn(deps, bot, message.chat.id, user, message.text or "", lang,
                       in_group=message.chat.type != "private")

    return router

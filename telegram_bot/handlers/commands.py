"""/help, /clear, /mode auto|plan|ask, /status (linked chats only: see LinkedChatMiddleware)."""

from __future__ import annotations

import math
from typing import get_args

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from agent_brain.stores.records import ConversationRecord, Mode
from agent_brain.stores.users import UserRecord
from telegram_bot.deps import TelegramDeps
from telegram_bot.render import escape
from telegram_bot.texts import Lang, t

MODES: tuple[str, ...] = get_args(Mode)


async def _conversation(deps: TelegramDeps, user: UserRecord, chat_id: int) -> ConversationRecord:
    return await deps.runtime.conversations.get_or_create(user_id=user.id, source="telegram",
                                                          telegram_chat_id=chat_id)


def build_router() -> Router:
    router = Router(name="commands")

    @router.message(Command("help"))
    async def help_(message: Message, lang: Lang) -> None:
        await message.answer(t(lang, "help"))

    @router.message(Command("clear"))
    async def clear(message: Message, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        conversation = await _conversation(deps, user, message.chat.id)
        deleted = await deps.runtime.conversations.clear(conversation.id)
        await message.answer(t(lang, "cleared", count=deleted))

    @router.message(Command("mode"))
    async def mode(message: Message, command: CommandObject, user: UserRecord, lang: Lang,
                   deps: TelegramDeps) -> None:
        conversation = await _conversation(deps, user, message.chat.id)
        wanted = (command.args or "").strip().lower()
        if wanted not in MODES:
            await message.answer(t(lang, "mode_usage", mode=conversation.mode, modes=t(lang, "modes")))
            return
        await deps.runtime.conversations.set_mode(conversation.id, wanted)  # type: ignore[arg-type]
        await message.answer(t(lang, "mode_set", mode=wanted))

    @router.message(Command("status"))
    async def status(message: Message, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        conversation = await _conversation(deps, user, message.chat.id)
        await message.answer(await _status_text(deps, conversation, lang))

    @router.message(F.text.startswith("/"))
    async def unknown(message: Message, lang: Lang) -> None:
        await message.answer(t(lang, "unknown_command"))

    return router


async def _status_text(deps: TelegramDeps, conversation: ConversationRecord, lang: Lang) -> str:
    store = deps.runtime.conversations
    pending = await store.get_pending_plan(conversation.id)
    if pending is None:
        plan = t(lang, "no_plan")
    else:
        actions = ", ".join(s.action for s in pending.plan.steps)
        plan = f"{escape(actions)} (<code>{pending.id.hex[:8]}</code>)"
    breaker = deps.runtime.meta.client.breaker.status()
    if breaker.state == "open":
        health = t(lang, "breaker_open", seconds=math.ceil(breaker.seconds_until_retry))
    elif breaker.state == "half-open":
        health = t(lang, "breaker_half_open")
    else:
        health = t(lang, "breaker_closed")
    return t(lang, "status", mode=conversation.mode, count=conversation.message_count,
             agent=escape(conversation.last_agent or t(lang, "none")),
             domain=escape(conversation.last_domain or t(lang, "none")), plan=plan, breaker=health)

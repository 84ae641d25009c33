"""/help, /clear, /mode auto|plan|ask, /status, /allow, /deny (linked chats, people who may act
there only: see LinkedChatMiddleware). /allow and /deny are the owner's: the person who linked the chat."""

from __future__ import annotations

import math
from typing import get_args

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from agent_brain.platforms.graph.errors import format_wait
from agent_brain.stores.records import ConversationRecord, Mode
from agent_brain.stores.telegram_links import ChatRole
from agent_brain.stores.users import UserRecord
from telegram_bot.deps import TelegramDeps
from telegram_bot.middleware import owner_label, person_of
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
        if wanted == "auto" and message.chat.type != "private":
            await message.answer(t(lang, "group_mode"))
            return
        if wanted not in MODES:
            await message.answer(t(lang, "mode_usage", mode=conversation.mode, modes=t(lang, "modes")))
            return
        await deps.runtime.conversations.set_mode(conversation.id, wanted)  # type: ignore[arg-type]
        await message.answer(t(lang, "mode_set", mode=wanted))

    @router.message(Command("status"))
    async def status(message: Message, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        conversation = await _conversation(deps, user, message.chat.id)
        await message.answer(await _status_text(deps, conversation, lang))

    @router.message(Command("allow", "deny"))
    async def allow_or_deny(message: Message, command: CommandObject, role: ChatRole, lang: Lang,
                            deps: TelegramDeps) -> None:
        members = deps.links.codes
        chat_id = message.chat.id
        if role != "owner":
            await message.answer(t(lang, "owner_only", owner=escape(await owner_label(deps, chat_id))))
            return
        allow = command.command == "allow"
        target = message.reply_to_message.from_user if message.reply_to_message else None
        username = (command.args or "").strip()
        if target is not None and not target.is_bot:
            person = person_of(target)
            who = f"@{person.handle}" if person.handle else (person.display_name or str(person.id))
            done = (await members.allow(chat_id, person=person) if allow
                    else await members.disallow(chat_id, telegram_user_id=person.id))
        elif username.startswith("@") and len(username) > 1 and " " not in username:
            who = username
            done = (await members.allow(chat_id, username=username) if allow
                    else await members.disallow(chat_id, username=username))
        else:
            await message.answer(t(lang, "allow_usage"))
            return
        key = ("allowed" if done else "already_allowed") if allow else ("denied" if done else "not_in_list")
        await message.answer(t(lang, key, who=escape(who)))

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
    client = deps.runtime.meta.client
    breaker = client.breaker.status()
    if breaker.state == "open":
        health = t(lang, "breaker_open", seconds=math.ceil(breaker.seconds_until_retry))
    elif breaker.state == "half-open":
        health = t(lang, "breaker_half_open")
    else:
        health = t(lang, "breaker_closed")
    own = {account.external_id for account in await deps.runtime.users.ad_accounts(conversation.user_id)}
    for paused in client.throttles.statuses():
        if paused.account_id in own:
            health += "\n" + t(lang, "throttled", account=escape(paused.account_id),
                                wait=format_wait(paused.seconds_left, lang))
    people = ", ".join(escape(m.label) + (f" ({t(lang, 'owner_mark')})" if m.role == "owner" else "")
                       for m in await deps.links.codes.members(conversation.telegram_chat_id or 0))
    return t(lang, "status", mode=conversation.mode, count=conversation.message_count,
             agent=escape(conversation.last_agent or t(lang, "none")),
             domain=escape(conversation.last_domain or t(lang, "none")), plan=plan, breaker=health,
             people=people or t(lang, "none"))

"""The gates every update passes.

`ChatSequencer` (outer, on every update): one chat's updates are handled one at a time, in the order
they reached the dispatcher; other chats run concurrently.

`LinkedChatMiddleware` (on the linked routers): the handler gets the chat's linked `user` only if
the person who sent the message or pressed the button may act there — the Telegram user who linked
the chat or someone they allowed (`/allow`). An unlinked chat gets the linking instructions;
anyone else gets a short "only … can act here" (an alert for a button) and nothing runs, so no
other group member can ask, approve or type «да».
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.types import User as TgUser

from agent_brain.stores.telegram_links import TelegramPerson
from telegram_bot import stop
from telegram_bot.deps import TelegramDeps
from telegram_bot.render import escape
from telegram_bot.texts import t, ui_language

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ChatSequencer(BaseMiddleware):
    """Strict per-chat order for polling and webhook alike.

    The polling loop starts one task per update in arrival order, and aiogram reaches this outer
    middleware without awaiting anything first, so the tasks queue on the chat's lock in arrival
    order; `asyncio.Lock` wakes its waiters first in, first out. The webhook path feeds updates
    through the same dispatcher, so they queue in the order their requests arrived.
    """

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._holders[chat_id] = self._holders.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[chat_id] -= 1
            if not self._holders[chat_id]:  # nobody waits: forget the chat, the dicts stay small
                del self._holders[chat_id]
                del self._locks[chat_id]

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        context: EventContext | None = data.get(EVENT_CONTEXT_KEY)
        chat_id = context.chat_id if context is not None else None
        if chat_id is None or stop.is_stop(event):  # /stop must reach the turn it stops, not wait for it
            return await handler(event, data)
        async with self.hold(chat_id):
            return await handler(event, data)


def person_of(tg_user: TgUser) -> TelegramPerson:
    return TelegramPerson(tg_user.id, tg_user.username, tg_user.full_name or None)


class LinkedChatMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        deps: TelegramDeps = data["deps"]
        if isinstance(event, Message):
            chat_id: int | None = event.chat.id
        elif isinstance(event, CallbackQuery):
            # The chat the button is in: that is what a plan is tied to.
            chat_id = event.message.chat.id if event.message is not None else None
        else:
            return await handler(event, data)
        sender: TgUser | None = event.from_user
        if chat_id is None:
            user, role = None, None
        elif sender is None:  # a channel post: nobody in particular
            user, role = await deps.links.user_for_chat(chat_id), None
        else:
            user, role = await deps.links.access(chat_id, person_of(sender))
        lang = ui_language(sender, user)
        if user is None or chat_id is None:
            if isinstance(event, Message):
                await event.answer(t(lang, "unlinked"))
            else:
                await event.answer(t(lang, "unlinked_alert"), show_alert=True)
            return None
        if role is None:
            owner = await owner_label(deps, chat_id)
            if isinstance(event, Message):
                await event.answer(t(lang, "not_allowed_here", owner=escape(owner)))
            else:
                await event.answer(t(lang, "not_allowed_alert", owner=owner), show_alert=True)
            return None
        data["user"] = user
        data["lang"] = lang
        data["role"] = role
        return await handler(event, data)


async def owner_label(deps: TelegramDeps, chat_id: int) -> str:
    members = await deps.links.codes.members(chat_id)
    owner = next((m for m in members if m.role == "owner"), None)
    return owner.label if owner is not None else "—"

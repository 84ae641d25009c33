"""/start <code>: link this chat to an account. Works in unlinked chats (it is how they get linked).

The sender becomes the chat's owner: the one person who may act there (and allow others). Only
private chats can be linked unless TELEGRAM_ALLOW_GROUPS is on.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from telegram_bot.deps import TelegramDeps
from telegram_bot.middleware import owner_label, person_of
from telegram_bot.render import escape
from telegram_bot.texts import t, ui_language


def build_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject, deps: TelegramDeps) -> None:
        code = (command.args or "").strip()
        if not code:
            sender = message.from_user
            user, role = (await deps.links.access(message.chat.id, person_of(sender)) if sender is not None
                          else (await deps.links.user_for_chat(message.chat.id), None))
            lang = ui_language(sender, user)
            if user is None:
                await message.answer(t(lang, "unlinked"))
            elif role is None:  # a group member who may not act: not even the account's name
                owner = await owner_label(deps, message.chat.id)
                await message.answer(t(lang, "not_allowed_here", owner=escape(owner)))
            else:
                await message.answer(t(lang, "already_linked", name=escape(user.name)))
            return
        if message.chat.type != "private" and not deps.runtime.settings.telegram_allow_groups:
            await message.answer(t(ui_language(message.from_user), "group_linking_off"))
            return
        if message.from_user is None or message.from_user.is_bot:  # a channel's or anonymous admin's post
            await message.answer(t(ui_language(message.from_user), "bad_code"))
            return
        user = await deps.links.link(code, message.chat.id, person_of(message.from_user))
        lang = ui_language(message.from_user, user)
        if user is None:
            await message.answer(t(lang, "bad_code"))
        else:
            await message.answer(t(lang, "linked", name=escape(user.name)))

    return router

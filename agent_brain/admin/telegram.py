"""`agent-brain telegram link|unlink`: give a user a one-time `/start` code, or cut their chat loose.

Unlinking frees the chat (`users.telegram_chat_id`), drops its people (owner and allowed) and turns
the chat's conversation into a web one of the same user, exactly as moving a chat to another
account does; the bot then answers that chat as unlinked.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Conversation, TelegramChatMember, User
from agent_brain.stores.telegram_links import TelegramLinkStore


async def issue_link_code(engine: AsyncEngine, user_name: str) -> tuple[str, dt.datetime] | None:
    """A fresh `/start` code for `user_name` and its expiry; None if there is no such user."""
    async with engine.connect() as conn:
        user_id = (await conn.execute(select(User.id).where(User.name == user_name))).scalar_one_or_none()
    if user_id is None:
        return None
    return await TelegramLinkStore(engine).issue(user_id)


async def unlink(engine: AsyncEngine, user_name: str) -> int | None:
    """Unlink the user's chat: its id, or None when the user has no linked chat (or does not exist)."""
    async with engine.begin() as conn:
        row = (await conn.execute(select(User.id, User.telegram_chat_id).where(User.name == user_name)
                                  .with_for_update())).first()
        if row is None or row.telegram_chat_id is None:
            return None
        chat_id = row.telegram_chat_id
        await conn.execute(update(User).where(User.id == row.id).values(telegram_chat_id=None))
        await conn.execute(delete(TelegramChatMember).where(TelegramChatMember.chat_id == chat_id))
        await conn.execute(update(Conversation)
                           .where(Conversation.source == "telegram", Conversation.telegram_chat_id == chat_id)
                           .values(source="web", telegram_chat_id=None))
    return chat_id

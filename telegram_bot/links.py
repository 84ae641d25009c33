"""Which account a Telegram chat belongs to.

Codes are issued and redeemed by `agent_brain.stores.telegram_links.TelegramLinkStore` (shared
with the web page that shows the code); this adds what the bot needs around it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Conversation, User
from agent_brain.stores.telegram_links import ChatRole, TelegramLinkStore, TelegramPerson
from agent_brain.stores.users import UserRecord


class ChatLinks:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.codes = TelegramLinkStore(engine)

    async def user_for_chat(self, chat_id: int) -> UserRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(User).where(User.telegram_chat_id == chat_id,
                                                           User.disabled_at.is_(None)))).first()
        return None if row is None else UserRecord.model_validate(row._mapping)

    async def access(self, chat_id: int, person: TelegramPerson) -> tuple[UserRecord | None, ChatRole | None]:
        """The chat's account and `person`'s role in the chat (see `TelegramLinkStore.access`)."""
        return await self.codes.access(chat_id, person)

    async def link(self, code: str, chat_id: int, person: TelegramPerson | None = None) -> UserRecord | None:
        """Redeem `code` for this chat, `person` becoming its owner. None: the code is unknown,
        expired or already used."""
        user = await self.codes.redeem(code, chat_id, person)
        if user is not None:
            await self._detach_previous_owner(chat_id, user.id)
        return user

    async def _detach_previous_owner(self, chat_id: int, user_id: uuid.UUID) -> None:
        """A chat that moves to another account must not stay tied to the old account's conversation
        (there is one Telegram conversation per chat, and it would refuse the new owner). The old
        conversation is kept, as a web conversation of its owner."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(Conversation)
                .where(Conversation.source == "telegram", Conversation.telegram_chat_id == chat_id,
                       Conversation.user_id != user_id)
                .values(source="web", telegram_chat_id=None)
            )

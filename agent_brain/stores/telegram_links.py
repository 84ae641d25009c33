"""One-time codes that link a Telegram chat to a user (`/start <code>` in the bot).

The web page asks for a code (`issue`), the user sends it to the bot, the bot calls `redeem`.
Only a SHA-256 of the code is stored; a code lives 15 minutes and works once. Expiry is decided
by the database clock, so web and bot processes on different hosts agree.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import delete, func, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import TelegramLinkCode, User
from agent_brain.security import hash_token
from agent_brain.stores.users import UserRecord

CODE_LENGTH = 8
CODE_TTL = dt.timedelta(minutes=15)
# No 0/O, 1/I/L: the code is read off a screen and typed on a phone. 31^8 ≈ 8.5e11 codes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def normalize_code(code: str) -> str:
    """What the user typed, as it was issued: spaces dropped, upper case."""
    return "".join(code.split()).upper()


class TelegramLinkStore:
    def __init__(self, engine: AsyncEngine, *, ttl: dt.timedelta = CODE_TTL) -> None:
        self._engine = engine
        self.ttl = ttl

    async def issue(self, user_id: uuid.UUID) -> tuple[str, dt.datetime]:
        """A fresh code for `user_id` and its expiry. The user's lapsed codes are swept on the way."""
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        async with self._engine.begin() as conn:
            await conn.execute(delete(TelegramLinkCode).where(
                TelegramLinkCode.user_id == user_id, TelegramLinkCode.expires_at <= func.now()))
            expires_at = (await conn.execute(
                insert(TelegramLinkCode)
                .values(code_hash=hash_token(code), user_id=user_id, expires_at=func.now() + self.ttl)
                .returning(TelegramLinkCode.expires_at)
            )).scalar_one()
        return code, expires_at

    async def redeem(self, code: str, chat_id: int) -> UserRecord | None:
        """Link `chat_id` to the code's user and spend the code, in one transaction.

        Returns the linked user, or None for an unknown, expired or already used code. A chat
        linked to someone else before moves to the code's user (whoever holds the code is
        logged in as that user on the web).
        """
        async with self._engine.begin() as conn:
            user_id = (await conn.execute(
                update(TelegramLinkCode)
                .where(TelegramLinkCode.code_hash == hash_token(normalize_code(code)),
                       TelegramLinkCode.used_at.is_(None), TelegramLinkCode.expires_at > func.now())
                .values(used_at=func.now(), used_by_chat_id=chat_id)
                .returning(TelegramLinkCode.user_id)
            )).scalar_one_or_none()
            if user_id is None:
                return None
            # users.telegram_chat_id is unique: free it first if another user had this chat.
            await conn.execute(update(User).where(User.telegram_chat_id == chat_id, User.id != user_id)
                               .values(telegram_chat_id=None))
            row = (await conn.execute(
                update(User).where(User.id == user_id).values(telegram_chat_id=chat_id).returning(User)
            )).first()
        return None if row is None else UserRecord.model_validate(row._mapping)

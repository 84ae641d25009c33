"""One-time codes that link a Telegram chat to a user (`/start <code>` in the bot), and the
Telegram people who may act in a linked chat.

The web page asks for a code (`issue`), the user sends it to the bot, the bot calls `redeem`.
Only a SHA-256 of the code is stored; a code lives 15 minutes and works once. Expiry is decided
by the database clock, so web and bot processes on different hosts agree.

The Telegram person who redeems the code becomes the chat's `owner`; the owner may allow others
(`allow`). Everyone else in the chat (a group) is nobody to the bot.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import TelegramChatMember, TelegramLinkCode, User
from agent_brain.security import hash_token
from agent_brain.stores.users import UserRecord

CODE_LENGTH = 8
CODE_TTL = dt.timedelta(minutes=15)
# No 0/O, 1/I/L: the code is read off a screen and typed on a phone. 31^8 ≈ 8.5e11 codes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


ChatRole = Literal["owner", "allowed"]


@dataclass(frozen=True)
class TelegramPerson:
    """A Telegram account as an update shows it."""

    id: int
    username: str | None = None
    display_name: str | None = None

    @property
    def handle(self) -> str | None:
        return normalize_username(self.username) if self.username else None


@dataclass(frozen=True)
class ChatMember:
    telegram_user_id: int | None
    username: str | None
    display_name: str | None
    role: ChatRole

    @property
    def label(self) -> str:
        """How the bot names this person: @username, else their name, else their id."""
        if self.username:
            return f"@{self.username}"
        return self.display_name or str(self.telegram_user_id)


def normalize_username(username: str) -> str:
    return username.strip().lstrip("@").lower()


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

    async def redeem(self, code: str, chat_id: int, person: TelegramPerson | None = None) -> UserRecord | None:
        """Link `chat_id` to the code's user and spend the code, in one transaction; `person` (who
        sent the code) becomes the chat's only owner, anyone allowed before is dropped. Without
        `person`, a private chat's owner is the chat's own id (Telegram gives a private chat its
        person's id); a group gets no owner, so nobody can act there.

        Returns the linked user, or None for an unknown, expired or already used code. A chat
        linked to someone else before moves to the code's user (whoever holds the code is
        logged in as that user on the web).
        """
        async with self._engine.begin() as conn:
            user_id = (await conn.execute(
                update(TelegramLinkCode)
                .where(TelegramLinkCode.code_hash == hash_token(normalize_code(code)),
                       TelegramLinkCode.used_at.is_(None), TelegramLinkCode.expires_at > func.now(),
                       TelegramLinkCode.user_id.in_(select(User.id).where(User.disabled_at.is_(None))))
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
            await conn.execute(delete(TelegramChatMember).where(TelegramChatMember.chat_id == chat_id))
            if person is None and chat_id > 0:
                person = TelegramPerson(chat_id)
            if person is not None:
                await conn.execute(insert(TelegramChatMember).values(
                    chat_id=chat_id, telegram_user_id=person.id, username=person.handle,
                    display_name=person.display_name, role="owner"))
        return None if row is None else UserRecord.model_validate(row._mapping)

    async def access(self, chat_id: int, person: TelegramPerson) -> tuple[UserRecord | None, ChatRole | None]:
        """The account the chat is linked to, and `person`'s role there (None: they may not act).

        One statement in the common case. Someone allowed by @username alone is matched by it
        once; from then on by their id (so a username that later changes hands grants nothing).
        """
        member = and_(
            TelegramChatMember.chat_id == User.telegram_chat_id,
            or_(TelegramChatMember.telegram_user_id == person.id,
                and_(TelegramChatMember.telegram_user_id.is_(None),
                     TelegramChatMember.username == (person.handle or ""))),
        )
        async with self._engine.begin() as conn:
            row = (await conn.execute(
                select(User.__table__, TelegramChatMember.id.label("member_id"),
                       TelegramChatMember.role.label("member_role"),
                       TelegramChatMember.telegram_user_id.label("member_telegram_id"))
                .outerjoin(TelegramChatMember, member)
                .where(User.telegram_chat_id == chat_id, User.disabled_at.is_(None))
                .order_by(TelegramChatMember.telegram_user_id.is_(None))  # an id match first
                .limit(1)
            )).first()
            if row is None:
                return None, None
            if row.member_id is not None and row.member_telegram_id is None:
                await conn.execute(update(TelegramChatMember).where(TelegramChatMember.id == row.member_id)
                                   .values(telegram_user_id=person.id, display_name=person.display_name))
        return UserRecord.model_validate(row._mapping), row.member_role

    async def members(self, chat_id: int) -> list[ChatMember]:
        """The chat's people, the owner first."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(TelegramChatMember).where(TelegramChatMember.chat_id == chat_id)
                .order_by(TelegramChatMember.role != "owner", TelegramChatMember.added_at)
            )).all()
        return [ChatMember(r.telegram_user_id, r.username, r.display_name, r.role) for r in rows]

    async def allow(self, chat_id: int, *, person: TelegramPerson | None = None,
                    username: str | None = None) -> bool:
        """Let `person` (known by id) or whoever has `username` act in the chat. False if they already may."""
        if person is not None:
            values = {"telegram_user_id": person.id, "username": person.handle, "display_name": person.display_name}
        elif username:
            values = {"telegram_user_id": None, "username": normalize_username(username), "display_name": None}
        else:
            raise ValueError("allow() needs a person or a username")
        async with self._engine.begin() as conn:
            # Either unique index (same id, same username) means they may act already.
            inserted = (await conn.execute(
                pg_insert(TelegramChatMember).values(chat_id=chat_id, role="allowed", **values)
                .on_conflict_do_nothing()
                .returning(TelegramChatMember.id)
            )).first()
        return inserted is not None

    async def disallow(self, chat_id: int, *, telegram_user_id: int | None = None,
                       username: str | None = None) -> bool:
        """Take an allowed person's right away (never the owner's). False if there was none."""
        match = (TelegramChatMember.telegram_user_id == telegram_user_id if telegram_user_id is not None
                 else TelegramChatMember.username == normalize_username(username or ""))
        async with self._engine.begin() as conn:
            deleted = (await conn.execute(
                delete(TelegramChatMember)
                .where(TelegramChatMember.chat_id == chat_id, TelegramChatMember.role == "allowed", match)
                .returning(TelegramChatMember.id)
            )).first()
        return deleted is not None

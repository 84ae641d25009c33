"""Browser sign-in: single-use login codes exchanged for sessions behind an HttpOnly cookie.

The login link (`agent-brain serve` prints it) carries a code that works once and lives a few
minutes; the page never sees a long-lived secret in its address bar, history or the access log.
Redeeming it creates a session whose random value only the cookie holds (the database keeps a
SHA-256). Sessions slide: each use pushes the expiry out, so a restart logs nobody out and an
abandoned one lapses. Expiry is decided by the database clock, like the Telegram link codes.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from agent_brain.db.models import LoginCode, User, WebSession
from agent_brain.security import hash_token
from agent_brain.stores.users import UserRecord

LOGIN_CODE_TTL = dt.timedelta(minutes=10)
SESSION_TTL = dt.timedelta(days=30)
LOGIN_CODE_PREFIX = "lc_"
SESSION_PREFIX = "ws_"
USER_AGENT_CHARS = 300


class SessionRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)
    id: uuid.UUID
    user_agent: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime


class WebSessionStore:
    def __init__(self, engine: AsyncEngine, *, code_ttl: dt.timedelta = LOGIN_CODE_TTL,
                 session_ttl: dt.timedelta = SESSION_TTL) -> None:
        self._engine = engine
        self.code_ttl = code_ttl
        self.session_ttl = session_ttl

    async def issue_login_code(self, user_id: uuid.UUID) -> tuple[str, dt.datetime]:
        """A fresh single-use code and its expiry; the user's spent or lapsed codes are swept."""
        code = LOGIN_CODE_PREFIX + secrets.token_urlsafe(24)
        async with self._engine.begin() as conn:
            await conn.execute(delete(LoginCode).where(
                LoginCode.user_id == user_id, or_(LoginCode.expires_at <= func.now(), LoginCode.used_at.is_not(None))))
            expires_at = (await conn.execute(
                insert(LoginCode)
                .values(code_hash=hash_token(code), user_id=user_id, expires_at=func.now() + self.code_ttl)
                .returning(LoginCode.expires_at)
            )).scalar_one()
        return code, expires_at

    async def redeem_login_code(self, code: str, *, user_agent: str | None = None) -> tuple[UserRecord, str] | None:
        """Spend a code and open a session: (user, cookie value), or None for an unknown, used or lapsed code."""
        async with self._engine.begin() as conn:
            user_id = (await conn.execute(
                update(LoginCode)
                .where(LoginCode.code_hash == hash_token(code.strip()), LoginCode.used_at.is_(None),
                       LoginCode.expires_at > func.now(),
                       LoginCode.user_id.in_(select(User.id).where(User.disabled_at.is_(None))))
                .values(used_at=func.now())
                .returning(LoginCode.user_id)
            )).scalar_one_or_none()
            if user_id is None:
                return None
            return await self._open(conn, user_id, user_agent)

    async def open_session(self, user_id: uuid.UUID, *, user_agent: str | None = None) -> tuple[UserRecord, str]:
        """A session for a user already authenticated another way (an API token pasted into the page)."""
        async with self._engine.begin() as conn:
            return await self._open(conn, user_id, user_agent)

    async def _open(self, conn: AsyncConnection, user_id: uuid.UUID, user_agent: str | None) -> tuple[UserRecord, str]:
        value = SESSION_PREFIX + secrets.token_urlsafe(32)
        await conn.execute(insert(WebSession).values(
            user_id=user_id, token_hash=hash_token(value), user_agent=(user_agent or "")[:USER_AGENT_CHARS] or None,
            expires_at=func.now() + self.session_ttl))
        row = (await conn.execute(select(User).where(User.id == user_id))).first()
        return UserRecord.model_validate(row._mapping), value

    async def user_for_session(self, value: str) -> tuple[UserRecord, uuid.UUID] | None:
        """The user and session id behind a cookie value, sliding its expiry; None if unknown, revoked or lapsed."""
        used = (
            update(WebSession)
            .where(WebSession.token_hash == hash_token(value), WebSession.revoked_at.is_(None),
                   WebSession.expires_at > func.now())
            .values(last_used_at=func.now(), expires_at=func.now() + self.session_ttl)
            .returning(WebSession.id, WebSession.user_id)
            .cte("used")
        )
        stmt = (select(User, used.c.id.label("session_id")).join(used, used.c.user_id == User.id)
                .where(User.disabled_at.is_(None)))
        async with self._engine.begin() as conn:
            row = (await conn.execute(stmt)).first()
        if row is None:
            return None
        mapping = dict(row._mapping)
        session_id = mapping.pop("session_id")
        return UserRecord.model_validate(mapping), session_id

    async def list_sessions(self, user_id: uuid.UUID) -> list[SessionRecord]:
        """The user's live sessions, most recently used first."""
        stmt = (
            select(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None), WebSession.expires_at > func.now())
            .order_by(func.coalesce(WebSession.last_used_at, WebSession.created_at).desc(), WebSession.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [SessionRecord.model_validate(r._mapping) for r in rows]

    async def revoke(self, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
        """Revoke one of the user's sessions; False if it is not theirs or already gone."""
        stmt = (
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=func.now())
            .returning(WebSession.id)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(stmt)).first() is not None

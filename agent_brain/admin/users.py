"""`agent-brain users list|create|disable|enable`.

A disabled user keeps their data but can no longer sign in (API tokens, sessions and login codes
stop working), chat in the terminal, or use the Telegram bot; their open browser sessions and unused
login codes are revoked on the way, so enabling them again needs a fresh sign-in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import AdAccount, LoginCode, User, WebSession


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    name: str
    language: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None
    telegram_chat_id: int | None
    ad_accounts: int


async def list_users(engine: AsyncEngine) -> list[UserRow]:
    accounts = (select(func.count()).select_from(AdAccount).where(AdAccount.user_id == User.id)
                .correlate(User).scalar_subquery())
    stmt = select(User.id, User.name, User.language, User.created_at, User.disabled_at, User.telegram_chat_id,
                  accounts.label("ad_accounts")).order_by(User.created_at, User.name)
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return [UserRow(**r._mapping) for r in rows]


async def set_disabled(engine: AsyncEngine, name: str, *, disabled: bool) -> bool | None:
    """Disable or enable `name`. None: no such user; False: it already was; True: changed."""
    async with engine.begin() as conn:
        user_id = (await conn.execute(select(User.id).where(User.name == name))).scalar_one_or_none()
        if user_id is None:
            return None
        changed = (await conn.execute(
            update(User).where(User.id == user_id,
                               User.disabled_at.is_(None) if disabled else User.disabled_at.is_not(None))
            .values(disabled_at=func.now() if disabled else None).returning(User.id)
        )).first() is not None
        if changed and disabled:
            await conn.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
                               .values(revoked_at=func.now()))
            await conn.execute(update(LoginCode).where(LoginCode.user_id == user_id, LoginCode.used_at.is_(None))
                               .values(used_at=func.now()))
    return changed

"""Users, their API tokens and ad accounts."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import AdAccount, ApiToken, Conversation, User
from agent_brain.security import TokenCipher, hash_token, new_api_token


class UserRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)
    id: uuid.UUID
    name: str
    language: str
    telegram_chat_id: int | None
    # Disabled by the operator (`agent-brain users disable`): no sign-in, chat or bot.
    disabled_at: dt.datetime | None = None


class AdAccountRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)
    id: uuid.UUID
    user_id: uuid.UUID
    platform: str
    external_id: str
    name: str
    currency: str
    timezone: str
    is_sandbox: bool


# Built once (every turn reads the accounts): the user's accounts, oldest first, and the same with
# the one a conversation switched to first.
_ACCOUNTS = (select(AdAccount).where(AdAccount.user_id == bindparam("user_id"))
             .order_by(AdAccount.created_at, AdAccount.id))
_CHOSEN = (select(Conversation.ad_account_id)
           .where(Conversation.id == bindparam("conversation_id"), Conversation.user_id == bindparam("user_id"))
           .scalar_subquery())
_ACCOUNTS_CHOSEN_FIRST = (select(AdAccount).where(AdAccount.user_id == bindparam("user_id"))
                          .order_by((AdAccount.id == _CHOSEN).is_(True).desc(), AdAccount.created_at, AdAccount.id))

class UserStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")  # one-statement reads

    async def create_user(self, name: str, *, language: str = "ru") -> tuple[UserRecord, str]:
        """Create a user and a first API token. Returns the user and the token (shown once)."""
        token = new_api_token()
        async with self._engine.begin() as conn:
            row = (await conn.execute(insert(User).values(name=name, language=language).returning(User))).first()
            await conn.execute(insert(ApiToken).values(user_id=row.id, token_hash=hash_token(token), label="cli"))
        return UserRecord.model_validate(row._mapping), token

    async def get_or_create_user(self, name: str, *, language: str = "ru") -> UserRecord:
        stmt = (
            pg_insert(User)
            .values(name=name, language=language)
            .on_conflict_do_update(index_elements=[User.name], set_={"name": User.name})
            .returning(User)
        )
        async with self._engine.begin() as conn:
            row = (await conn.execute(stmt)).first()
        return UserRecord.model_validate(row._mapping)

    async def issue_token(self, user_id: uuid.UUID, *, label: str | None = None) -> str:
        token = new_api_token()
        async with self._engine.begin() as conn:
            await conn.execute(insert(ApiToken).values(user_id=user_id, token_hash=hash_token(token), label=label))
        return token

    async def revoke_tokens(self, user_id: uuid.UUID, label: str) -> int:
        """Revoke the user's live tokens carrying `label`; returns how many were revoked."""
        stmt = (
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.label == label, ApiToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
            .returning(ApiToken.id)
        )
        async with self._engine.begin() as conn:
            return len((await conn.execute(stmt)).all())

    async def user_for_token(self, token: str) -> UserRecord | None:
        """The user owning a live token, touching its last use; None for unknown or revoked tokens."""
        used = (
            update(ApiToken)
            .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
            .values(last_used_at=func.now())
            .returning(ApiToken.user_id)
            .cte("used")
        )
        stmt = select(User).where(User.id.in_(select(used.c.user_id)), User.disabled_at.is_(None))
        async with self._engine.begin() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else UserRecord.model_validate(row._mapping)

    async def get_user(self, user_id: uuid.UUID) -> UserRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(User).where(User.id == user_id))).first()
        return None if row is None else UserRecord.model_validate(row._mapping)

    async def get_by_name(self, name: str) -> UserRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(User).where(User.name == name))).first()
        return None if row is None else UserRecord.model_validate(row._mapping)

    async def upsert_ad_account(
        self,
        user_id: uuid.UUID,
        *,
        external_id: str,
        name: str,
        currency: str = "USD",
        timezone: str = "UTC",
        is_sandbox: bool = False,
        access_token: str | None = None,
        cipher: TokenCipher | None = None,
        platform: str = "meta",
    ) -> AdAccountRecord:
        encrypted = None
        if access_token is not None:
            if cipher is None:
                raise ValueError("an access token can only be stored encrypted: pass a TokenCipher")
            encrypted = cipher.encrypt(access_token)
        values = {
            "user_id": user_id,
            "platform": platform,
            "external_id": external_id,
            "name": name,
            "currency": currency,
            "timezone": timezone,
            "is_sandbox": is_sandbox,
            "access_token_encrypted": encrypted,
        }
        update_values = {k: v for k, v in values.items() if k not in ("user_id", "platform", "external_id")}
        if encrypted is None:
            update_values.pop("access_token_encrypted")
        stmt = (
            pg_insert(AdAccount)
            .values(**values)
            .on_conflict_do_update(constraint="uq_ad_accounts_user_platform_external", set_=update_values)
            .returning(AdAccount)
        )
        async with self._engine.begin() as conn:
            row = (await conn.execute(stmt)).first()
        return AdAccountRecord.model_validate(row._mapping)

    async def ad_accounts(self, user_id: uuid.UUID, *,
                          conversation_id: uuid.UUID | None = None) -> list[AdAccountRecord]:
        """The user's ad accounts, the one a conversation switched to first (one statement)."""
        stmt = _ACCOUNTS if conversation_id is None else _ACCOUNTS_CHOSEN_FIRST
        async with self._autocommit.connect() as conn:  # every turn: no BEGIN/ROLLBACK round trips
            rows = (await conn.execute(stmt, {"user_id": user_id, "conversation_id": conversation_id})).all()
        return [AdAccountRecord.model_validate(r._mapping) for r in rows]

    async def access_tokens(self, ad_account_ids: list[uuid.UUID], cipher: TokenCipher) -> dict[uuid.UUID, str]:
        """The own tokens (decrypted) of those of these accounts that have one, in one statement."""
        if not ad_account_ids:
            return {}
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(AdAccount.id, AdAccount.access_token_encrypted).where(
                AdAccount.id.in_(ad_account_ids), AdAccount.access_token_encrypted.is_not(None)))).all()
        return {row.id: cipher.decrypt(row.access_token_encrypted) for row in rows}

    async def access_token(self, ad_account_id: uuid.UUID, cipher: TokenCipher) -> str | None:
        async with self._engine.connect() as conn:
            value = (
                await conn.execute(
                    select(AdAccount.access_token_encrypted).where(AdAccount.id == ad_account_id)
                )
            ).scalar_one_or_none()
        return None if value is None else cipher.decrypt(value)

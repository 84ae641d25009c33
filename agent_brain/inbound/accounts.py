"""Messaging accounts (a WhatsApp number, an Instagram account) and their auto-reply rules."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import AutoReplyRule, MessagingAccount


async def register_account(engine: AsyncEngine, user_id: uuid.UUID, platform: str, external_id: str, *,
                           name: str, display_phone: str | None = None, timezone: str = "UTC",
                           business_hours: dict[str, Any] | None = None, auto_reply: bool = True) -> uuid.UUID:
    """Link a number/account to a user (idempotent; an id already linked to another user is refused)."""
    values: dict[str, Any] = {"user_id": user_id, "platform": platform, "external_id": external_id, "name": name,
                              "display_phone": display_phone, "timezone": timezone, "auto_reply": auto_reply}
    if business_hours is not None:
        values["business_hours"] = business_hours
    async with engine.begin() as conn:
        await conn.execute(pg_insert(MessagingAccount).values(**values).on_conflict_do_nothing(
            constraint="uq_messaging_accounts_platform_external"))
        row = (await conn.execute(select(MessagingAccount.id, MessagingAccount.user_id).where(
            MessagingAccount.platform == platform, MessagingAccount.external_id == external_id))).one()
    if row.user_id != user_id:
        raise ValueError(f"{platform} account {external_id} belongs to another user")
    return row.id  # type: ignore[no-any-return]


async def add_rule(engine: AsyncEngine, user_id: uuid.UUID, *, name: str, template_ru: str, template_en: str,
                   intents: list[str] | None = None, keywords: list[str] | None = None, hours: str = "any",
                   account_id: uuid.UUID | None = None, wa_template: str | None = None, priority: int = 100) -> uuid.UUID:
    async with engine.begin() as conn:
        return (await conn.execute(pg_insert(AutoReplyRule).values(  # type: ignore[no-any-return]
            user_id=user_id, account_id=account_id, name=name, intents=intents or [], keywords=keywords or [],
            hours=hours, template_ru=template_ru, template_en=template_en, wa_template=wa_template,
            priority=priority).returning(AutoReplyRule.id))).scalar_one()

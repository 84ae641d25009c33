"""`agent-brain accounts link NAME ID --platform tiktok|google`: checked on the platform's sandbox, token encrypted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import AdAccount, User
from agent_brain.platforms.sandbox.platform_seed import (
    GOOGLE_CUSTOMER_ID,
    TIKTOK_ADVERTISER_ID,
    seed_platform_sandboxes,
)
from agent_brain.security import TokenCipher
from agent_brain.stores.users import UserStore


async def test_link_tiktok_and_google_accounts(cli, engine: AsyncEngine, encryption_key: str) -> None:  # type: ignore[no-untyped-def]
    await seed_platform_sandboxes(engine, dt.date(2026, 3, 10))
    await UserStore(engine).create_user("fay")
    tiktok = await cli("accounts", "link", "fay", TIKTOK_ADVERTISER_ID, "--platform", "tiktok",
                       stdin="tt-fay-secret-token\n")
    assert tiktok.code == 0, tiktok.err
    assert "linked tiktok account" in tiktok.out and "tt-fay-secret-token" not in tiktok.out + tiktok.err
    google = await cli("accounts", "link", "fay", GOOGLE_CUSTOMER_ID, "--platform", "google",
                       stdin="ya29.fay-oauth\n")
    assert google.code == 0, google.err
    refused = await cli("accounts", "link", "fay", "5550001111", "--platform", "google", stdin="ya29.fay-oauth\n")
    assert refused.code == 1 and "nothing was stored" in refused.err and "ya29.fay-oauth" not in refused.err
    async with engine.connect() as conn:
        rows = (await conn.execute(select(AdAccount).join(User, User.id == AdAccount.user_id)
                                   .where(User.name == "fay").order_by(AdAccount.platform))).all()
    assert [(r.platform, r.external_id) for r in rows] == [("google", GOOGLE_CUSTOMER_ID),
                                                           ("tiktok", TIKTOK_ADVERTISER_ID)]
    cipher = TokenCipher(encryption_key.encode())
    assert cipher.decrypt(rows[1].access_token_encrypted) == "tt-fay-secret-token"
    assert b"tt-fay-secret-token" not in bytes(rows[1].access_token_encrypted)

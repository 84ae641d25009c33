"""`agent-brain tokens list|revoke`: every credential that opens the product, by fingerprint.

Four kinds: API tokens (`api`), browser sessions (`session`), web login codes (`login-code`) — all
stored as SHA-256 only — and platform tokens of ad accounts (`platform`, Fernet-encrypted; revoking
one wipes it, the account stays and falls back to no token). Ids: UUIDs, or `lc:<hash prefix>` for a
login code (its only key is its hash).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.admin.fingerprint import FINGERPRINT_CHARS, of_hash, of_secret
from agent_brain.db.models import AdAccount, ApiToken, LoginCode, User, WebSession
from agent_brain.security import TokenCipher

TokenKind = Literal["api", "session", "login-code", "platform"]
LOGIN_CODE_ID_PREFIX = "lc:"


@dataclass(frozen=True)
class TokenRow:
    kind: TokenKind
    id: str
    user: str
    fingerprint: str
    label: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    status: str  # live | revoked | expired | used | undecryptable


async def list_tokens(engine: AsyncEngine, cipher: TokenCipher, *, user: str | None = None,
                      include_inactive: bool = False) -> list[TokenRow]:
    """The credentials of every user (or of `user`), live ones only unless `include_inactive`."""
    async with engine.connect() as conn:
        now = (await conn.execute(select(func.now()))).scalar_one()
        who = select(User.id, User.name).where(*([User.name == user] if user else [])).subquery()
        api = (await conn.execute(select(ApiToken.__table__, who.c.name.label("user_name")).join(who, who.c.id == ApiToken.user_id))).all()
        sessions = (await conn.execute(select(WebSession.__table__, who.c.name.label("user_name"))
                                       .join(who, who.c.id == WebSession.user_id))).all()
        codes = (await conn.execute(select(LoginCode.__table__, who.c.name.label("user_name")).join(who, who.c.id == LoginCode.user_id))).all()
        accounts = (await conn.execute(select(AdAccount.__table__, who.c.name.label("user_name")).join(who, who.c.id == AdAccount.user_id)
                                       .where(AdAccount.access_token_encrypted.is_not(None)))).all()
    rows: list[TokenRow] = []
    for t in api:
        rows.append(TokenRow("api", str(t.id), t.user_name, of_hash(t.token_hash), t.label or "", t.created_at,
                             t.last_used_at, None, "revoked" if t.revoked_at else "live"))
    for s in sessions:
        status = "revoked" if s.revoked_at else "expired" if s.expires_at <= now else "live"
        rows.append(TokenRow("session", str(s.id), s.user_name, of_hash(s.token_hash), s.user_agent or "", s.created_at,
                             s.last_used_at, s.expires_at, status))
    for c in codes:
        status = "used" if c.used_at else "expired" if c.expires_at <= now else "live"
        rows.append(TokenRow("login-code", LOGIN_CODE_ID_PREFIX + c.code_hash[:16], c.user_name, of_hash(c.code_hash), "",
                             c.created_at, c.used_at, c.expires_at, status))
    for a in accounts:
        try:
            plain = cipher.decrypt(a.access_token_encrypted)
        except ValueError:
            fingerprint, status = "?", "undecryptable"
        else:
            fingerprint, status = of_secret(plain), "live"
        rows.append(TokenRow("platform", str(a.id), a.user_name, fingerprint, f"{a.platform} {a.external_id}",
                             a.created_at, None, None, status))
    if not include_inactive:
        rows = [r for r in rows if r.status in ("live", "undecryptable")]
    return sorted(rows, key=lambda r: (r.user, r.kind, r.created_at))


async def revoke_token(engine: AsyncEngine, token_id: str) -> TokenKind | None:
    """Revoke one credential by the id `tokens list` shows; its kind, or None if nothing live matched."""
    token_id = token_id.strip()
    async with engine.begin() as conn:
        if token_id.startswith(LOGIN_CODE_ID_PREFIX):
            prefix = token_id.removeprefix(LOGIN_CODE_ID_PREFIX).lower()
            if len(prefix) < FINGERPRINT_CHARS or not all(ch in "0123456789abcdef" for ch in prefix):
                return None
            done = (await conn.execute(update(LoginCode).where(LoginCode.code_hash.startswith(prefix),
                                                               LoginCode.used_at.is_(None))
                                       .values(used_at=func.now()).returning(LoginCode.code_hash))).all()
            return "login-code" if done else None
        try:
            key = uuid.UUID(token_id)
        except ValueError:
            return None
        if (await conn.execute(update(ApiToken).where(ApiToken.id == key, ApiToken.revoked_at.is_(None))
                               .values(revoked_at=func.now()).returning(ApiToken.id))).first():
            return "api"
        if (await conn.execute(update(WebSession).where(WebSession.id == key, WebSession.revoked_at.is_(None))
                               .values(revoked_at=func.now()).returning(WebSession.id))).first():
            return "session"
        if (await conn.execute(update(AdAccount).where(AdAccount.id == key,
                                                       AdAccount.access_token_encrypted.is_not(None))
                               .values(access_token_encrypted=None).returning(AdAccount.id))).first():
            return "platform"
    return None

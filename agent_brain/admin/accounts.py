"""`agent-brain accounts link`: attach an ad account to a user with its own platform token.

The token is checked against the platform before anything is stored: the account must be readable
with it (`GET /act_…?fields=name,currency,timezone_name,account_status`) and Graph's `debug_token`
must call it valid; its expiry comes from there (0 = never, as for system users' tokens). Only the
Fernet-encrypted token is stored; the operator sees its fingerprint. Without FB_ACCESS_TOKEN the
Graph sandbox (in-process, on this database) answers, so the flow is the same in tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.admin.fingerprint import of_secret
from agent_brain.config import Settings
from agent_brain.db.models import AdAccount
from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.security import TokenCipher
from agent_brain.stores.users import AdAccountRecord, UserStore


class LinkError(RuntimeError):
    """The account cannot be linked; the message says why (never containing the token)."""


@dataclass(frozen=True)
class LinkedAccount:
    account: AdAccountRecord
    fingerprint: str
    token_type: str
    expires_at: dt.datetime | None  # None: never expires
    scopes: tuple[str, ...]
    account_status: int | None


def _client(settings: Settings, engine: AsyncEngine, token: str) -> GraphClient:
    # A breaker of its own: an operator's typo must not open the process-wide platform breaker.
    breaker = AsyncCircuitBreaker("meta-link")
    if settings.uses_graph_sandbox:
        from agent_brain.platforms.sandbox.app import create_sandbox_app

        return GraphClient(token, version=settings.graph_api_version, breaker=breaker,
                           transport=httpx.ASGITransport(app=create_sandbox_app(engine)))
    return GraphClient(token, version=settings.graph_api_version, breaker=breaker,
                       **({"base_url": settings.graph_base_url} if settings.graph_base_url else {}))


async def link_account(settings: Settings, engine: AsyncEngine, *, user_name: str, account_id: str,
                       token: str) -> LinkedAccount:
    token = token.strip()
    if not token:
        raise LinkError("the token is empty")
    digits = account_id.strip().removeprefix("act_")
    if not digits.isdigit():
        raise LinkError("the ad account id must look like act_1234567890")
    external_id = f"act_{digits}"
    users = UserStore(engine)
    user = await users.get_by_name(user_name)
    if user is None:
        raise LinkError(f"no user named {user_name!r}")
    async with _client(settings, engine, token) as client:
        try:
            debug = (await client.get("debug_token", {"input_token": token})).get("data") or {}
            if not debug.get("is_valid"):
                reason = (debug.get("error") or {}).get("message") or "the platform says the token is not valid"
                raise LinkError(f"token rejected: {reason}")
            info: dict[str, Any] = await client.get(external_id, {
                "fields": "name,currency,timezone_name,account_status"})
        except GraphError as exc:
            raise LinkError(f"the platform refused: {exc.message}") from None
    expires = int(debug.get("expires_at") or 0)
    expires_at = dt.datetime.fromtimestamp(expires, dt.UTC) if expires else None
    account = await users.upsert_ad_account(
        user.id, external_id=external_id, name=str(info.get("name") or external_id),
        currency=str(info.get("currency") or "USD"), timezone=str(info.get("timezone_name") or "UTC"),
        is_sandbox=settings.uses_graph_sandbox, access_token=token, cipher=TokenCipher.from_settings(settings))
    async with engine.begin() as conn:  # the token-expiry alerts read it (agent_brain/automation/token_alerts.py)
        await conn.execute(update(AdAccount).where(AdAccount.id == account.id).values(token_expires_at=expires_at))
    return LinkedAccount(
        account=account, fingerprint=of_secret(token), token_type=str(debug.get("type") or "USER"),
        expires_at=expires_at,
        scopes=tuple(debug.get("scopes") or ()), account_status=info.get("account_status"))

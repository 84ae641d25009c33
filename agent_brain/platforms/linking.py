"""Linking a user's account on an ad platform: a TikTok advertiser, a Google Ads customer, a Meta ad account.

The platform is asked first (with the user's own token when one is given), so a typo or a token
that cannot reach the account fails before anything is stored; the account's name, currency and
time zone come from the platform. The token is stored encrypted (`security.TokenCipher`), never
in clear, and never logged (each client registers it for redaction).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from agent_brain.platforms.base import PlatformAdapter
from agent_brain.security import TokenCipher
from agent_brain.stores.users import AdAccountRecord, UserStore

AdapterFor = Callable[[str | None], AbstractAsyncContextManager[PlatformAdapter]]
"""(the user's token, or None for the process's own credentials) → an adapter of the platform."""


class AccountNotFound(LookupError):
    pass


async def link_account(users: UserStore, user_id: uuid.UUID, *, platform: str, external_id: str,
                       adapter_for: AdapterFor, token: str | None = None, cipher: TokenCipher | None = None,
                       is_sandbox: bool = False) -> AdAccountRecord:
    """Check the account on the platform, then store (or refresh) the link with the token encrypted."""
    async with adapter_for(token) as adapter:
        if hasattr(adapter, "attach"):
            adapter.attach(external_id)
        accounts = await adapter.list_ad_accounts()
    found = next((a for a in accounts if a.id == external_id), None)
    if found is None:
        raise AccountNotFound(f"{platform} account {external_id} is not reachable with these credentials")
    return await users.upsert_ad_account(user_id, platform=platform, external_id=external_id, name=found.name,
                                         currency=found.currency, timezone=found.timezone or "UTC",
                                         is_sandbox=is_sandbox, access_token=token,
                                         cipher=cipher if token is not None else None)


def adapter_for_runtime(runtime: Any, platform: str) -> PlatformAdapter:
    return runtime.meta if platform == "meta" else runtime.orchestrator.platforms[platform]


def adapter_factory(settings: Any, runtime: Any, platform: str) -> AdapterFor:
    """Without a token: the process's adapter. With one: a client of that token on the platform's
    configured endpoint (the real API when the process has credentials for it, else its sandbox)."""

    @asynccontextmanager
    async def open_adapter(token: str | None) -> AsyncIterator[PlatformAdapter]:
        process = adapter_for_runtime(runtime, platform)
        if token is None:
            yield process
            return
        import httpx

        from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client
        from agent_brain.platforms.graph.client import GraphClient
        from agent_brain.platforms.meta.adapter import MetaAdapter
        from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client

        client: Any = process.client
        inner = client._http._transport._inner
        # The in-process sandbox is shared (closing it is a no-op); a real API gets a pool of its own.
        transport = inner if isinstance(inner, httpx.ASGITransport) else None
        if platform == "tiktok":
            async with tiktok_client(token, base_url=client.root_url.rsplit("/open_api/", 1)[0],
                                     transport=transport, breaker=client.breaker) as own:
                yield TikTokAdapter(own)
        elif platform == "google":
            developer = settings.google_ads_developer_token
            base, version = client.root_url.rsplit("/", 1)
            async with google_client(token, developer.get_secret_value() if developer else "sandbox-developer-token",
                                     base_url=base, version=version, transport=transport,
                                     breaker=client.breaker) as own:
                yield GoogleAdsAdapter(own)
        else:
            base, version = client.root_url.rsplit("/", 1)
            # The process's breaker, account pauses and budget pacing: a user's token reaches the same platform.
            async with GraphClient(token, version=version, base_url=base, transport=transport,
                                   breaker=client.breaker, throttles=client.throttles) as own:
                yield MetaAdapter(own, pacer=process.pacer)

    return open_adapter

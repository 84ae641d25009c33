"""Build the process's ad-platform adapters from settings: each real API with credentials, else its sandbox."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.config import Settings
from agent_brain.platforms.base import PlatformAdapter
from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client
from agent_brain.platforms.google.sandbox import create_google_sandbox_app
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.graph.pacing import BudgetChangePacer
from agent_brain.platforms.graph.shared import PgBudgetChangeLog, SharedHealth
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.sandbox.messaging import MessagingSandbox
from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app

# The sandbox accepts any non-empty token; this one makes sandbox traffic easy to recognise.
SANDBOX_TOKEN = "sandbox-access-token"
# Campaign / ad-set lists are shared this long between turns (our own writes show at once).
LIST_TTL_SECONDS = 5.0

# The messaging side of each in-process sandbox, by its client (the demo's customer simulator needs it).
_MESSAGING: weakref.WeakKeyDictionary[GraphClient, MessagingSandbox] = weakref.WeakKeyDictionary()


def messaging_sandbox_of(client: GraphClient) -> MessagingSandbox | None:
    """The in-process sandbox's WhatsApp/Instagram side behind `client` (None for the real Meta)."""
    return _MESSAGING.get(client)


@asynccontextmanager
async def open_meta_adapter(settings: Settings, engine: AsyncEngine,
                            health: SharedHealth | None = None) -> AsyncIterator[MetaAdapter]:
    """One GraphClient (one connection pool) per process, wrapped in a MetaAdapter.

    Without FB_ACCESS_TOKEN the Graph sandbox is mounted in-process over httpx.ASGITransport,
    its state in this database, so the whole product works with no keys. Its breaker, account
    pauses and budget-change pacing are those every process shares through this database.
    """
    health = health or SharedHealth(engine)
    shared = {"breaker": health.breaker("meta"), "throttles": health.throttles("meta")}
    if settings.uses_graph_sandbox:
        messaging = MessagingSandbox()
        app = create_sandbox_app(engine, messaging=messaging)
        client = GraphClient(SANDBOX_TOKEN, version=settings.graph_api_version,
                             transport=httpx.ASGITransport(app=app), **shared)
        _MESSAGING[client] = messaging
    else:
        assert settings.fb_access_token is not None
        client = GraphClient(settings.fb_access_token, version=settings.graph_api_version, **shared,
                             **({"base_url": settings.graph_base_url} if settings.graph_base_url else {}))
    async with client:
        yield MetaAdapter(client, pacer=BudgetChangePacer(PgBudgetChangeLog(engine)), list_ttl=LIST_TTL_SECONDS)


@asynccontextmanager
async def open_platform_adapters(settings: Settings, engine: AsyncEngine,
                                 health: SharedHealth | None = None) -> AsyncIterator[dict[str, PlatformAdapter]]:
    """TikTok and Google Ads adapters, one pooled client each: the real APIs with credentials in
    settings, else their sandboxes in-process (state in this database). Accounts are attached as
    the user's linked accounts are used (`ToolContext.on`)."""
    health = health or SharedHealth(engine)
    if settings.tiktok_access_token is not None and settings.tiktok_access_token.get_secret_value():
        tiktok = tiktok_client(settings.tiktok_access_token.get_secret_value(), breaker=health.breaker("tiktok"),
                               **({"base_url": settings.tiktok_base_url} if settings.tiktok_base_url else {}))
    else:
        tiktok = tiktok_client(SANDBOX_TOKEN, base_url="http://tiktok.sandbox", breaker=health.breaker("tiktok"),
                               transport=httpx.ASGITransport(app=create_tiktok_sandbox_app(engine)))
    access, developer = settings.google_ads_access_token, settings.google_ads_developer_token
    if access is not None and developer is not None and access.get_secret_value():
        google = google_client(access.get_secret_value(), developer.get_secret_value(),
                               login_customer_id=settings.google_ads_login_customer_id,
                               version=settings.google_ads_api_version, breaker=health.breaker("google"),
                               **({"base_url": settings.google_ads_base_url} if settings.google_ads_base_url else {}))
    else:
        google = google_client(SANDBOX_TOKEN, "sandbox-developer-token", base_url="http://google.sandbox",
                               version=settings.google_ads_api_version, breaker=health.breaker("google"),
                               transport=httpx.ASGITransport(app=create_google_sandbox_app(
                                   engine, version=settings.google_ads_api_version)))
    async with tiktok, google:
        yield {"tiktok": TikTokAdapter(tiktok), "google": GoogleAdsAdapter(google)}

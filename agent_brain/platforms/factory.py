"""Build the process's ad-platform adapter from settings: Meta with a real token, else the sandbox."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.config import Settings
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.sandbox.messaging import MessagingSandbox

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
async def open_meta_adapter(settings: Settings, engine: AsyncEngine) -> AsyncIterator[MetaAdapter]:
    """One GraphClient (one connection pool) per process, wrapped in a MetaAdapter.

    Without FB_ACCESS_TOKEN the Graph sandbox is mounted in-process over httpx.ASGITransport,
    its state in this database, so the whole product works with no keys.
    """
    if settings.uses_graph_sandbox:
        messaging = MessagingSandbox()
        app = create_sandbox_app(engine, messaging=messaging)
        client = GraphClient(SANDBOX_TOKEN, version=settings.graph_api_version,
                             transport=httpx.ASGITransport(app=app))
        _MESSAGING[client] = messaging
    else:
        assert settings.fb_access_token is not None
        client = GraphClient(settings.fb_access_token, version=settings.graph_api_version,
                             **({"base_url": settings.graph_base_url} if settings.graph_base_url else {}))
    async with client:
        yield MetaAdapter(client, list_ttl=LIST_TTL_SECONDS)

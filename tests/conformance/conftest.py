"""Meta's own SDK (`facebook-business`) against the Graph sandbox served over real HTTP.

The sandbox runs under uvicorn in the test's event loop on the demo world; the SDK, which is
synchronous, is driven from a worker thread (`Graph.run`). `crash_log=False`: the SDK's
default would send crash reports to Meta.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import requests
import uvicorn
from facebook_business.api import FacebookAdsApi, FacebookSession
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.sandbox.app import create_sandbox_app

TOKEN = "conformance-token"
T = TypeVar("T")


@dataclass
class Graph:
    base_url: str
    api: FacebookAdsApi
    account_id: str

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))

    async def raw(self, method: str, path: str, **params: Any) -> requests.Response:
        """A request the SDK has no method for, sent as the SDK would (JSON-encoded values)."""
        encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in {"access_token": TOKEN, **params}.items()}
        url = f"{self.base_url}/{path.lstrip('/')}"
        send = functools.partial(requests.request, method, url, timeout=30,
                                 **({"params": encoded} if method == "GET" else {"data": encoded}))
        return await asyncio.to_thread(send)

    async def inject(self, kind: str, **options: Any) -> None:
        response = await asyncio.to_thread(requests.post, f"{self.base_url}/_sandbox/faults",
                                           json={"kind": kind, **options}, timeout=30)
        assert response.status_code == 204, response.text


@pytest.fixture
async def graph(demo_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Graph]:
    app = create_sandbox_app(demo_engine, valid_tokens={TOKEN})
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))
    # A socket listening before the server starts: the SDK's first connection waits in its backlog.
    listener = socket.create_server(("127.0.0.1", 0))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    monkeypatch.setattr(FacebookSession, "GRAPH", base_url)
    api = FacebookAdsApi.init(access_token=TOKEN, crash_log=False)
    accounts = (await asyncio.to_thread(requests.get, f"{base_url}/v26.0/me/adaccounts",
                                        params={"access_token": TOKEN}, timeout=30)).json()["data"]
    try:
        yield Graph(base_url=base_url, api=api, account_id=accounts[0]["id"])
    finally:
        server.should_exit = True
        await task
        listener.close()

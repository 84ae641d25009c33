"""A GoogleAdsAdapter over the in-process Google Ads sandbox (state in this test's PostgreSQL database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client
from agent_brain.platforms.google.sandbox import create_google_sandbox_app
from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker, BreakerConfig
from agent_brain.platforms.sandbox.platform_seed import GOOGLE_CUSTOMER_ID, seed_platform_sandboxes
from agent_brain.platforms.sandbox.platform_state import PlatformFaults
from tests.platforms.conftest import RecordingSleep

TODAY = dt.date(2026, 3, 10)
TOKEN = "ya29.a0AfH6SMBexampleOAuthAccessToken0123456789"
DEV_TOKEN = "devtok-ABCdef0123456789xyz"


@pytest.fixture
async def google(engine: AsyncEngine, faults: PlatformFaults, sleeps: RecordingSleep) -> AsyncIterator[GoogleAdsAdapter]:
    await seed_platform_sandboxes(engine, TODAY)
    app = create_google_sandbox_app(engine, faults=faults, valid_tokens={TOKEN}, developer_tokens={DEV_TOKEN})
    client = google_client(TOKEN, DEV_TOKEN, login_customer_id="9998887777", base_url="http://google.sandbox",
                           transport=httpx.ASGITransport(app=app),
                           breaker=AsyncCircuitBreaker("google", BreakerConfig()), sleep=sleeps)
    client.sandbox_app = app  # type: ignore[attr-defined]
    async with client:
        yield GoogleAdsAdapter(client, [GOOGLE_CUSTOMER_ID])


def emulator(adapter: Any) -> Any:
    return adapter.client.sandbox_app.state.emulator

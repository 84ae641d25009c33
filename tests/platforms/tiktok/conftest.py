"""A TikTokAdapter over the in-process TikTok sandbox (state in this test's PostgreSQL database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker, BreakerConfig
from agent_brain.platforms.sandbox.platform_seed import TIKTOK_ADVERTISER_ID, seed_platform_sandboxes
from agent_brain.platforms.sandbox.platform_state import PlatformFaults
from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app
from tests.platforms.conftest import RecordingSleep

TODAY = dt.date(2026, 3, 10)
TOKEN = "tt-act.5f1c0ffee0123456789abcdefEXAMPLE"


@pytest.fixture
async def tiktok(engine: AsyncEngine, faults: PlatformFaults, sleeps: RecordingSleep) -> AsyncIterator[TikTokAdapter]:
    await seed_platform_sandboxes(engine, TODAY)
    app = create_tiktok_sandbox_app(engine, faults=faults, valid_tokens={TOKEN})
    client = tiktok_client(TOKEN, base_url="http://tiktok.sandbox", transport=httpx.ASGITransport(app=app),
                           breaker=AsyncCircuitBreaker("tiktok", BreakerConfig()), sleep=sleeps)
    client.sandbox_app = app  # type: ignore[attr-defined]
    async with client:
        yield TikTokAdapter(client, [TIKTOK_ADVERTISER_ID])


def emulator(adapter: Any) -> Any:
    return adapter.client.sandbox_app.state.emulator

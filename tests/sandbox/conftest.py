"""Fixtures for the sandbox tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sandbox_account import TODAY, TOKEN, Sandbox, seed_small_account
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.sandbox.faults import FaultInjector


@pytest.fixture
async def sandbox(engine: AsyncEngine) -> AsyncIterator[Sandbox]:
    faults = FaultInjector()
    app = create_sandbox_app(engine, faults=faults, today=lambda: TODAY, valid_tokens={TOKEN})
    await seed_small_account(app.state.emulator.state)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://graph.facebook.com") as client:
        yield Sandbox(client=client, emulator=app.state.emulator, faults=faults)


@pytest.fixture
async def meta(sandbox: Sandbox) -> AsyncIterator[MetaAdapter]:
    """A MetaAdapter over the real GraphClient, reaching the sandbox through ASGI (no network)."""
    sleeps: list[float] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = GraphClient(
        TOKEN,
        transport=sandbox.client._transport,
        breaker=BreakerRegistry().get("meta"),
        sleep=record_sleep,
    )
    async with client:
        yield MetaAdapter(client)

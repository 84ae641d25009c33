"""Fakes for the Graph client tests: a settable clock, a sleep that records instead of sleeping,
and a `GraphClient` factory over `httpx.MockTransport` with its own breaker, usage tracker and
account pauses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from agent_brain.platforms.graph.breaker import AccountThrottles, AsyncCircuitBreaker, BreakerConfig
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.graph.usage import UsageTracker
from agent_brain.platforms.sandbox.platform_state import PlatformFaults

# Looks like a real long-lived token so that redaction is tested against a realistic string.
TOKEN = "EAAGm0PX4ZCpsBAEXAMPLETOKEN0123456789abcdefZZZ"


class FakeClock:
    def __init__(self, start: datetime = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingSleep:
    """Records each requested wait and advances the fake clock by it, without sleeping."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.calls: list[float] = []
        self._clock = clock

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self._clock is not None:
            self._clock.advance(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep(clock: FakeClock) -> RecordingSleep:
    return RecordingSleep(clock)


@pytest.fixture
def sleeps() -> RecordingSleep:
    """Waits recorded without a clock (the TikTok and Google adapters)."""
    return RecordingSleep()


@pytest.fixture
def faults() -> PlatformFaults:
    return PlatformFaults()


@pytest.fixture
async def make_client(clock: FakeClock, sleep: RecordingSleep) -> AsyncIterator[Callable[..., GraphClient]]:
    clients: list[GraphClient] = []

    def factory(handler: Callable[[httpx.Request], Any], **kwargs: Any) -> GraphClient:
        kwargs.setdefault("breaker", AsyncCircuitBreaker("meta", BreakerConfig(), clock=clock))
        kwargs.setdefault("usage", UsageTracker(clock=clock))
        kwargs.setdefault("throttles", AccountThrottles(clock=clock))
        kwargs.setdefault("sleep", sleep)
        client = GraphClient(TOKEN, transport=httpx.MockTransport(handler), **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()

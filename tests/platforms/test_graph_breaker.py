from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pybreaker
import pytest

from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker, BreakerConfig, BreakerRegistry
from agent_brain.platforms.graph.errors import (
    CircuitOpenError,
    GraphTimeoutError,
    InvalidParameterError,
    PermissionDeniedError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
)

if TYPE_CHECKING:
    from tests.platforms.conftest import FakeClock


async def ok() -> str:
    return "ok"


async def fail(exc: BaseException) -> Any:
    raise exc


async def trip(breaker: AsyncCircuitBreaker, n: int = 5) -> None:
    for _ in range(n):
        with pytest.raises(TransientError):
            await breaker.call(fail, TransientError("503", http_status=503))


@pytest.fixture
def breaker(clock: FakeClock) -> AsyncCircuitBreaker:
    return AsyncCircuitBreaker("meta", BreakerConfig(), clock=clock)


async def test_full_cycle_closed_open_half_open_closed(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    await trip(breaker, 4)
    assert breaker.state == "closed" and breaker.failures == 4
    await trip(breaker, 1)
    assert breaker.state == "open"
    assert breaker.seconds_until_retry() == 60

    called = False

    async def must_not_run() -> None:
        nonlocal called
        called = True

    clock.advance(15)
    with pytest.raises(CircuitOpenError) as info:
        await breaker.call(must_not_run)
    assert not called
    assert info.value.seconds_until_retry == 45
    assert info.value.user_message("en") == "Facebook API is temporarily unavailable, try again in 45 s"
    assert breaker.status().seconds_until_retry == 45

    clock.advance(45)
    assert await breaker.call(ok) == "ok"
    assert breaker.state == "half-open"
    assert await breaker.call(ok) == "ok"
    assert breaker.state == "closed"
    assert breaker.failures == 0


async def test_failure_in_half_open_reopens(breaker: AsyncCircuitBreaker, clock: FakeClock) -> None:
    await trip(breaker)
    clock.advance(60)
    assert await breaker.call(ok) == "ok"
    with pytest.raises(GraphTimeoutError):
        await breaker.call(fail, GraphTimeoutError("read timeout", sent=True))
    assert breaker.state == "open"
    assert breaker.seconds_until_retry() == 60  # a fresh timeout from the re-opening


@pytest.mark.parametrize(
    "exc",
    [
        InvalidParameterError("bad", code=100),
        PermissionDeniedError("no", code=200),
        TokenExpiredError("expired", code=190),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_client_errors_do_not_trip(breaker: AsyncCircuitBreaker, exc: Exception) -> None:
    for _ in range(20):
        with pytest.raises(type(exc)):
            await breaker.call(fail, exc)
    assert breaker.state == "closed"
    assert breaker.failures == 0


@pytest.mark.parametrize("code", [4, 17, 613, 80004])
async def test_throttling_is_not_a_platform_failure(breaker: AsyncCircuitBreaker, code: int) -> None:
    # A rate limit is Meta answering; one busy account must not cut off every user.
    for _ in range(10):
        with pytest.raises(ThrottledError):
            await breaker.call(fail, ThrottledError("slow", code=code))
    assert breaker.state == "closed"
    assert breaker.failures == 0


async def test_only_consecutive_failures_count(breaker: AsyncCircuitBreaker) -> None:
    await trip(breaker, 4)
    await breaker.call(ok)
    await trip(breaker, 4)
    assert breaker.state == "closed"


async def test_cancellation_propagates_and_does_not_count(breaker: AsyncCircuitBreaker) -> None:
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await asyncio.Event().wait()

    for _ in range(6):
        started.clear()
        task = asyncio.create_task(breaker.call(hang))
        await asyncio.wait_for(started.wait(), 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert breaker.state == "closed" and breaker.failures == 0


async def test_calls_run_concurrently_not_serialised(breaker: AsyncCircuitBreaker) -> None:
    # Each call waits until all 10 are inside it at once: a breaker holding a lock across
    # the call would let only one in and the barrier would never open.
    barrier = asyncio.Barrier(10)

    async def slow(i: int) -> int:
        await barrier.wait()
        return i

    results = await asyncio.wait_for(asyncio.gather(*(breaker.call(slow, i) for i in range(10))), 2)
    assert results == list(range(10))


async def test_half_open_limits_concurrent_trials(breaker: AsyncCircuitBreaker, clock: FakeClock) -> None:
    await trip(breaker)
    clock.advance(60)
    release = asyncio.Event()
    both_inside = asyncio.Barrier(3)

    async def trial() -> str:
        await both_inside.wait()
        await release.wait()
        return "ok"

    trials = [asyncio.create_task(breaker.call(trial)) for _ in range(2)]
    await asyncio.wait_for(both_inside.wait(), 1)
    with pytest.raises(CircuitOpenError):
        await breaker.call(ok)  # a third concurrent call while two trials decide
    release.set()
    assert await asyncio.gather(*trials) == ["ok", "ok"]
    assert breaker.state == "closed"


async def test_cancelled_trial_frees_its_slot(clock: FakeClock) -> None:
    breaker = AsyncCircuitBreaker("meta", BreakerConfig(half_open_max_calls=1), clock=clock)
    await trip(breaker)
    clock.advance(60)
    started = asyncio.Event()

    async def hang() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(breaker.call(hang))
    await asyncio.wait_for(started.wait(), 1)
    with pytest.raises(CircuitOpenError):
        await breaker.call(ok)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await breaker.call(ok) == "ok"


async def test_late_result_from_before_the_trip_is_ignored(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    release = asyncio.Event()

    async def slow_ok() -> str:
        await release.wait()
        return "ok"

    straggler = asyncio.create_task(breaker.call(slow_ok))
    await asyncio.sleep(0)
    await trip(breaker)
    clock.advance(60)
    assert await breaker.call(ok) == "ok"  # first half-open trial
    release.set()
    assert await straggler == "ok"
    # Admitted while closed, so it must not count as the second trial success.
    assert breaker.state == "half-open"


async def test_pybreaker_listeners_see_state_changes(clock: FakeClock) -> None:
    seen: list[tuple[str, str]] = []

    class Recorder(pybreaker.CircuitBreakerListener):
        def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
            seen.append((old_state.name if old_state else "", new_state.name))

    breaker = AsyncCircuitBreaker(
        "meta", BreakerConfig(fail_max=1, success_threshold=1), clock=clock, listeners=[Recorder()]
    )
    await trip(breaker, 1)
    clock.advance(60)
    await breaker.call(ok)
    assert seen == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]


def test_registry_has_one_breaker_per_platform(clock: FakeClock) -> None:
    registry = BreakerRegistry(BreakerConfig(fail_max=3), clock=clock)
    assert registry.get("meta") is registry.get("meta")
    assert registry.get("meta") is not registry.get("tiktok")
    assert registry.get("meta").config.fail_max == 3
    assert [s.platform for s in registry.statuses()] == ["meta", "tiktok"]
    assert registry.statuses()[0].state == "closed"

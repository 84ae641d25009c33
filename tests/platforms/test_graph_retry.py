from __future__ import annotations

import asyncio

import pytest

from agent_brain.platforms.graph.errors import (
    GraphError,
    GraphTimeoutError,
    InvalidParameterError,
    NetworkError,
    PermissionDeniedError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
)
from agent_brain.platforms.graph.retry import backoff, read_policy, wait_retry_after, write_policy


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class Flaky:
    """Raises the given errors in turn, then returns "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def always(exc: BaseException, n: int = 10) -> list[BaseException]:
    return [exc] * n


@pytest.mark.parametrize(
    "exc",
    [
        TransientError("down", http_status=503),
        ThrottledError("slow", code=17),
        NetworkError("reset", sent=True),
        GraphTimeoutError("timeout", sent=True),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_reads_retry_up_to_the_limit(exc: GraphError) -> None:
    sleep = RecordingSleep()
    fn = Flaky(*always(exc))
    with pytest.raises(type(exc)):  # the error itself, not tenacity's RetryError
        await read_policy(max_retries=3).call(fn, sleep=sleep)
    assert fn.calls == 4
    assert len(sleep.calls) == 3


@pytest.mark.parametrize(
    "exc",
    [
        InvalidParameterError("bad", code=100),
        TokenExpiredError("expired", code=190),
        PermissionDeniedError("no", code=200),
        GraphError("other", code=999),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_client_errors_are_not_retried(exc: GraphError) -> None:
    sleep = RecordingSleep()
    fn = Flaky(*always(exc))
    with pytest.raises(type(exc)):
        await read_policy().call(fn, sleep=sleep)
    assert fn.calls == 1
    assert sleep.calls == []


async def test_success_after_transient_failures() -> None:
    sleep = RecordingSleep()
    fn = Flaky(TransientError("a"), TransientError("b"))
    assert await read_policy().call(fn, sleep=sleep) == "ok"
    assert fn.calls == 3


async def test_retry_after_is_honoured_exactly() -> None:
    sleep = RecordingSleep()
    fn = Flaky(ThrottledError("slow", retry_after_seconds=17), ThrottledError("slow", retry_after_seconds=42))
    assert await read_policy().call(fn, sleep=sleep) == "ok"
    assert sleep.calls == [17, 42]


async def test_advised_wait_beyond_the_cap_surfaces_at_once() -> None:
    sleep = RecordingSleep()
    fn = Flaky(ThrottledError("blocked", retry_after_seconds=1800))
    with pytest.raises(ThrottledError) as info:
        await read_policy(max_retry_after=60).call(fn, sleep=sleep)
    assert info.value.retry_after_seconds == 1800
    assert fn.calls == 1 and sleep.calls == []


def test_wait_retry_after_caps() -> None:
    from tenacity import RetryCallState

    state = RetryCallState(None, None, (), {})
    state.set_exception((ThrottledError, ThrottledError("x", retry_after_seconds=500), None))
    assert wait_retry_after(backoff(), max_seconds=60)(state) == 60


async def test_backoff_grows_with_bounded_jitter() -> None:
    sleep = RecordingSleep()
    policy = read_policy(max_retries=4, wait=wait_retry_after(backoff(multiplier=1, maximum=30, jitter=1)))
    with pytest.raises(TransientError):
        await policy.call(Flaky(*always(TransientError("x"))), sleep=sleep)
    assert len(sleep.calls) == 4
    for wait, base in zip(sleep.calls, [1, 2, 4, 8], strict=True):
        assert base <= wait <= base + 1
    assert sleep.calls[3] > sleep.calls[1] > sleep.calls[0]


async def test_backoff_without_jitter_doubles() -> None:
    sleep = RecordingSleep()
    policy = read_policy(wait=wait_retry_after(backoff(multiplier=0.5, jitter=0)))
    with pytest.raises(TransientError):
        await policy.call(Flaky(*always(TransientError("x"))), sleep=sleep)
    assert sleep.calls == [0.5, 1.0, 2.0]


async def test_cancellation_during_wait_propagates_and_is_not_retried() -> None:
    waiting = asyncio.Event()

    async def endless_sleep(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    fn = Flaky(*always(TransientError("x")))
    task = asyncio.create_task(read_policy().call(fn, sleep=endless_sleep))
    await asyncio.wait_for(waiting.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fn.calls == 1


async def test_cancelled_error_from_the_call_is_not_retried() -> None:
    sleep = RecordingSleep()
    fn = Flaky(asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await read_policy().call(fn, sleep=sleep)
    assert fn.calls == 1 and sleep.calls == []


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (NetworkError("refused", sent=False), True),
        (GraphTimeoutError("connect timeout", sent=False), True),
        (ThrottledError("slow", code=613), True),
        (NetworkError("reset after send", sent=True), False),
        (GraphTimeoutError("read timeout", sent=True), False),
        (TransientError("500", http_status=500), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
async def test_writes_retry_only_what_certainly_did_not_apply(exc: GraphError, retried: bool) -> None:
    fn = Flaky(exc)
    if retried:
        assert await write_policy().call(fn, sleep=RecordingSleep()) == "ok"
        assert fn.calls == 2
    else:
        with pytest.raises(type(exc)):
            await write_policy().call(fn, sleep=RecordingSleep())
        assert fn.calls == 1

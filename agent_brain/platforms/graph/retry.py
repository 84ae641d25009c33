"""Named, composable retry policies on top of tenacity.

Building blocks (`on_transient`, `on_throttled`, `on_network_error`, `wait_retry_after`)
combine with tenacity's `|`; `read_policy()` and `write_policy()` are the two the client uses.
Every policy re-raises the last error (`reraise=True`), stops after `max_retries` retries and
never retries `asyncio.CancelledError` (some stock tenacity predicates would).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_all,
    retry_base,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from agent_brain.platforms.graph.errors import (
    AccountThrottledError,
    NetworkError,
    ThrottledError,
    TransientError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


def not_cancelled() -> retry_base:
    """False for `asyncio.CancelledError`: AND-ed into every policy so cancellation always propagates."""
    return retry_if_exception(lambda exc: not isinstance(exc, asyncio.CancelledError))


def on_transient() -> retry_base:
    """Meta's own failures: codes 1, 2 and HTTP 5xx."""
    return retry_if_exception(lambda exc: isinstance(exc, TransientError))


def on_throttled(max_retry_after: float = 60.0) -> retry_base:
    """Rate limits whose advised wait is at most `max_retry_after` seconds.

    A longer wait (a business use case block of 30 minutes, say) is not slept through inside a
    chat turn: the error surfaces with its `retry_after_seconds` so the user is told when. A paused
    ad account (`AccountThrottledError`) has already been judged too long to wait for.
    """

    def predicate(exc: BaseException) -> bool:
        if not isinstance(exc, ThrottledError) or isinstance(exc, AccountThrottledError):
            return False
        return exc.retry_after_seconds is None or exc.retry_after_seconds <= max_retry_after

    return retry_if_exception(predicate)


def on_network_error(*, pre_send_only: bool = False) -> retry_base:
    """Connection failures and timeouts; with `pre_send_only`, only those that certainly never
    reached the server (the only ones a non-idempotent write may repeat)."""

    def predicate(exc: BaseException) -> bool:
        return isinstance(exc, NetworkError) and not (pre_send_only and exc.sent)

    return retry_if_exception(predicate)


def backoff(multiplier: float = 1.0, maximum: float = 30.0, jitter: float = 1.0) -> wait_base:
    """Exponential backoff, `multiplier * 2**n` plus up to `jitter` seconds, capped at `maximum`."""
    # `multiplier` (tenacity ≥ 9.2) replaced `initial`, which now warns.
    return wait_exponential_jitter(multiplier=multiplier, max=maximum, jitter=jitter)


class wait_retry_after(wait_base):  # noqa: N801 - named like tenacity's own wait strategies
    """Wait what the server asked for (`retry_after_seconds` on the error, from `Retry-After` or
    the business use case header), capped at `max_seconds`; otherwise defer to `fallback`."""

    def __init__(self, fallback: wait_base, max_seconds: float = 60.0) -> None:
        self.fallback = fallback
        self.max_seconds = max_seconds

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        advised = getattr(exc, "retry_after_seconds", None)
        if advised is not None:
            return min(float(advised), self.max_seconds)
        return self.fallback(retry_state)


def _log_before_sleep(policy_name: str) -> Callable[[RetryCallState], None]:
    def before_sleep(retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        log.warning(
            "%s retry %d after %s (code=%s), waiting %.1f s",
            policy_name,
            retry_state.attempt_number,
            type(exc).__name__,
            getattr(exc, "code", None),
            wait,
        )

    return before_sleep


@dataclass(frozen=True)
class RetryPolicy:
    """A named retry policy: which errors, how long to wait, how many retries."""

    name: str
    retry: retry_base
    wait: wait_base = field(default_factory=lambda: wait_retry_after(backoff()))
    max_retries: int = 3

    def retrying(self, *, sleep: Sleep = asyncio.sleep) -> AsyncRetrying:
        """A fresh tenacity controller; `sleep` is injectable so tests observe waits without sleeping."""
        return AsyncRetrying(
            sleep=sleep,
            retry=retry_all(not_cancelled(), self.retry),
            wait=self.wait,
            stop=stop_after_attempt(self.max_retries + 1),
            reraise=True,
            before_sleep=_log_before_sleep(self.name),
        )

    async def call(
        self, fn: Callable[..., Awaitable[T]], *args: Any, sleep: Sleep = asyncio.sleep, **kwargs: Any
    ) -> T:
        return await self.retrying(sleep=sleep)(fn, *args, **kwargs)


def read_policy(
    *, max_retries: int = 3, max_retry_after: float = 60.0, wait: wait_base | None = None
) -> RetryPolicy:
    """Reads are idempotent: retry Meta's failures, throttling, network errors and timeouts."""
    return RetryPolicy(
        name="graph-read",
        retry=on_transient() | on_throttled(max_retry_after) | on_network_error(),
        wait=wait or wait_retry_after(backoff(), max_retry_after),
        max_retries=max_retries,
    )


def write_policy(
    *, max_retries: int = 3, max_retry_after: float = 60.0, wait: wait_base | None = None
) -> RetryPolicy:
    """Writes repeat only when the server certainly did not apply them: an explicit throttling
    refusal or a failure before the request left. Outcome-unknown failures are the client's
    business (read back, then maybe re-send)."""
    return RetryPolicy(
        name="graph-write",
        retry=on_throttled(max_retry_after) | on_network_error(pre_send_only=True),
        wait=wait or wait_retry_after(backoff(), max_retry_after),
        max_retries=max_retries,
    )

"""Budget change pacing: Meta accepts about 4 budget changes per ad set per rolling hour.

Refusing the 5th change ourselves gives the marketer an exact "next change in N min" instead of
an opaque Meta error. Changes are recorded in a `BudgetChangeLog`; the in-memory log serves one
process, a PostgreSQL one can implement the same two methods atomically (one transaction:
lock the ad set's rows, count, insert).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Protocol

from agent_brain.platforms.graph.clock import Clock, utc_now
from agent_brain.platforms.graph.errors import (
    BudgetChangeRateLimited,
    CircuitOpenError,
    InvalidParameterError,
    NetworkError,
    PermissionDeniedError,
    PolicyBlockError,
    ThrottledError,
    TokenExpiredError,
)


class BudgetChangeLog(Protocol):
    async def try_record(
        self, ad_set_id: str, at: datetime, *, window: timedelta, limit: int
    ) -> datetime | None:
        """Atomically record a change at `at` if fewer than `limit` happened in `(at - window, at]`.

        Returns None when recorded, otherwise the moment the next change becomes allowed.
        """
        ...

    async def forget(self, ad_set_id: str, at: datetime) -> None:
        """Remove the change recorded at `at` (the write was refused, so it did not happen)."""
        ...


class InMemoryBudgetChangeLog:
    """A sliding window per ad set. Atomic under asyncio because nothing awaits inside."""

    def __init__(self) -> None:
        self._changes: dict[str, deque[datetime]] = defaultdict(deque)

    async def try_record(
        self, ad_set_id: str, at: datetime, *, window: timedelta, limit: int
    ) -> datetime | None:
        changes = self._changes[ad_set_id]
        while changes and changes[0] <= at - window:
            changes.popleft()
        if len(changes) >= limit:
            return changes[len(changes) - limit] + window
        changes.append(at)
        return None

    async def forget(self, ad_set_id: str, at: datetime) -> None:
        changes = self._changes.get(ad_set_id)
        if changes and at in changes:
            changes.remove(at)


# Errors after which the budget certainly did not change, so the slot is given back. Anything
# else (a timeout, an outcome-unknown write, cancellation mid-flight) keeps it: over-counting
# costs a short wait, under-counting costs a refusal from Meta.
_NOT_APPLIED = (
    InvalidParameterError,
    PermissionDeniedError,
    TokenExpiredError,
    PolicyBlockError,
    ThrottledError,
    CircuitOpenError,
)


def _certainly_not_applied(exc: BaseException) -> bool:
    if isinstance(exc, NetworkError):
        return not exc.sent
    return isinstance(exc, _NOT_APPLIED)


class BudgetChangePacer:
    """Allows at most `max_changes` budget changes per ad set within `window`.

    Use `async with pacer.budget_change(ad_set_id): await client.post(...)`: the slot is taken
    before the write (so concurrent changes cannot both pass) and returned if the write
    certainly did not apply.
    """

    def __init__(
        self,
        log: BudgetChangeLog | None = None,
        *,
        max_changes: int = 4,
        window: timedelta = timedelta(hours=1),
        clock: Clock = utc_now,
    ) -> None:
        self._log = log or InMemoryBudgetChangeLog()
        self.max_changes = max_changes
        self.window = window
        self._clock = clock

    async def acquire(self, ad_set_id: str) -> datetime:
        """Take a slot now; returns its timestamp (pass it to `release` if the change failed).

        Raises:
            BudgetChangeRateLimited: `max_changes` changes already happened within the window.
        """
        at = self._clock()
        next_allowed = await self._log.try_record(ad_set_id, at, window=self.window, limit=self.max_changes)
        if next_allowed is not None:
            raise BudgetChangeRateLimited(
                ad_set_id, (next_allowed - at).total_seconds(), max_changes=self.max_changes
            )
        return at

    async def release(self, ad_set_id: str, at: datetime) -> None:
        await self._log.forget(ad_set_id, at)

    @asynccontextmanager
    async def budget_change(self, ad_set_id: str) -> AsyncIterator[None]:
        at = await self.acquire(ad_set_id)
        try:
            yield
        except BaseException as exc:
            if _certainly_not_applied(exc):
                await self.release(ad_set_id, at)
            raise

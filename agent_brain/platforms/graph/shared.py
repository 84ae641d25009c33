"""Platform call discipline shared by every process through PostgreSQL.

`serve --workers N`, several `serve` processes behind a proxy and `agent-brain worker` all talk to the
same platforms, so what one process learns must bind the others:

- `PgBudgetChangeLog`: the ~4 budget changes per ad set per rolling hour are counted in one table,
  under a per-ad-set transaction lock, so two processes cannot both take the last slot.
- `SharedHealth`: a platform's circuit opened (or closed) by one process and an ad account paused
  after a rate limit are written at the transition (a background task: pybreaker calls its hooks
  synchronously, under its lock) and read by every process at most once per `refresh_every` seconds,
  on the first call after its copy went stale — a healthy call costs no SQL statement.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.graph.breaker import (
    AccountThrottles,
    AsyncCircuitBreaker,
    BreakerConfig,
    BreakerRegistry,
)
from agent_brain.platforms.graph.clock import Clock, utc_now

log = logging.getLogger(__name__)


class PgBudgetChangeLog:
    """`BudgetChangeLog` in the `budget_changes` table: one transaction per change, serialised per ad set
    by `pg_advisory_xact_lock`, so the count and the insert see every process's changes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def try_record(
        self, ad_set_id: str, at: datetime, *, window: timedelta, limit: int
    ) -> datetime | None:
        async with self._engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('budget_change:' || :id))"),
                               {"id": ad_set_id})
            await conn.execute(text("DELETE FROM budget_changes WHERE ad_set_id = :id AND changed_at <= :since"),
                               {"id": ad_set_id, "since": at - window})
            recent = (await conn.execute(text(
                "SELECT changed_at FROM budget_changes WHERE ad_set_id = :id AND changed_at > :since "
                "ORDER BY changed_at"), {"id": ad_set_id, "since": at - window})).scalars().all()
            if len(recent) >= limit:
                return recent[len(recent) - limit] + window
            await conn.execute(text("INSERT INTO budget_changes (ad_set_id, changed_at) VALUES (:id, :at)"),
                               {"id": ad_set_id, "at": at})
        return None

    async def forget(self, ad_set_id: str, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(text(
                "DELETE FROM budget_changes WHERE id = (SELECT id FROM budget_changes "
                "WHERE ad_set_id = :id AND changed_at = :at LIMIT 1)"), {"id": ad_set_id, "at": at})


_READ_HEALTH = text("SELECT platform, state, opened_at, changed_at FROM platform_health")
_READ_THROTTLES = text(
    "SELECT platform, account_id, paused_until, strikes, code, changed_at FROM account_throttles "
    "WHERE paused_until > :now OR (strikes > 0 AND changed_at > :recent)")
_WRITE_HEALTH = text(
    "INSERT INTO platform_health (platform, state, opened_at, changed_at) VALUES (:platform, :state, :opened_at, :at) "
    "ON CONFLICT (platform) DO UPDATE SET state = EXCLUDED.state, opened_at = EXCLUDED.opened_at, "
    "changed_at = EXCLUDED.changed_at WHERE platform_health.changed_at < EXCLUDED.changed_at")
_WRITE_THROTTLE = text(
    "INSERT INTO account_throttles (platform, account_id, paused_until, strikes, code, changed_at) "
    "VALUES (:platform, :account, :until, :strikes, :code, :at) "
    "ON CONFLICT (platform, account_id) DO UPDATE SET "
    "paused_until = GREATEST(account_throttles.paused_until, EXCLUDED.paused_until), strikes = EXCLUDED.strikes, "
    "code = COALESCE(EXCLUDED.code, account_throttles.code), changed_at = EXCLUDED.changed_at "
    "WHERE account_throttles.changed_at < EXCLUDED.changed_at")


class SharedHealth:
    """The process's breakers (`registry`) and account pauses (`throttles(platform)`), kept in step with
    every other process's through the `platform_health` and `account_throttles` tables.

    A lost write or a failed read (the database briefly away) costs only the sharing: each process
    keeps its own state and protects itself, as it would alone.
    """

    def __init__(self, engine: AsyncEngine, *, config: BreakerConfig | None = None, clock: Clock = utc_now,
                 refresh_every: float = 1.0) -> None:
        self._engine = engine
        self._clock = clock
        self.refresh_every = refresh_every
        self.registry = BreakerRegistry(config, clock=clock, shared=self)
        self._throttles: dict[str, AccountThrottles] = {}
        self._fresh_until = 0.0  # time.monotonic() until which the copy counts as fresh
        self._lock = asyncio.Lock()
        self._writes: set[asyncio.Task[None]] = set()

    def breaker(self, platform: str) -> AsyncCircuitBreaker:
        return self.registry.get(platform)

    def throttles(self, platform: str) -> AccountThrottles:
        throttles = self._throttles.get(platform)
        if throttles is None:
            throttles = self._throttles[platform] = AccountThrottles(clock=self._clock, platform=platform, shared=self)
        return throttles

    async def refresh(self) -> None:
        if time.monotonic() < self._fresh_until:
            return
        async with self._lock:  # one read per process however many calls find the copy stale
            if time.monotonic() < self._fresh_until:
                return
            try:
                await asyncio.wait_for(self._load(), timeout=2.0)
            except Exception as exc:  # sharing is lost for a second, the call itself goes on
                log.warning("shared platform state: read failed (%s)", type(exc).__name__)
            finally:
                self._fresh_until = time.monotonic() + self.refresh_every

    async def _load(self) -> None:
        now = self._clock()
        async with self._engine.connect() as conn:
            health = (await conn.execute(_READ_HEALTH)).all()
            throttled = (await conn.execute(_READ_THROTTLES, {"now": now, "recent": now - timedelta(hours=1)})).all()
        for platform, state, opened_at, changed_at in health:
            for breaker in self.registry.breakers():
                if breaker.platform == platform:
                    breaker.adopt(state, opened_at, changed_at)
        for platform, account, until, strikes, code, changed_at in throttled:
            if platform in self._throttles:
                self._throttles[platform].adopt(account, until, strikes, code, changed_at)

    def breaker_changed(self, platform: str, state: str, opened_at: datetime | None, at: datetime) -> None:
        self._write(_WRITE_HEALTH, {"platform": platform, "state": state, "opened_at": opened_at, "at": at})

    def throttle_changed(self, platform: str, account_id: str, until: datetime, strikes: int, code: int | None,
                         at: datetime) -> None:
        self._write(_WRITE_THROTTLE, {"platform": platform, "account": account_id, "until": until,
                                      "strikes": strikes, "code": code, "at": at})

    def _write(self, statement: object, params: dict[str, object]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self._execute(statement, params))
        except RuntimeError:  # no event loop (a synchronous caller): nothing to share with
            return
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _execute(self, statement: object, params: dict[str, object]) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(statement, params)  # type: ignore[call-overload]
        except Exception as exc:
            log.warning("shared platform state: write failed (%s)", type(exc).__name__)

    async def flush(self) -> None:
        """Wait for the transitions written so far (tests; shutdown)."""
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

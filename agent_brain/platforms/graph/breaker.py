"""An asyncio circuit breaker driven by pybreaker's state machine.

pybreaker's `CircuitBreaker.call` holds its lock for the whole guarded call (calls run one at a
time) and its async path is Tornado-only, so an `async def` wrapped by it never trips. Here the
lock is held only for the bookkeeping before and after the call, never across `await`; states,
counters, storage and listeners stay pybreaker's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import pybreaker

from agent_brain.platforms.graph.clock import Clock, utc_now
from agent_brain.platforms.graph.errors import (
    AccountThrottledError,
    CircuitOpenError,
    NetworkError,
    TransientError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# What "the platform is unhealthy" means: Meta's own failures (5xx, codes 1/2), timeouts and
# connection errors. A user's bad request (invalid parameter, missing permission, expired token)
# or a rate limit on one ad account must not open the circuit for every user of the platform;
# throttled accounts are paused one by one (`AccountThrottles`).
PLATFORM_FAILURES: tuple[type[BaseException], ...] = (TransientError, NetworkError)


def is_platform_failure(exc: BaseException) -> bool:
    return isinstance(exc, PLATFORM_FAILURES)


class SharedState(Protocol):
    """Where breakers and account pauses meet those of other processes (`shared.SharedHealth`: PostgreSQL).

    `refresh` is awaited before each call and must cost nothing while its copy is fresh; the `*_changed`
    hooks are called synchronously at transitions (inside pybreaker's lock) and must not block.
    """

    async def refresh(self) -> None: ...

    def breaker_changed(self, platform: str, state: str, opened_at: datetime | None, at: datetime) -> None: ...

    def throttle_changed(self, platform: str, account_id: str, until: datetime, strikes: int, code: int | None,
                         at: datetime) -> None: ...


@dataclass(frozen=True)
class BreakerConfig:
    """`half_open_max_calls` trial calls may run at once while half-open (default: the number of
    successes needed to close, so a healthy platform closes the circuit in one round)."""

    fail_max: int = 5
    reset_timeout: float = 60.0
    success_threshold: int = 2
    half_open_max_calls: int | None = None

    @property
    def max_trials(self) -> int:
        return self.half_open_max_calls or self.success_threshold


@dataclass(frozen=True)
class BreakerStatus:
    """What `/status` shows for one platform."""

    platform: str
    state: str  # "closed" | "open" | "half-open"
    failures: int
    seconds_until_retry: float


class _ClockedCircuitBreaker(pybreaker.CircuitBreaker):
    """pybreaker's breaker with `opened_at` taken from an injectable clock."""

    def __init__(self, *, clock: Clock, **kwargs: Any) -> None:
        self._clock = clock
        super().__init__(**kwargs)

    def open(self) -> bool:
        with self._lock:
            self._state_storage.opened_at = self._clock()
            self.state = self._state_storage.state = pybreaker.STATE_OPEN  # type: ignore[assignment]
            return self._throw_new_error_on_trip


class _GenerationListener(pybreaker.CircuitBreakerListener):
    """Counts state changes so that a call admitted under an earlier state cannot drive the current one,
    and hands this process's own opens and closes to the shared state (adopted ones are not echoed)."""

    def __init__(self, breaker: AsyncCircuitBreaker) -> None:
        self.generation = 0
        self._breaker = breaker

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        self.generation += 1
        breaker = self._breaker
        if breaker._adopting:
            log.warning("circuit %s: %s -> %s (another process)", cb.name, getattr(old_state, "name", None),
                        new_state.name)
            return
        log.warning("circuit %s: %s -> %s", cb.name, getattr(old_state, "name", None), new_state.name)
        at = breaker._clock()
        breaker._known_change_at = at
        # Half-open is this process's own trial; only its outcome (open again, or closed) is shared.
        if breaker._shared is not None and new_state.name != pybreaker.STATE_HALF_OPEN:
            opened_at = cb._state_storage.opened_at if new_state.name == pybreaker.STATE_OPEN else None
            breaker._shared.breaker_changed(breaker.platform, new_state.name, opened_at, at)


@dataclass(frozen=True)
class _Ticket:
    generation: int
    trial: bool


class AsyncCircuitBreaker:
    """Guards coroutine calls to one platform.

    Closed: calls run concurrently; `fail_max` consecutive platform failures open the circuit.
    Open: calls fail fast with `CircuitOpenError` until `reset_timeout` has elapsed.
    Half-open: up to `max_trials` calls at once; `success_threshold` successes close the
    circuit, any platform failure re-opens it. Errors that are not platform failures count as
    the platform answering (pybreaker's semantics for excluded errors). `CancelledError`
    counts as nothing.
    """

    def __init__(
        self,
        platform: str,
        config: BreakerConfig | None = None,
        *,
        clock: Clock = utc_now,
        is_failure: Callable[[BaseException], bool] = is_platform_failure,
        listeners: Sequence[pybreaker.CircuitBreakerListener] = (),
        state_storage: pybreaker.CircuitBreakerStorage | None = None,
        shared: SharedState | None = None,
    ) -> None:
        self.platform = platform
        self.config = config or BreakerConfig()
        self._clock = clock
        self._shared = shared
        self._adopting = False
        self._known_change_at: datetime | None = None  # the latest transition this breaker knows of
        self._generations = _GenerationListener(self)
        self._cb = _ClockedCircuitBreaker(
            clock=clock,
            fail_max=self.config.fail_max,
            reset_timeout=self.config.reset_timeout,
            success_threshold=self.config.success_threshold,
            exclude=[lambda exc: not is_failure(exc)],
            listeners=[self._generations, *listeners],
            state_storage=state_storage,
            name=platform,
            # On a trip pybreaker then re-raises the caller's own exception, not its own error.
            throw_new_error_on_trip=False,
        )
        self._trials_in_flight = 0
        self._trials_generation = 0

    @property
    def state(self) -> str:
        return self._cb.current_state

    @property
    def failures(self) -> int:
        return self._cb.fail_counter

    def seconds_until_retry(self) -> float:
        """Seconds until an open circuit lets a trial call through (0 unless open)."""
        if self._cb.current_state != pybreaker.STATE_OPEN:
            return 0.0
        opened_at = self._cb._state_storage.opened_at
        if opened_at is None:
            return 0.0
        until = opened_at + timedelta(seconds=self._cb.reset_timeout)
        return max(0.0, (until - self._clock()).total_seconds())

    def status(self) -> BreakerStatus:
        return BreakerStatus(self.platform, self.state, self.failures, self.seconds_until_retry())

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Await `fn(*args, **kwargs)` under the breaker's rules.

        Raises:
            CircuitOpenError: the circuit is open (or half-open with all trial slots taken).
        """
        if self._shared is not None:
            await self._shared.refresh()  # free unless its copy is older than a second or so
        ticket = self._admit(fn, args, kwargs)
        try:
            result = await fn(*args, **kwargs)
        except asyncio.CancelledError:
            self._release(ticket)
            raise
        except BaseException as exc:
            self._record_failure(ticket, exc)
            raise
        self._record_success(ticket)
        return result

    def adopt(self, state: str, opened_at: datetime | None, changed_at: datetime) -> None:
        """Another process opened or closed this platform's circuit at `changed_at`.

        Only a transition newer than the latest this breaker knows of applies. An adopted open refuses
        calls until `reset_timeout` after the shared `opened_at`, then half-opens here as usual.
        """
        with self._cb._lock:
            if self._known_change_at is not None and changed_at <= self._known_change_at:
                return
            self._known_change_at = changed_at
            self._adopting = True
            try:
                if state == pybreaker.STATE_OPEN and opened_at is not None:
                    self._cb._state_storage.opened_at = opened_at
                    if self._cb.current_state != pybreaker.STATE_OPEN:
                        self._cb.state = self._cb._state_storage.state = pybreaker.STATE_OPEN  # type: ignore[assignment]
                elif state == pybreaker.STATE_CLOSED and self._cb.current_state != pybreaker.STATE_CLOSED:
                    self._cb.close()
            finally:
                self._adopting = False

    def _admit(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Ticket:
        with self._cb._lock:
            state = self._cb.state  # also picks up a change made through shared storage
            if state.name == pybreaker.STATE_OPEN:
                remaining = self.seconds_until_retry()
                if remaining > 0:
                    raise CircuitOpenError(self.platform, remaining)
                self._cb.half_open()
                state = self._cb.state
            if self._trials_generation != self._generations.generation:
                # Trials admitted under an earlier state no longer occupy a slot.
                self._trials_generation = self._generations.generation
                self._trials_in_flight = 0
            trial = state.name == pybreaker.STATE_HALF_OPEN
            if trial:
                if self._trials_in_flight >= self.config.max_trials:
                    # The trials decide within one call's time; a second is an honest estimate.
                    raise CircuitOpenError(self.platform, 1.0)
                self._trials_in_flight += 1
            for listener in self._cb.listeners:
                listener.before_call(self._cb, fn, *args, **kwargs)
            return _Ticket(self._generations.generation, trial)

    def _release(self, ticket: _Ticket) -> bool:
        """Free the ticket's trial slot; True if its result may still drive the state."""
        current = ticket.generation == self._generations.generation
        if ticket.trial and current:
            self._trials_in_flight -= 1
        return current

    def _record_success(self, ticket: _Ticket) -> None:
        with self._cb._lock:
            if self._release(ticket):
                self._cb.state._handle_success()

    def _record_failure(self, ticket: _Ticket, exc: BaseException) -> None:
        with self._cb._lock:
            if not self._release(ticket):
                return
            traceback = exc.__traceback__
            try:
                self._cb.state._handle_error(exc, reraise=False)
            except BaseException as raised:
                # pybreaker re-raises the caller's exception when the failure trips the circuit;
                # the caller re-raises it anyway, anything else is a real error.
                if raised is not exc:
                    raise
            finally:
                exc.__traceback__ = traceback


@dataclass(frozen=True)
class AccountThrottle:
    """One paused ad account, as `/health` shows it."""

    account_id: str
    until: datetime
    seconds_left: float
    code: int | None


class AccountThrottles:
    """Per-account pauses after Meta limited an ad account (throttling codes, usage headers).

    A pause lasts what Meta advised (Retry-After, estimated_time_to_regain_access, the account
    usage reset time); without advice `default_pause` seconds, doubled for every further throttle
    before the account answers again, at most `max_pause`. Only that account's calls wait.
    With `shared`, pauses and strikes are published to (and adopted from) every other process.
    """

    def __init__(self, *, clock: Clock = utc_now, default_pause: float = 60.0, max_pause: float = 900.0,
                 platform: str = "meta", shared: SharedState | None = None) -> None:
        self._clock = clock
        self.default_pause = default_pause
        self.max_pause = max_pause
        self.platform = platform
        self._shared = shared
        self._until: dict[str, tuple[datetime, int | None]] = {}
        self._strikes: dict[str, int] = {}
        self._changed: dict[str, datetime] = {}  # per account, the latest change known (local or adopted)

    async def refresh(self) -> None:
        """Bring in other processes' pauses (free unless the shared copy is stale)."""
        if self._shared is not None:
            await self._shared.refresh()

    def throttled(self, account_id: str, advised_seconds: float | None, *, code: int | None = None) -> float:
        """Meta refused a call on `account_id` for its rate: pause it. Returns the pause's length."""
        strikes = self._strikes[account_id] = self._strikes.get(account_id, 0) + 1
        seconds = advised_seconds or min(self.max_pause, self.default_pause * 2 ** (strikes - 1))
        if not self._pause(account_id, seconds, code):
            self._publish(account_id)  # the pause stood, the strike is still news
        return self.seconds_left(account_id)

    def pause(self, account_id: str, seconds: float, *, code: int | None = None) -> None:
        """Hold `account_id`'s calls for `seconds` from now (an earlier, longer pause stands)."""
        self._pause(account_id, seconds, code)

    def _pause(self, account_id: str, seconds: float, code: int | None) -> bool:
        until = self._clock() + timedelta(seconds=seconds)
        current = self._until.get(account_id)
        if current is not None and current[0] >= until:
            return False
        self._until[account_id] = (until, code if code is not None else current[1] if current else None)
        # Usage headers re-derive the same reset time call after call: a second's drift is not news.
        if current is None or until - current[0] > timedelta(seconds=1) or code != current[1]:
            self._publish(account_id)
        return True

    def answered(self, account_id: str) -> None:
        """The account answered a call: the next throttle starts from the default pause again."""
        if self._strikes.pop(account_id, None) is not None:
            self._publish(account_id)

    def _publish(self, account_id: str) -> None:
        at = self._changed[account_id] = self._clock()
        if self._shared is None:
            return
        until, code = self._until.get(account_id) or (at, None)
        self._shared.throttle_changed(self.platform, account_id, until, self._strikes.get(account_id, 0), code, at)

    def adopt(self, account_id: str, until: datetime, strikes: int, code: int | None, changed_at: datetime) -> None:
        """Another process paused `account_id` (or reset its strikes) at `changed_at`: a longer pause
        than this process knows of applies; strikes follow the newest change."""
        known = self._changed.get(account_id)
        if known is not None and changed_at <= known:
            return
        self._changed[account_id] = changed_at
        current = self._until.get(account_id)
        if until > self._clock() and (current is None or current[0] < until):
            self._until[account_id] = (until, code)
        if strikes:
            self._strikes[account_id] = strikes
        else:
            self._strikes.pop(account_id, None)

    def seconds_left(self, account_id: str | None) -> float:
        entry = self._until.get(account_id) if account_id else None
        if entry is None:
            return 0.0
        left = (entry[0] - self._clock()).total_seconds()
        if left <= 0:
            del self._until[account_id]  # type: ignore[arg-type]
            return 0.0
        return left

    def check(self, account_id: str | None, *, max_wait: float = 0.0) -> float:
        """Seconds a call on `account_id` must wait first (at most `max_wait`).

        Raises:
            AccountThrottledError: the account is paused for longer than `max_wait`.
        """
        left = self.seconds_left(account_id)
        if left > max_wait:
            assert account_id is not None
            raise AccountThrottledError(account_id, left, code=self._until[account_id][1])
        return left

    def statuses(self) -> list[AccountThrottle]:
        paused = []
        for account_id in sorted(self._until):
            left = self.seconds_left(account_id)
            if left > 0:
                until, code = self._until[account_id]
                paused.append(AccountThrottle(account_id, until, left, code))
        return paused


class BreakerRegistry:
    """One breaker per platform name, created on first use with the registry's config."""

    def __init__(self, config: BreakerConfig | None = None, *, clock: Clock = utc_now,
                 shared: SharedState | None = None) -> None:
        self.config = config or BreakerConfig()
        self._clock = clock
        self.shared = shared
        self._breakers: dict[str, AsyncCircuitBreaker] = {}

    def get(self, platform: str) -> AsyncCircuitBreaker:
        breaker = self._breakers.get(platform)
        if breaker is None:
            breaker = self._breakers[platform] = AsyncCircuitBreaker(platform, self.config, clock=self._clock,
                                                                     shared=self.shared)
        return breaker

    def breakers(self) -> list[AsyncCircuitBreaker]:
        return list(self._breakers.values())

    def statuses(self) -> list[BreakerStatus]:
        return [breaker.status() for _, breaker in sorted(self._breakers.items())]


default_registry = BreakerRegistry()


def get_breaker(platform: str) -> AsyncCircuitBreaker:
    """The process-wide breaker for `platform` (e.g. "meta")."""
    return default_registry.get(platform)

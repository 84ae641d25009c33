"""Write safety for every WRITE tool: the journal, exactly-once execution, post-check verification.

Idempotency follows Stripe / the IETF draft: the first outcome is stored under a key derived
from the operation and replayed for repeats within 24 h. The database decides races
(`INSERT … ON CONFLICT`), so concurrent identical calls from any number of workers or
processes execute once; the losers wait for the winner's stored result.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import IdempotentOperation
from agent_brain.journal.records import ActionOrigin, WriteTarget
from agent_brain.journal.store import ActionJournal
from agent_brain.platforms.graph.errors import GraphError, NetworkError, TransientError, WriteOutcomeUnknown

log = logging.getLogger(__name__)

DEFAULT_TTL = dt.timedelta(hours=24)


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, so equal arguments give equal keys."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def operation_key(tool_name: str, args: dict[str, Any], ad_account_id: str | None, scope: str | None = None) -> str:
    """SHA-256 of tool + canonical args + account (+ the request that issued it, when scoped)."""
    payload = f"{tool_name}\n{canonical_json(args)}\n{ad_account_id or ''}"
    if scope:
        payload += f"\n{scope}"
    return hashlib.sha256(payload.encode()).hexdigest()


class OperationInProgressError(Exception):
    """An identical operation is still running elsewhere and did not finish within the wait."""

    def __init__(self, key: str) -> None:
        super().__init__(f"an identical operation is still in progress (key {key[:12]}…)")
        self.key = key


class IdenticalOperationFailedError(Exception):
    """The identical operation we waited for failed; nothing was executed by this caller."""


class OutcomeUnknownError(Exception):
    """An earlier send under this key may or may not have reached the platform, and nothing can
    read the object back here: resending blindly could apply the write twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the outcome of an earlier attempt is unknown (key {key[:12]}…); read the object back")
        self.key = key


class WriteNotAppliedError(Exception):
    """The write was sent twice under one key and the platform shows neither."""


# A write whose outcome is unknown is read back; if it did not apply it is sent once more, no more.
MAX_SENDS = 2


def outcome_unknown(exc: BaseException) -> bool:
    """Could the platform have applied a write that ended with `exc`?

    Cancellation, timeouts, dropped connections and 5xx may have reached it; a refusal the
    platform answered (invalid parameter, permissions, throttling) or a local refusal did not.
    """
    from agent_brain.tools.registry import ToolError  # the registry imports this module

    if isinstance(exc, asyncio.CancelledError | TimeoutError | WriteOutcomeUnknown | TransientError):
        return True
    if isinstance(exc, NetworkError):
        return exc.sent
    return not isinstance(exc, GraphError | ToolError)


class IdempotentOutcome(BaseModel):
    result: Any
    cached: bool
    key: str
    settled: bool = False  # an unknown outcome was read back and found applied: nothing was resent


Settle = Callable[[], Awaitable[Any | None]]
Classify = Callable[[BaseException], str]


class IdempotentExecutor:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl: dt.timedelta = DEFAULT_TTL,
        wait_timeout: float = 60.0,
        poll_interval: float = 0.05,
    ) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.ttl = ttl
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval

    async def run(
        self,
        tool_name: str,
        args: dict[str, Any],
        ad_account_id: str | None,
        operation: Callable[[], Awaitable[Any]],
        *,
        user_id: uuid.UUID | None = None,
        scope: str | None = None,
        settle: Settle | None = None,
        classify: Classify | None = None,
    ) -> IdempotentOutcome:
        """Run `operation` once per (tool, args, account) within the TTL.

        A repeat returns the stored result with `cached=True`. A previous attempt that failed
        (the platform refused it, so nothing changed) may be retried. An attempt that ended with
        its outcome unknown (`classify(exc)` → "unknown"; by default `outcome_unknown`) is never
        resent blindly: `settle()` reads the object back and returns the result if the write
        applied, or None if it did not — then it is sent once more under the same key. Without
        `settle`, OutcomeUnknownError.
        """
        key = operation_key(tool_name, args, ad_account_id, scope)
        classify = classify or (lambda exc: "unknown" if outcome_unknown(exc) else "failed")
        while True:
            if await self._claim(key, tool_name, args, ad_account_id, user_id):
                return await self._execute(key, operation, classify)
            outcome = await self._await_winner(key)
            if outcome is not None:
                return outcome
            # The stored outcome is unknown.
            if settle is None:
                raise OutcomeUnknownError(key)
            attempts = await self._take_unknown(key)
            if attempts is None:
                continue  # another caller is settling it: wait for theirs
            try:
                settled = await settle()
            except BaseException:
                await asyncio.shield(self._finish(key, "unknown", None))
                raise
            if settled is not None:
                await asyncio.shield(self._finish(key, "succeeded", settled))
                return IdempotentOutcome(result=settled, cached=False, key=key, settled=True)
            if attempts >= MAX_SENDS:
                await asyncio.shield(self._finish(key, "failed", {"error": "not_applied"}))
                raise WriteNotAppliedError(f"the platform does not show the write after {attempts} attempts")
            await self._bump_attempts(key)
            return await self._execute(key, operation, classify)

    async def _execute(self, key: str, operation: Callable[[], Awaitable[Any]], classify: Classify) -> IdempotentOutcome:
        try:
            result = await operation()
        except BaseException as exc:
            # Shielded: a cancelled caller must still record the outcome, or the key stays
            # "in progress" until it expires and every retry waits for nothing.
            status = classify(exc)
            await asyncio.shield(self._finish(key, status, {"error": type(exc).__name__, "message": str(exc)}))
            raise
        await asyncio.shield(self._finish(key, "succeeded", result))
        return IdempotentOutcome(result=result, cached=False, key=key)

    async def _claim(
        self, key: str, tool_name: str, args: dict[str, Any], ad_account_id: str | None, user_id: uuid.UUID | None
    ) -> bool:
        """Insert the key as in_progress; take over an expired or failed record. True if we won."""
        table = IdempotentOperation.__table__
        stmt = (
            pg_insert(IdempotentOperation)
            .values(
                operation_key=key,
                tool_name=tool_name,
                ad_account_id=ad_account_id,
                user_id=user_id,
                status="in_progress",
                args=args,
                expires_at=func.now() + self.ttl,
            )
            .on_conflict_do_update(
                index_elements=[IdempotentOperation.operation_key],
                set_={
                    "status": "in_progress",
                    "result": None,
                    "attempts": 1,
                    "created_at": func.now(),
                    "completed_at": None,
                    "expires_at": func.now() + self.ttl,
                },
                where=or_(table.c.expires_at < func.now(), table.c.status == "failed"),
            )
            .returning(IdempotentOperation.operation_key)
        )
        async with self.engine.connect() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def _take_unknown(self, key: str) -> int | None:
        """unknown → in_progress for the caller that will read it back; its attempt count, or None if lost."""
        stmt = (
            update(IdempotentOperation)
            .where(IdempotentOperation.operation_key == key, IdempotentOperation.status == "unknown")
            .values(status="in_progress")
            .returning(IdempotentOperation.attempts)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else int(row[0])

    async def _bump_attempts(self, key: str) -> None:
        stmt = (update(IdempotentOperation).where(IdempotentOperation.operation_key == key)
                .values(attempts=IdempotentOperation.attempts + 1))
        async with self.engine.connect() as conn:
            await conn.execute(stmt)

    async def _finish(self, key: str, status: str, result: Any) -> None:
        stmt = (
            update(IdempotentOperation)
            .where(IdempotentOperation.operation_key == key)
            .values(status=status, result=result, completed_at=func.now())
        )
        async with self.engine.connect() as conn:
            await conn.execute(stmt)

    async def settle_key(self, key: str, *, applied: bool, result: Any) -> None:
        """Recovery: give a key left in progress or unknown by a dead process its final outcome."""
        stmt = (
            update(IdempotentOperation)
            .where(IdempotentOperation.operation_key == key,
                   IdempotentOperation.status.in_(("in_progress", "unknown")))
            .values(status="succeeded" if applied else "failed", result=result, completed_at=func.now())
        )
        async with self.engine.connect() as conn:
            await conn.execute(stmt)

    async def _await_winner(self, key: str) -> IdempotentOutcome | None:
        """The stored outcome once the running attempt ends; None when that outcome is unknown."""
        stmt = select(IdempotentOperation.status, IdempotentOperation.result).where(
            IdempotentOperation.operation_key == key
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_timeout
        delay = self.poll_interval
        while True:
            async with self.engine.connect() as conn:
                row = (await conn.execute(stmt)).first()
            if row is not None and row.status == "succeeded":
                return IdempotentOutcome(result=row.result, cached=True, key=key)
            if row is not None and row.status == "unknown":
                return None
            if row is not None and row.status == "failed":
                error = row.result or {}
                raise IdenticalOperationFailedError(
                    f"the identical operation failed: {error.get('message', 'unknown error')}"
                )
            if loop.time() >= deadline:
                raise OperationInProgressError(key)
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    async def purge_expired(self) -> int:
        stmt = delete(IdempotentOperation).where(IdempotentOperation.expires_at < func.now())
        async with self.engine.connect() as conn:
            return (await conn.execute(stmt)).rowcount or 0


# ── post-check verification ─────────────────────────────────────────────────────────────────


class Verification(BaseModel):
    verified: bool
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    warning: str | None = None


def values_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Every expected field equals the actual one, exactly. Numbers compare by value (Graph sends
    budgets as strings of integer minor units), so "5000" matches 5000 and 5001 does not."""
    for field, want in expected.items():
        got = actual.get(field)
        if isinstance(want, int | float) and not isinstance(want, bool) and got is not None:
            try:
                if float(got) != float(want):
                    return False
            except (TypeError, ValueError):
                return False
        elif got != want:
            return False
    return True


async def verify_write(
    read_back: Callable[[], Awaitable[dict[str, Any]]],
    expected: dict[str, Any],
    *,
    before: dict[str, Any] | None = None,
    attempts: int = 2,
    pause: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Verification:
    """Re-read the object after a write until it shows `expected` (up to `attempts` reads)."""
    after: dict[str, Any] | None = None
    for attempt in range(attempts):
        if attempt:
            await sleep(pause)
        try:
            after = await read_back()
        except Exception as exc:  # the write happened; a failed read-back is a warning, not an error
            log.warning("post-check read failed: %s", type(exc).__name__)
            after = None
            continue
        if values_match(expected, after):
            return Verification(verified=True, before=before, after=after)
    fields = ", ".join(f"{k}={v}" for k, v in expected.items())
    warning = (
        f"the platform does not show the change yet ({fields}); check again in a minute"
        if after is not None
        else "could not read the object back to verify the change"
    )
    return Verification(verified=False, before=before, after=after, warning=warning)


# ── the guard every WRITE tool goes through ─────────────────────────────────────────────────


class GuardedWrite(BaseModel):
    """One platform write, described so the guard can dry-run, deduplicate, journal and verify it.

    `read` returns the fields the write changes (before and after); `apply(validate_only)`
    performs the write (or only validates it); `expected` is what `read` must show afterwards.
    `target` names the object for the journal (and tells recovery how to read it back);
    `reversible` is False for writes that cannot be taken back (a sent message).
    """

    model_config = {"arbitrary_types_allowed": True}

    tool: str
    args: dict[str, Any]
    account_id: str | None
    expected: dict[str, Any]
    read: Callable[[], Awaitable[dict[str, Any]]]
    apply: Callable[[bool], Awaitable[Any]]
    target: WriteTarget | None = None
    platform: str = "meta"
    reversible: bool = True


class WriteGuard:
    """The one write path: dry-run, journal, exactly-once execution and post-check verification.

    Each real write is journalled (`ai_actions`) before the call and moved through
    intended → sent → applied → verified | unverified, or failed, or unknown. A write whose
    outcome is unknown (timeout, cancellation) is settled by reading the object back, never
    resent blindly.

    `scope` names the request a write belongs to (a chat turn, a plan step). Duplicates within
    one request — a double press, a re-sent step, a model repeating a call — execute once;
    the same change asked for again later (pause → resume → pause) is a new operation.
    `origin` says who asked; `scoped()` derives a guard for one request.
    """

    def __init__(
        self,
        executor: IdempotentExecutor,
        *,
        journal: ActionJournal | None = None,
        dry_run: bool = False,
        verify_attempts: int = 2,
        verify_pause: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        scope: str | None = None,
        origin: ActionOrigin | None = None,
    ) -> None:
        self.executor = executor
        self.journal = journal or ActionJournal(executor.engine)
        self.dry_run = dry_run
        self.verify_attempts = verify_attempts
        self.verify_pause = verify_pause
        self._sleep = sleep
        self.scope = scope
        self.origin = origin or ActionOrigin()

    def scoped(self, scope: str | None, **origin: Any) -> WriteGuard:
        """A guard for one request (`scope`), with `origin` fields (user, chat, plan step…) updated."""
        return WriteGuard(self.executor, journal=self.journal, dry_run=self.dry_run,
                          verify_attempts=self.verify_attempts, verify_pause=self.verify_pause, sleep=self._sleep,
                          scope=scope, origin=self.origin.replace(**origin))

    async def run(self, write: GuardedWrite, *, user_id: uuid.UUID | None = None, dry_run: bool | None = None) -> dict[str, Any]:
        if self.dry_run if dry_run is None else dry_run:
            # Reads run; the write is only validated by the platform (validate_only) and is not
            # recorded as executed, so a later real run is not mistaken for a repeat.
            before = await write.read()
            await write.apply(True)
            return {"success": True, "dry_run": True, "would_execute": {"tool": write.tool, "args": write.args},
                    "current": before, "expected": write.expected, "validation": "passed"}

        origin = self.origin if user_id is None or self.origin.user_id else self.origin.replace(user_id=user_id)
        key = operation_key(write.tool, write.args, write.account_id, self.scope)
        # What the executor records when `once` raises: "failed" until the call is sent.
        attempt: dict[str, str] = {}

        async def once() -> dict[str, Any]:
            attempt.clear()
            before = await write.read()
            action_id = await self.journal.intend(
                origin=origin, tool=write.tool, platform=write.platform, account_id=write.account_id,
                target=write.target, args=write.args, expected=write.expected, before=before, key=key,
                reversible=write.reversible)
            attempt["action"] = str(action_id)
            await self.journal.move(action_id, "sent")
            attempt["status"] = "unknown"  # from here on, a failure may have reached the platform
            try:
                result = await write.apply(False)
            except BaseException as exc:
                status = "unknown" if outcome_unknown(exc) else "failed"
                attempt["status"] = status
                await asyncio.shield(self.journal.move(action_id, status, error=_describe(exc)))
                raise
            payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            await self.journal.move(action_id, "applied", response=payload)
            verification = await verify_write(
                write.read, write.expected, before=before, attempts=self.verify_attempts,
                pause=self.verify_pause, sleep=self._sleep,
            )
            await self.journal.move(action_id, "verified" if verification.verified else "unverified",
                                    after=verification.after)
            return {"success": True, "dry_run": False, "result": payload, "action_id": str(action_id),
                    "verification": verification.model_dump(mode="json")}

        async def settle() -> dict[str, Any] | None:
            """Read back an attempt whose outcome is unknown: its result if it applied, None if not."""
            action = await self.journal.latest_for_key(key)
            current = await write.read()
            if not values_match(write.expected, current):
                if action is not None:
                    await self.journal.move(action.id, "failed", after=current, error={"error": "not_applied"})
                return None
            before = action.before_state if action else None
            if action is not None:
                await self.journal.move(action.id, "verified", after=current)
            return {"success": True, "dry_run": False, "result": action.response if action else None,
                    "action_id": str(action.id) if action else None,
                    "verification": Verification(verified=True, before=before, after=current).model_dump(mode="json")}

        outcome = await self.executor.run(write.tool, write.args, write.account_id, once, user_id=origin.user_id,
                                          scope=self.scope, settle=settle,
                                          classify=lambda exc: attempt.get("status", "failed"))
        return {**outcome.result, "cached": outcome.cached, **({"settled": True} if outcome.settled else {})}


def _describe(exc: BaseException) -> dict[str, Any]:
    return {"error": type(exc).__name__, "message": str(exc)[:500]}

"""Write safety for every WRITE tool: exactly-once execution, post-check verification.

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


class IdempotentOutcome(BaseModel):
    result: Any
    cached: bool
    key: str


class IdempotentExecutor:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl: dt.timedelta = DEFAULT_TTL,
        wait_timeout: float = 60.0,
        poll_interval: float = 0.05,
    ) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
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
    ) -> IdempotentOutcome:
        """Run `operation` once per (tool, args, account) within the TTL.

        A repeat returns the stored result with `cached=True`. A previous attempt that failed
        (the platform refused it, so nothing changed) may be retried. If the operation raises,
        the failure is recorded and the exception propagates.
        """
        key = operation_key(tool_name, args, ad_account_id, scope)
        if await self._claim(key, tool_name, args, ad_account_id, user_id):
            try:
                result = await operation()
            except BaseException as exc:
                # Shielded: a cancelled caller must still release the claim, or the key stays
                # "in progress" until it expires and every retry waits for nothing.
                await asyncio.shield(self._finish(key, "failed", {"error": type(exc).__name__, "message": str(exc)}))
                raise
            await asyncio.shield(self._finish(key, "succeeded", result))
            return IdempotentOutcome(result=result, cached=False, key=key)
        return await self._await_winner(key)

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
                    "created_at": func.now(),
                    "completed_at": None,
                    "expires_at": func.now() + self.ttl,
                },
                where=or_(table.c.expires_at < func.now(), table.c.status == "failed"),
            )
            .returning(IdempotentOperation.operation_key)
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def _finish(self, key: str, status: str, result: Any) -> None:
        stmt = (
            update(IdempotentOperation)
            .where(IdempotentOperation.operation_key == key)
            .values(status=status, result=result, completed_at=func.now())
        )
        async with self._engine.connect() as conn:
            await conn.execute(stmt)

    async def _await_winner(self, key: str) -> IdempotentOutcome:
        stmt = select(IdempotentOperation.status, IdempotentOperation.result).where(
            IdempotentOperation.operation_key == key
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_timeout
        delay = self.poll_interval
        while True:
            async with self._engine.connect() as conn:
                row = (await conn.execute(stmt)).first()
            if row is not None and row.status == "succeeded":
                return IdempotentOutcome(result=row.result, cached=True, key=key)
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
        async with self._engine.connect() as conn:
            return (await conn.execute(stmt)).rowcount or 0


# ── post-check verification ─────────────────────────────────────────────────────────────────


class Verification(BaseModel):
    verified: bool
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    warning: str | None = None


def values_match(expected: dict[str, Any], actual: dict[str, Any], *, budget_tolerance: float = 0.01) -> bool:
    """Every expected field equals the actual one; money fields (`*budget*`) may differ by 1 %."""
    for field, want in expected.items():
        got = actual.get(field)
        if "budget" in field and isinstance(want, int | float) and got is not None:
            try:
                got_number = float(got)
            except (TypeError, ValueError):
                return False
            if abs(got_number - want) > abs(want) * budget_tolerance:
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
    """One platform write, described so the guard can dry-run, deduplicate and verify it.

    `read` returns the fields the write changes (before and after); `apply(validate_only)`
    performs the write (or only validates it); `expected` is what `read` must show afterwards.
    """

    model_config = {"arbitrary_types_allowed": True}

    tool: str
    args: dict[str, Any]
    account_id: str | None
    expected: dict[str, Any]
    read: Callable[[], Awaitable[dict[str, Any]]]
    apply: Callable[[bool], Awaitable[Any]]


class WriteGuard:
    """Dry-run, exactly-once execution and post-check verification for WRITE tools.

    `scope` names the request a write belongs to (a chat turn, a plan step). Duplicates within
    one request — a double press, a re-sent step, a model repeating a call — execute once;
    the same change asked for again later (pause → resume → pause) is a new operation.
    """

    def __init__(
        self,
        executor: IdempotentExecutor,
        *,
        dry_run: bool = False,
        verify_attempts: int = 2,
        verify_pause: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        scope: str | None = None,
    ) -> None:
        self.executor = executor
        self.dry_run = dry_run
        self.verify_attempts = verify_attempts
        self.verify_pause = verify_pause
        self._sleep = sleep
        self.scope = scope

    def scoped(self, scope: str) -> WriteGuard:
        return WriteGuard(self.executor, dry_run=self.dry_run, verify_attempts=self.verify_attempts,
                          verify_pause=self.verify_pause, sleep=self._sleep, scope=scope)

    async def run(self, write: GuardedWrite, *, user_id: uuid.UUID | None = None, dry_run: bool | None = None) -> dict[str, Any]:
        if self.dry_run if dry_run is None else dry_run:
            # Reads run; the write is only validated by the platform (validate_only) and is not
            # recorded as executed, so a later real run is not mistaken for a repeat.
            before = await write.read()
            await write.apply(True)
            return {"success": True, "dry_run": True, "would_execute": {"tool": write.tool, "args": write.args},
                    "current": before, "expected": write.expected, "validation": "passed"}

        async def once() -> dict[str, Any]:
            before = await write.read()
            result = await write.apply(False)
            verification = await verify_write(
                write.read, write.expected, before=before, attempts=self.verify_attempts,
                pause=self.verify_pause, sleep=self._sleep,
            )
            payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            return {"success": True, "dry_run": False, "result": payload,
                    "verification": verification.model_dump(mode="json")}

        outcome = await self.executor.run(write.tool, write.args, write.account_id, once, user_id=user_id,
                                          scope=self.scope)
        return {**outcome.result, "cached": outcome.cached}

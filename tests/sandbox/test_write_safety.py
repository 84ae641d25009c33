"""Write safety end to end: exactly-once, post-check and dry-run over the sandbox and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sandbox_account import Sandbox
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Action, IdempotentOperation
from agent_brain.journal.records import WriteTarget
from agent_brain.platforms.graph.errors import InvalidParameterError
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.write_safety import (
    GuardedWrite,
    IdempotentExecutor,
    IdenticalOperationFailedError,
    OutcomeUnknownError,
    WriteGuard,
    operation_key,
    values_match,
)


async def _no_sleep(seconds: float) -> None:
    return None


def pause(meta: MetaAdapter, campaign_id: str) -> GuardedWrite:
    async def read() -> dict:
        return {"status": (await meta.get_campaign(campaign_id)).status}

    return GuardedWrite(
        tool="pauseCampaign", args={"campaignId": campaign_id}, account_id="act_42", expected={"status": "PAUSED"},
        read=read, apply=lambda validate_only: meta.set_status(campaign_id, "PAUSED", validate_only=validate_only),
    )


def budget(meta: MetaAdapter, adset_id: str, cents: int) -> GuardedWrite:
    async def read() -> dict:
        return {"daily_budget": (await meta.get_ad_set(adset_id)).daily_budget_cents}

    return GuardedWrite(
        tool="updateBudget", args={"adsetId": adset_id, "dailyBudgetCents": cents}, account_id="act_42",
        expected={"daily_budget": cents}, read=read,
        apply=lambda validate_only: meta.update_daily_budget(adset_id, cents, validate_only=validate_only),
    )


@pytest.fixture
def guard(engine: AsyncEngine) -> WriteGuard:
    return WriteGuard(IdempotentExecutor(engine, poll_interval=0.01), sleep=_no_sleep)


def test_operation_key_is_canonical() -> None:
    a = operation_key("updateBudget", {"adsetId": "1", "dailyBudgetCents": 5000}, "act_1")
    b = operation_key("updateBudget", {"dailyBudgetCents": 5000, "adsetId": "1"}, "act_1")
    assert a == b and len(a) == 64
    assert a != operation_key("updateBudget", {"adsetId": "1", "dailyBudgetCents": 5000}, "act_2")
    assert a != operation_key("updateDirectionBudget", {"adsetId": "1", "dailyBudgetCents": 5000}, "act_1")


def test_budget_match_is_exact_in_minor_units() -> None:
    """A 1 % tolerance reported a budget change under 1 % that never applied as verified."""
    assert values_match({"daily_budget": 10000}, {"daily_budget": "10000"})
    assert not values_match({"daily_budget": 10000}, {"daily_budget": "10099"})
    assert not values_match({"daily_budget": 10000}, {"daily_budget": 9999})
    assert not values_match({"status": "PAUSED"}, {"status": "ACTIVE"})


async def test_twenty_concurrent_identical_pauses_make_one_graph_write(
    guard: WriteGuard, meta: MetaAdapter, sandbox: Sandbox
) -> None:
    results = await asyncio.gather(*(guard.run(pause(meta, "1001")) for _ in range(20)))
    assert sandbox.emulator.writes_applied == 1
    assert sum(not r["cached"] for r in results) == 1
    assert all(r["verification"]["verified"] for r in results)
    assert all(r["verification"]["after"] == {"status": "PAUSED"} for r in results)


async def test_concurrent_identical_writes_from_two_processes_execute_once(
    engine: AsyncEngine, meta: MetaAdapter, sandbox: Sandbox
) -> None:
    from agent_brain.db.engine import create_engine

    other = create_engine(engine.url.render_as_string(hide_password=False), pool_size=5)
    try:
        guards = [WriteGuard(IdempotentExecutor(e, poll_interval=0.01), sleep=_no_sleep) for e in (engine, other)]
        await asyncio.gather(*(guards[i % 2].run(budget(meta, "2001", 4400)) for i in range(10)))
    finally:
        await other.dispose()
    assert sandbox.emulator.writes_applied == 1


async def test_repeat_returns_the_stored_result_marked_cached(guard: WriteGuard, meta: MetaAdapter,
                                                              sandbox: Sandbox) -> None:
    first = await guard.run(budget(meta, "2001", 4400))
    second = await guard.run(budget(meta, "2001", 4400))
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["result"] == first["result"]
    assert sandbox.emulator.writes_applied == 1
    await guard.run(budget(meta, "2001", 4500))  # different arguments: a different operation
    assert sandbox.emulator.writes_applied == 2


async def test_post_check_reports_a_write_that_did_not_apply(guard: WriteGuard, meta: MetaAdapter,
                                                             sandbox: Sandbox) -> None:
    sandbox.faults.inject("drop_write", method="POST")
    result = await guard.run(pause(meta, "1001"))
    verification = result["verification"]
    assert verification["verified"] is False
    assert verification["before"] == verification["after"] == {"status": "ACTIVE"}
    assert "does not show the change" in verification["warning"]


async def test_post_check_accepts_a_change_that_appears_on_the_second_read(engine: AsyncEngine) -> None:
    reads = iter([{"status": "ACTIVE"}, {"status": "ACTIVE"}, {"status": "PAUSED"}])
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    async def read() -> dict:
        return next(reads)

    async def apply(validate_only: bool) -> dict:
        return {"success": True}

    guard = WriteGuard(IdempotentExecutor(engine), verify_pause=1.5, sleep=sleep)
    result = await guard.run(GuardedWrite(tool="pauseCampaign", args={"campaignId": "x"}, account_id=None,
                                          expected={"status": "PAUSED"}, read=read, apply=apply))
    assert result["verification"]["verified"] is True and pauses == [1.5]


async def test_dry_run_makes_no_write_and_records_nothing(engine: AsyncEngine, meta: MetaAdapter,
                                                          sandbox: Sandbox) -> None:
    guard = WriteGuard(IdempotentExecutor(engine), dry_run=True, sleep=_no_sleep)
    result = await guard.run(budget(meta, "2001", 4400))
    assert result["dry_run"] and result["current"] == {"daily_budget": 3000}
    assert result["would_execute"] == {"tool": "updateBudget", "args": {"adsetId": "2001", "dailyBudgetCents": 4400}}
    assert sandbox.emulator.writes_applied == 0
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(IdempotentOperation))).scalar_one() == 0
    with pytest.raises(InvalidParameterError):
        await guard.run(budget(meta, "2001", 10))  # below the floor: the platform's validation refuses it


async def test_failed_write_is_recorded_and_may_be_retried(guard: WriteGuard, meta: MetaAdapter,
                                                           sandbox: Sandbox, engine: AsyncEngine) -> None:
    sandbox.faults.inject("invalid_parameter", method="POST")
    with pytest.raises(InvalidParameterError):
        await guard.run(pause(meta, "1001"))
    async with engine.connect() as conn:
        status = (await conn.execute(select(IdempotentOperation.status))).scalar_one()
    assert status == "failed"
    retried = await guard.run(pause(meta, "1001"))
    assert retried["cached"] is False and sandbox.emulator.writes_applied == 1


async def test_waiters_see_the_winners_failure(engine: AsyncEngine) -> None:
    started = asyncio.Event()

    async def failing() -> dict:
        started.set()
        await asyncio.sleep(0.05)
        raise InvalidParameterError("platform said no", code=100, http_status=400)

    async def never() -> dict:
        raise AssertionError("a waiter must not execute")

    executor = IdempotentExecutor(engine, poll_interval=0.01)
    winner = asyncio.create_task(executor.run("pauseCampaign", {"id": 1}, "act_1", failing))
    await started.wait()
    with pytest.raises(IdenticalOperationFailedError, match="platform said no"):
        await executor.run("pauseCampaign", {"id": 1}, "act_1", never)
    with pytest.raises(InvalidParameterError):
        await winner


async def test_cancelled_execution_leaves_the_outcome_unknown_not_failed(engine: AsyncEngine) -> None:
    """A cancelled write may have reached the platform: the key is `unknown`, and a retry without
    a way to read the object back is refused instead of resending."""
    started = asyncio.Event()

    async def slow() -> dict:
        started.set()
        await asyncio.sleep(10)
        return {}

    async def resend() -> dict:
        raise AssertionError("an unknown outcome must not be resent blindly")

    executor = IdempotentExecutor(engine)
    task = asyncio.create_task(executor.run("pauseCampaign", {"id": 2}, "act_1", slow))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with engine.connect() as conn:
        assert (await conn.execute(select(IdempotentOperation.status))).scalar_one() == "unknown"
    with pytest.raises(OutcomeUnknownError):
        await executor.run("pauseCampaign", {"id": 2}, "act_1", resend)
    # Read back as not applied: sent once more under the same key.
    outcome = await executor.run("pauseCampaign", {"id": 2}, "act_1", lambda: asyncio.sleep(0, result={"ok": 1}),
                                 settle=lambda: asyncio.sleep(0, result=None))
    assert outcome.result == {"ok": 1} and outcome.cached is False and not outcome.settled


async def test_expired_records_are_replaced_and_purged(engine: AsyncEngine) -> None:
    executor = IdempotentExecutor(engine, ttl=dt.timedelta(hours=24))
    calls = 0

    async def op() -> dict:
        nonlocal calls
        calls += 1
        return {"n": calls}

    await executor.run("pauseCampaign", {"id": 3}, "act_1", op)
    async with engine.connect() as conn:
        await conn.execute(text("UPDATE ai_idempotent_operations SET expires_at = now() - interval '1 second'"))
        await conn.commit()
    again = await executor.run("pauseCampaign", {"id": 3}, "act_1", op)
    assert again.cached is False and calls == 2  # an expired key no longer deduplicates
    async with engine.connect() as conn:
        await conn.execute(text("UPDATE ai_idempotent_operations SET expires_at = now() - interval '1 second'"))
        await conn.commit()
    assert await executor.purge_expired() == 1


def resume(meta: MetaAdapter, campaign_id: str) -> GuardedWrite:
    async def read() -> dict:
        return {"status": (await meta.get_campaign(campaign_id)).status}

    return GuardedWrite(
        tool="resumeCampaign", args={"campaignId": campaign_id}, account_id="act_42", expected={"status": "ACTIVE"},
        read=read, apply=lambda validate_only: meta.set_status(campaign_id, "ACTIVE", validate_only=validate_only),
    )


async def test_regression_pause_resume_pause_in_separate_requests_all_execute(
    guard: WriteGuard, meta: MetaAdapter, sandbox: Sandbox
) -> None:
    """Keyed on arguments alone, the second pause replayed the first one's cached result and the
    campaign stayed ACTIVE. Scoped to the request that issued it, each request writes."""
    await guard.scoped("turn:1").run(pause(meta, "1001"))
    await guard.scoped("turn:2").run(resume(meta, "1001"))
    third = await guard.scoped("turn:3").run(pause(meta, "1001"))
    assert third["cached"] is False and third["verification"]["verified"]
    assert (await meta.get_campaign("1001")).status == "PAUSED"
    assert sandbox.emulator.writes_applied == 3
    replay = await guard.scoped("turn:3").run(pause(meta, "1001"))  # the same request again: deduplicated
    assert replay["cached"] is True and sandbox.emulator.writes_applied == 3


# ── the journal and outcomes that are unknown ───────────────────────────────────────────────


def pause_then_hang(meta: MetaAdapter, campaign_id: str) -> GuardedWrite:
    """The write reaches the platform, then the answer never comes (a timeout mid-flight)."""

    async def read() -> dict:
        return {"status": (await meta.get_campaign(campaign_id)).status}

    async def apply(validate_only: bool) -> dict:
        await meta.set_status(campaign_id, "PAUSED", validate_only=validate_only)
        await asyncio.sleep(30)
        return {}

    return GuardedWrite(tool="pauseCampaign", args={"campaignId": campaign_id}, account_id="act_42",
                        expected={"status": "PAUSED"}, read=read, apply=apply,
                        target=WriteTarget("campaign", campaign_id, "Имплантация Москва"))


async def _actions(engine: AsyncEngine) -> list[tuple[str, dict | None]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(
            select(Action.status, Action.after_state).order_by(Action.created_at))).all()]


async def test_a_timeout_after_the_write_landed_is_settled_by_reading_back_not_resent(
    guard: WriteGuard, meta: MetaAdapter, sandbox: Sandbox, engine: AsyncEngine
) -> None:
    """Regression: the timeout was stored `failed`, Yes+Auto retook the key and wrote twice."""
    step = guard.scoped("plan:p:0")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(step.run(pause_then_hang(meta, "1001")), timeout=0.3)
    assert sandbox.emulator.writes_applied == 1
    assert await _actions(engine) == [("unknown", None)]
    async with engine.connect() as conn:
        assert (await conn.execute(select(IdempotentOperation.status))).scalar_one() == "unknown"

    retried = await step.run(pause_then_hang(meta, "1001"))  # the same step again (Yes+Auto's retry)
    assert retried["settled"] is True and retried["verification"]["verified"] is True
    assert sandbox.emulator.writes_applied == 1  # read back, found applied: nothing resent
    assert await _actions(engine) == [("verified", {"status": "PAUSED"})]


async def test_a_timeout_before_the_write_landed_is_resent_once_under_the_same_key(
    guard: WriteGuard, meta: MetaAdapter, sandbox: Sandbox, engine: AsyncEngine
) -> None:
    sandbox.faults.inject("slow", delay_seconds=5, method="POST")
    step = guard.scoped("plan:p:0")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(step.run(pause(meta, "1001")), timeout=0.3)
    assert sandbox.emulator.writes_applied == 0
    retried = await step.run(pause(meta, "1001"))
    assert retried["cached"] is False and retried["verification"]["verified"] is True
    assert sandbox.emulator.writes_applied == 1
    # The first attempt is journalled as not applied (read back), the resend as verified.
    assert [status for status, _ in await _actions(engine)] == ["failed", "verified"]
    async with engine.connect() as conn:
        key = (await conn.execute(select(IdempotentOperation.status, IdempotentOperation.attempts))).one()
    assert tuple(key) == ("succeeded", 2)


async def test_a_refused_write_is_journalled_failed_and_nothing_else(
    guard: WriteGuard, meta: MetaAdapter, sandbox: Sandbox, engine: AsyncEngine
) -> None:
    sandbox.faults.inject("invalid_parameter", method="POST")
    with pytest.raises(InvalidParameterError):
        await guard.run(pause(meta, "1001"))
    async with engine.connect() as conn:
        row = (await conn.execute(select(Action.status, Action.error, Action.sent_at, Action.before_state))).one()
    assert row.status == "failed" and row.error["error"] == "InvalidParameterError"
    assert row.sent_at is not None and row.before_state == {"status": "ACTIVE"}

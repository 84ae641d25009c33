"""Budget pacing, circuit state and account pauses shared through PostgreSQL: two `SharedHealth` /
`PgBudgetChangeLog` on two engines stand for two processes of `serve --workers 2`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.engine import create_engine
from agent_brain.platforms.graph.errors import (
    AccountThrottledError,
    BudgetChangeRateLimited,
    CircuitOpenError,
    InvalidParameterError,
    TransientError,
)
from agent_brain.platforms.graph.pacing import BudgetChangePacer
from agent_brain.platforms.graph.shared import PgBudgetChangeLog, SharedHealth

if TYPE_CHECKING:
    from tests.platforms.conftest import FakeClock


@pytest.fixture
async def other_engine(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """A second connection pool on the same database: the other process."""
    other = create_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
    yield other
    await other.dispose()


async def ok() -> str:
    return "ok"


async def fail(exc: BaseException) -> None:
    raise exc


async def test_two_processes_share_the_budget_change_limit(
        engine: AsyncEngine, other_engine: AsyncEngine, clock: FakeClock) -> None:
    first = BudgetChangePacer(PgBudgetChangeLog(engine), clock=clock)
    second = BudgetChangePacer(PgBudgetChangeLog(other_engine), clock=clock)
    for pacer in (first, second, first, second):  # changes at 0, 10, 20, 30 min, two in each process
        await pacer.acquire("adset_1")
        clock.advance(600)
    for pacer in (first, second):
        with pytest.raises(BudgetChangeRateLimited) as info:
            await pacer.acquire("adset_1")
        assert info.value.retry_after_seconds == 20 * 60  # the change at minute 0 leaves at minute 60
    await second.acquire("adset_2")  # other ad sets are unaffected
    clock.advance(20 * 60)
    await first.acquire("adset_1")


async def test_concurrent_changes_from_two_processes_never_exceed_the_limit(
        engine: AsyncEngine, other_engine: AsyncEngine, clock: FakeClock) -> None:
    pacers = [BudgetChangePacer(PgBudgetChangeLog(e), clock=clock) for e in (engine, other_engine)]
    results = await asyncio.gather(*(pacers[i % 2].acquire("adset_1") for i in range(8)), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 4
    assert sum(isinstance(r, BudgetChangeRateLimited) for r in results) == 4


async def test_a_refused_write_gives_its_slot_back_to_every_process(
        engine: AsyncEngine, other_engine: AsyncEngine, clock: FakeClock) -> None:
    first = BudgetChangePacer(PgBudgetChangeLog(engine), clock=clock)
    second = BudgetChangePacer(PgBudgetChangeLog(other_engine), clock=clock)
    for _ in range(3):
        await first.acquire("adset_1")
        clock.advance(1)
    with pytest.raises(InvalidParameterError):
        async with second.budget_change("adset_1"):
            raise InvalidParameterError("bad budget", code=100)
    await first.acquire("adset_1")  # the refused change did not count
    with pytest.raises(BudgetChangeRateLimited):
        await second.acquire("adset_1")


async def test_a_circuit_opened_in_one_process_refuses_calls_in_another(
        engine: AsyncEngine, other_engine: AsyncEngine, clock: FakeClock) -> None:
    one = SharedHealth(engine, clock=clock, refresh_every=0)
    two = SharedHealth(other_engine, clock=clock, refresh_every=0)
    assert await two.breaker("meta").call(ok) == "ok"
    for _ in range(5):
        with pytest.raises(TransientError):
            await one.breaker("meta").call(fail, TransientError("503", http_status=503))
    assert one.breaker("meta").state == "open"
    await one.flush()
    clock.advance(15)

    ran = False

    async def must_not_run() -> None:
        nonlocal ran
        ran = True

    with pytest.raises(CircuitOpenError) as info:
        await two.breaker("meta").call(must_not_run)
    assert not ran
    assert info.value.seconds_until_retry == pytest.approx(45)  # reset_timeout from the shared opened_at
    assert two.breaker("tiktok").state == "closed"  # another platform is unaffected

    # After reset_timeout the other process half-opens as usual; its trials close the circuit for both.
    clock.advance(46)
    assert await two.breaker("meta").call(ok) == "ok"
    assert two.breaker("meta").state == "half-open"
    assert await two.breaker("meta").call(ok) == "ok"
    assert two.breaker("meta").state == "closed"
    await two.flush()
    await one.refresh()
    assert one.breaker("meta").state == "closed"  # adopted, without a trial of its own


async def test_a_failed_trial_in_one_process_reopens_the_circuit_in_the_other(
        engine: AsyncEngine, other_engine: AsyncEngine, clock: FakeClock) -> None:
    one = SharedHealth(engine, clock=clock, refresh_every=0)
    two = SharedHealth(other_engine, clock=clock, refresh_every=0)
    for _ in range(5):
        with pytest.raises(TransientError):
            await one.breaker("meta").call(fail, TransientError("503", http_status=503))
    await one.flush()
    clock.advance(61)
    with pytest.raises(TransientError):  # process two's trial fails: open again, from now
        await two.breaker("meta").call(fail, TransientError("503", http_status=503))
    await two.flush()
    clock.advance(30)
    with pytest.raises(CircuitOpenError) as info:
        await one.breaker("meta").call(ok)
    assert info.value.seconds_until_retry == pytest.approx(30)


async def test_a_healthy_call_costs_no_sql_statement_while_the_shared_copy_is_fresh(
        engine: AsyncEngine, clock: FakeClock) -> None:
    health = SharedHealth(engine, clock=clock, refresh_every=3600)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    await health.breaker("meta").call(ok)
    read_once = len(statements)
    assert read_once == 2  # the first call reads circuits and pauses
    for _ in range(20):
        await health.breaker("meta").call(ok)
        await health.throttles("meta").refresh()
    assert len(statements) == read_once


async def test_an_account_paused_in_one_process_is_paused_in_the_other(
        engine: AsyncEngine, other_engine: AsyncEngine, clock: FakeClock) -> None:
    one = SharedHealth(engine, clock=clock, refresh_every=0)
    two = SharedHealth(other_engine, clock=clock, refresh_every=0)
    await two.throttles("meta").refresh()
    assert two.throttles("meta").check("act_1") == 0
    assert one.throttles("meta").throttled("act_1", 120, code=17) == 120
    await one.flush()
    clock.advance(20)
    await two.throttles("meta").refresh()
    with pytest.raises(AccountThrottledError) as info:
        two.throttles("meta").check("act_1", max_wait=15)
    assert info.value.retry_after_seconds == pytest.approx(100)
    assert two.throttles("meta").check("act_2") == 0  # only that account waits
    assert [p.account_id for p in two.throttles("meta").statuses()] == ["act_1"]

    # Strikes travel too: a second throttle without advice in the other process doubles the pause.
    clock.advance(101)
    one.throttles("meta").throttled("act_9", None)
    await one.flush()
    await two.throttles("meta").refresh()
    assert two.throttles("meta").throttled("act_9", None) == 120
    # An answer in either process resets the doubling for both.
    clock.advance(1)
    two.throttles("meta").answered("act_9")
    await two.flush()
    clock.advance(1)
    await one.throttles("meta").refresh()
    clock.advance(200)
    assert one.throttles("meta").throttled("act_9", None) == 60

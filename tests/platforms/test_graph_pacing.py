from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_brain.platforms.graph.errors import (
    BudgetChangeRateLimited,
    GraphTimeoutError,
    InvalidParameterError,
    NetworkError,
)
from agent_brain.platforms.graph.pacing import BudgetChangePacer, InMemoryBudgetChangeLog

if TYPE_CHECKING:
    from tests.platforms.conftest import FakeClock


async def test_fifth_change_within_an_hour_is_refused(clock: FakeClock) -> None:
    pacer = BudgetChangePacer(clock=clock)
    for _ in range(4):
        await pacer.acquire("adset_1")
        clock.advance(600)  # changes at 0, 10, 20, 30 min; now 40 min
    with pytest.raises(BudgetChangeRateLimited) as info:
        await pacer.acquire("adset_1")
    # The change at minute 0 leaves the window at minute 60: 20 minutes from now.
    assert info.value.retry_after_seconds == 20 * 60
    assert info.value.user_message("ru").endswith("Следующее изменение возможно через 20 мин.")
    assert "20 min" in info.value.user_message("en")
    await pacer.acquire("adset_2")  # other ad sets are unaffected


async def test_allowed_again_after_the_window(clock: FakeClock) -> None:
    pacer = BudgetChangePacer(clock=clock)
    for _ in range(4):
        await pacer.acquire("adset_1")
    clock.advance(3599)
    with pytest.raises(BudgetChangeRateLimited) as info:
        await pacer.acquire("adset_1")
    assert info.value.retry_after_seconds == 1
    clock.advance(1)
    await pacer.acquire("adset_1")


async def test_refused_write_gives_the_slot_back(clock: FakeClock) -> None:
    pacer = BudgetChangePacer(clock=clock, max_changes=1)
    with pytest.raises(InvalidParameterError):
        async with pacer.budget_change("adset_1"):
            raise InvalidParameterError("below minimum", code=100)
    with pytest.raises(NetworkError):
        async with pacer.budget_change("adset_1"):
            raise NetworkError("refused", sent=False)
    async with pacer.budget_change("adset_1"):
        pass
    with pytest.raises(BudgetChangeRateLimited):
        await pacer.acquire("adset_1")


async def test_outcome_unknown_write_keeps_the_slot(clock: FakeClock) -> None:
    pacer = BudgetChangePacer(clock=clock, max_changes=1)
    with pytest.raises(GraphTimeoutError):
        async with pacer.budget_change("adset_1"):
            raise GraphTimeoutError("read timeout", sent=True)
    with pytest.raises(BudgetChangeRateLimited):
        await pacer.acquire("adset_1")


async def test_concurrent_changes_cannot_both_take_the_last_slot(clock: FakeClock) -> None:
    pacer = BudgetChangePacer(clock=clock, max_changes=1)
    results = await asyncio.gather(*(pacer.acquire("adset_1") for _ in range(5)), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, BudgetChangeRateLimited) for r in results if isinstance(r, BaseException))


@given(st.lists(st.integers(min_value=0, max_value=4 * 3600), max_size=40))
def test_never_more_than_four_changes_in_any_rolling_hour(offsets: list[int]) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    times = [start + timedelta(seconds=s) for s in sorted(offsets)]

    async def run() -> list[datetime]:
        log = InMemoryBudgetChangeLog()
        accepted = []
        for at in times:
            if await log.try_record("a", at, window=timedelta(hours=1), limit=4) is None:
                accepted.append(at)
        return accepted

    accepted = asyncio.run(run())
    for i, at in enumerate(accepted):
        assert sum(1 for other in accepted[i:] if other - at < timedelta(hours=1)) <= 4
    # Greedy acceptance: every refused request really had 4 accepted changes in the hour before it.
    for at in times:
        if at not in accepted:
            assert sum(1 for a in accepted if at - timedelta(hours=1) < a <= at) >= 4

"""The product's clock and the account's calendar: «сегодня» is the ad account's day, not the UTC date."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.demo.world import DEMO_TIMEZONE
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.tools.context import ToolContext

MSK = ZoneInfo(DEMO_TIMEZONE)
REAL = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("setting", "shift"), [
    ("", dt.timedelta()),
    ("+40d", dt.timedelta(days=40)),
    ("-3h", dt.timedelta(hours=-3)),
    ("+1d2h30m", dt.timedelta(days=1, hours=2, minutes=30)),
    ("+90s", dt.timedelta(seconds=90)),
])
def test_offsets(setting: str, shift: dt.timedelta) -> None:
    assert clock.parse_shift(setting, real_now=REAL) == shift


@pytest.mark.parametrize("real", [REAL, dt.datetime(2026, 11, 30, 21, 29, tzinfo=dt.UTC),
                                  dt.datetime(2026, 11, 30, 21, 31, tzinfo=dt.UTC)])
def test_local_time_setting_lands_on_the_next_such_local_time(real: dt.datetime) -> None:
    moved = real + clock.parse_shift("00:30@Europe/Moscow", real_now=real)
    local = moved.astimezone(MSK)
    assert (local.hour, local.minute) == (0, 30)
    assert dt.timedelta(0) < moved - real <= dt.timedelta(days=1)


@pytest.mark.parametrize("bad", ["40d", "+40x", "tomorrow", "25:00@Nowhere/City", "00:30@Mars/Olympus"])
def test_a_bad_setting_is_a_clear_error(bad: str) -> None:
    with pytest.raises(clock.ClockSettingError, match="AGENT_BRAIN_CLOCK"):
        clock.parse_shift(bad, real_now=REAL)


@pytest.fixture
def half_past_midnight_in_moscow(monkeypatch: pytest.MonkeyPatch) -> Iterator[dt.datetime]:
    """The clock moved on to the next 00:30 Moscow time (when the UTC date is still yesterday's), on top of
    any move the whole run already has (the calendar CI step)."""
    ahead = clock.parse_shift("00:30@Europe/Moscow", real_now=clock.now())
    monkeypatch.setenv(clock.ENV, f"+{math.ceil((clock.shift() + ahead).total_seconds())}s")
    clock.reset()
    try:
        yield clock.now()
    finally:
        monkeypatch.undo()
        clock.reset()


def test_today_is_the_accounts_day_at_half_past_midnight(half_past_midnight_in_moscow: dt.datetime) -> None:
    now = half_past_midnight_in_moscow
    local = now.astimezone(MSK)
    assert (local.hour, local.minute) == (0, 30)
    assert now.date() == local.date() - dt.timedelta(days=1)  # UTC is still on the day before
    assert clock.today_in(DEMO_TIMEZONE) == local.date()
    assert clock.today_in("") == clock.today_in("No/Such_Zone") == now.date()  # unknown → UTC


def test_tool_context_today_follows_the_account(half_past_midnight_in_moscow: dt.datetime,
                                                engine: AsyncEngine) -> None:
    moscow = half_past_midnight_in_moscow.astimezone(MSK).date()
    common = {"user_id": __import__("uuid").uuid4(), "engine": engine, "meta": None, "writes": None}
    assert ToolContext(**common, timezone=DEMO_TIMEZONE).today == moscow  # type: ignore[arg-type]
    assert ToolContext(**common, timezone="UTC").today == moscow - dt.timedelta(days=1)  # type: ignore[arg-type]


async def test_sandbox_date_presets_follow_the_account_calendar(half_past_midnight_in_moscow: dt.datetime,
                                                                demo_engine: AsyncEngine) -> None:
    """Graph computes date presets in the ad account's time zone (`last_7d` ends yesterday); so does the sandbox."""
    from agent_brain.demo.world import build_world

    account = build_world(clock.today_in(DEMO_TIMEZONE)).account.external_id
    app = create_sandbox_app(demo_engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://graph.facebook.com") as c:
        response = await c.get(f"/v26.0/{account}/insights",
                               params={"date_preset": "last_7d", "fields": "spend", "access_token": "t"})
    assert response.status_code == 200, response.text
    row = response.json()["data"][0]
    yesterday = half_past_midnight_in_moscow.astimezone(MSK).date() - dt.timedelta(days=1)
    assert (row["date_start"], row["date_stop"]) == ((yesterday - dt.timedelta(days=6)).isoformat(),
                                                     yesterday.isoformat())

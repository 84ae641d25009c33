"""The product's one clock: every "now" and every calendar "today" comes from here.

Business days belong to the ad account's calendar: «сегодня» for a Moscow account between 00:00
and 03:00 local time is already the next UTC-less day, so `today_in(tz)` — never the UTC date —
decides what today / yesterday / "last 7 days" mean (tools, snapshot, sandbox, demo data).

`AGENT_BRAIN_CLOCK` moves the clock for tests and demos; it keeps ticking from the moved point:

* `+40d`, `-3h`, `+1d2h30m`, `+90s` — an offset from the real time;
* `00:30@Europe/Moscow` — the next 00:30 in that time zone (e.g. just after local midnight).

The suite runs with several settings (see `.ci/run`) so that no test depends on the day it runs.
Database-side `now()` stays real: it only measures durations (leases, expiries), never calendars.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV = "AGENT_BRAIN_CLOCK"
_OFFSET = re.compile(r"^([+-])((?:\d+[dhms])+)$")
_PART = re.compile(r"(\d+)([dhms])")
_AT_LOCAL = re.compile(r"^(\d{1,2}):(\d{2})@([\w/+-]+)$")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class ClockSettingError(ValueError):
    """`AGENT_BRAIN_CLOCK` is not a value this module understands."""


def parse_shift(value: str, *, real_now: dt.datetime) -> dt.timedelta:
    """The offset a setting of `AGENT_BRAIN_CLOCK` means at `real_now` (aware)."""
    text = value.strip()
    if not text:
        return dt.timedelta()
    if m := _OFFSET.match(text):
        seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(m.group(2)))
        return dt.timedelta(seconds=seconds if m.group(1) == "+" else -seconds)
    if m := _AT_LOCAL.match(text):
        hour, minute, zone = int(m.group(1)), int(m.group(2)), m.group(3)
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ClockSettingError(f"{ENV}: unknown time zone {zone!r}") from exc
        local = real_now.astimezone(tz)
        target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if target <= local:
            target = (target + dt.timedelta(days=1)).replace(hour=hour, minute=minute)
        return target.astimezone(dt.UTC) - real_now
    raise ClockSettingError(f"{ENV}={value!r}: expected an offset such as +40d / -3h / +1d2h, "
                            "or HH:MM@Area/City")


@functools.cache
def _shift() -> dt.timedelta:
    return parse_shift(os.environ.get(ENV, ""), real_now=dt.datetime.now(dt.UTC))


def shift() -> dt.timedelta:
    """How far the clock is moved from the real time (zero unless `AGENT_BRAIN_CLOCK` is set)."""
    return _shift()


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    shift = _shift()  # first: a setting such as 00:30@Zone is measured from the real time it is read
    return dt.datetime.now(dt.UTC) + shift


def to_database_time(moment: dt.datetime) -> dt.datetime:
    """A moment of the product's calendar as the database records it (its `now()` is never moved)."""
    return moment - _shift()


def from_database_time(moment: dt.datetime) -> dt.datetime:
    """A timestamp the database wrote (server `now()`), on the product's calendar."""
    return moment + _shift()


def today_in(timezone: str | None) -> dt.date:
    """Today's date in a calendar (an IANA zone); an empty or unknown zone means UTC."""
    return now().astimezone(zone(timezone)).date()


def zone(timezone: str | None) -> dt.tzinfo:
    if not timezone:
        return dt.UTC
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def reset() -> None:
    """Re-read `AGENT_BRAIN_CLOCK` (tests that change it in-process)."""
    _shift.cache_clear()

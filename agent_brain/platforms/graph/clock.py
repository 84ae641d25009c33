"""The one clock type of this package: an injectable callable returning an aware UTC datetime.

Wall-clock (not monotonic) time because pybreaker's storage keeps `opened_at` as a datetime and a
future PostgreSQL-backed pacer will store timestamps; tests pass a `FakeClock` instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)

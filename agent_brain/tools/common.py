"""Small helpers every agent's handlers share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from agent_brain import clock
from agent_brain.tools.context import ToolContext
from agent_brain.tools.periods import PeriodArgs


def say(ctx: ToolContext, ru: str, en: str) -> str:
    """The message in the user's language."""
    return ru if ctx.language == "ru" else en


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def local_tz(ctx: ToolContext) -> dt.tzinfo:
    """The account's calendar (UTC when unset or unknown)."""
    return clock.zone(ctx.timezone)


def period_window(args: PeriodArgs, ctx: ToolContext) -> tuple[dict[str, Any], dt.datetime, dt.datetime]:
    """The period as reported, and its [start, end) instants: the dates are the account's local days."""
    first, last = args.date_range(ctx.today)
    tz = local_tz(ctx)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return {"from": first.isoformat(), "to": last.isoformat(), "label": args.label()}, start, end


def like_pattern(fragment: str) -> str:
    """A LIKE pattern matching `fragment` anywhere, with its own % and _ escaped (use escape='\\\\')."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

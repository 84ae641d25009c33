"""History from the journal: what changed, when, by whom and how it ended — for the chat and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from agent_brain import clock
from agent_brain.journal.records import ActionRecord
from agent_brain.journal.store import ActionFilter, ActionJournal
from agent_brain.tools.periods import PeriodArgs

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "verified": ("применено и проверено", "applied and verified"),
    "unverified": ("платформа не показывает изменение", "the platform does not show it"),
    "applied": ("применено, проверка не завершена", "applied, not yet verified"),
    "failed": ("не применено", "not applied"),
    "unknown": ("результат неизвестен", "outcome unknown"),
    "sent": ("отправлено", "sent"), "intended": ("не отправлено", "not sent"),
}


def period_bounds(args: PeriodArgs, today: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime, dt.date, dt.date]:
    """The period as instants in the account's time zone. "Last N days" of changes includes today."""
    start, end = args.date_range(today)
    if args.period.startswith("last_") and args.period != "last_month" and not args.dateFrom:
        end = today
    zone = ZoneInfo(timezone)
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return since, until, start, end


def _state(value: dict[str, Any] | None) -> str:
    if not value:
        return "—"
    return ", ".join(f"{v}" if len(value) == 1 else f"{k}={v}" for k, v in value.items())


def describe(action: ActionRecord, language: str, timezone: str) -> dict[str, str]:
    """A line's parts: `name` (local time, what, which object), `change` (before → after), `outcome`."""
    ru = language == "ru"
    when = clock.from_database_time(action.created_at).astimezone(ZoneInfo(timezone)).strftime("%d.%m %H:%M")
    target = f" «{action.target_name}»" if action.target_name else ""
    after = action.after_state if action.after_state is not None else action.expected
    outcome = STATUS_WORDS.get(action.status, (action.status, action.status))[0 if ru else 1]
    if action.reverts_action_id:
        outcome += " (" + ("отмена изменения" if ru else "undo") + ")"
    return {"name": f"{when} {action.tool}{target}", "change": f"{_state(action.before_state)} → {_state(after)}",
            "outcome": outcome}


async def action_history(journal: ActionJournal, *, user_id: Any, period: PeriodArgs, today: dt.date,
                         timezone: str, language: str, tool: str | None = None, limit: int = 20) -> dict[str, Any]:
    since, until, start, end = period_bounds(period, today, timezone)
    # The journal's rows carry the database's clock; the period is on the product's (account) calendar.
    actions = await journal.list(user_id, ActionFilter(tool=tool, since=clock.to_database_time(since),
                                                       until=clock.to_database_time(until)), limit=limit)
    items = [{"id": str(a.id), **describe(a, language, timezone), "tool": a.tool,
              "target": {"type": a.target_type, "id": a.target_id, "name": a.target_name}, "status": a.status,
              "before": a.before_state, "after": a.after_state, "at": a.created_at.isoformat(),
              "reversible": a.reversible, "reverts": str(a.reverts_action_id) if a.reverts_action_id else None}
             for a in actions]
    return {"period": {"from": start.isoformat(), "to": end.isoformat(), "label": period.label()},
            "items": items, "count": len(items)}

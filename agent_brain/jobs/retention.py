"""Data retention: what is older than the configured number of days is deleted, in small batches
(each its own short transaction, so the tables stay writable while it runs). 0 days = keep forever.

- messages: conversations idle longer than the window go whole (their messages, plans and runs
  cascade; the action journal keeps its rows, unlinked); in live conversations, older messages go.
- runs: `ai_runs` traces.
- journal: settled `ai_actions` rows (verified, unverified, failed) — never an open write.
- inbound dialogs: WhatsApp dialogs silent longer than the window go whole (messages and analyses
  cascade); in live dialogs, older messages go.
Ages are measured with the database clock (a duration, like leases), not the product's calendar.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Select

from agent_brain.config import Settings
from agent_brain.db.models import Action, Conversation, Message, Run, WhatsAppDialog, WhatsAppMessage

log = logging.getLogger(__name__)

BATCH = 1000
SETTLED_ACTIONS = ("verified", "unverified", "failed")


@dataclass(frozen=True)
class RetentionPolicy:
    messages_days: int = 365
    runs_days: int = 90
    journal_days: int = 365
    dialogs_days: int = 365

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(settings.retention_messages_days, settings.retention_runs_days,
                   settings.retention_journal_days, settings.retention_dialogs_days)


def _cutoff(days: int):  # type: ignore[no-untyped-def]
    return func.now() - text(f"interval '{int(days)} days'")


async def _delete_in_batches(engine: AsyncEngine, table, key, chosen: Select, batch: int) -> int:  # type: ignore[no-untyped-def]
    """Delete rows whose `key` is among `chosen` (a select of keys), `batch` at a time."""
    total = 0
    while True:
        async with engine.begin() as conn:
            result = await conn.execute(delete(table).where(key.in_(chosen.limit(batch).scalar_subquery())))
        total += result.rowcount or 0
        if (result.rowcount or 0) < batch:
            return total


async def enforce_retention(engine: AsyncEngine, policy: RetentionPolicy, *, batch: int = BATCH) -> dict[str, int]:
    """Apply `policy`; returns rows deleted per kind."""
    done: dict[str, int] = {}
    if policy.messages_days > 0:
        cutoff = _cutoff(policy.messages_days)
        done["conversations"] = await _delete_in_batches(
            engine, Conversation, Conversation.id,
            select(Conversation.id).where(Conversation.updated_at < cutoff, Conversation.lock_owner.is_(None)),
            batch)
        done["messages"] = await _delete_in_batches(
            engine, Message, Message.id, select(Message.id).where(Message.created_at < cutoff), batch)
    if policy.runs_days > 0:
        done["runs"] = await _delete_in_batches(
            engine, Run, Run.id, select(Run.id).where(Run.created_at < _cutoff(policy.runs_days)), batch)
    if policy.journal_days > 0:
        done["journal"] = await _delete_in_batches(
            engine, Action, Action.id,
            select(Action.id).where(Action.created_at < _cutoff(policy.journal_days),
                                    Action.status.in_(SETTLED_ACTIONS)), batch)
    if policy.dialogs_days > 0:
        cutoff = _cutoff(policy.dialogs_days)
        last = func.coalesce(WhatsAppDialog.last_message_at, WhatsAppDialog.created_at)
        done["dialogs"] = await _delete_in_batches(
            engine, WhatsAppDialog, WhatsAppDialog.id, select(WhatsAppDialog.id).where(last < cutoff), batch)
        done["dialog_messages"] = await _delete_in_batches(
            engine, WhatsAppMessage, WhatsAppMessage.id,
            select(WhatsAppMessage.id).where(WhatsAppMessage.sent_at < cutoff), batch)
    if any(done.values()):
        log.info("retention: deleted %s", ", ".join(f"{v} {k}" for k, v in done.items() if v))
    return done




"""Summaries of idle conversations, written by a background job instead of on a turn's hot path.

A conversation that went quiet (no activity for `IDLE`) with enough unsummarised messages (the same
rule as the rolling summary: more than 20 messages, at least 10 new) is summarised by the same
`RollingSummarizer`, so the next turn finds its summary ready. The job never takes the
conversation's lease — a user who comes back while it runs is not told "busy" — and its summary is
stored only if nobody summarised the conversation in the meantime (a conditional UPDATE), so it
never overwrites a newer summary written by a turn.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Conversation, Message
from agent_brain.llm.base import ChatModel
from agent_brain.memory.summary import MIN_MESSAGES, MIN_NEW_MESSAGES, RollingSummarizer
from agent_brain.stores.unified import UnifiedStore

log = logging.getLogger(__name__)

IDLE = dt.timedelta(minutes=30)
BATCH = 50  # conversations per run; the rest wait for the next run


@dataclass(frozen=True)
class IdleRun:
    due: int
    summarised: int


class _OnlyIfUnchanged:
    """The store as the summarizer sees it, except that the summary is stored only if the conversation's
    summary still covers `seen` messages (no turn summarised it while the job was writing)."""

    def __init__(self, store: UnifiedStore, engine: AsyncEngine, seen: int) -> None:
        self._store, self._engine, self._seen = store, engine, seen
        self.stored = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def update_rolling_summary(self, conversation_id: uuid.UUID, summary: str, *, message_count: int,
                                     tainted: bool = False) -> None:
        stmt = (update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.summary_message_count == self._seen)
                .values(rolling_summary=summary, summary_message_count=message_count, summary_tainted=tainted)
                .returning(Conversation.id))
        async with self._engine.begin() as conn:
            self.stored = (await conn.execute(stmt)).first() is not None


async def idle_due(engine: AsyncEngine, *, idle: dt.timedelta = IDLE, limit: int = BATCH) -> list[Any]:
    """Idle, unlocked conversations whose summary is due, oldest activity first (one statement)."""
    last_user = (select(Message.content).where(Message.conversation_id == Conversation.id, Message.role == "user",
                                               Message.content.is_not(None))
                 .order_by(Message.id.desc()).limit(1).correlate(Conversation).scalar_subquery())
    stmt = (select(Conversation.id, Conversation.summary_message_count, last_user.label("said"))
            .where(Conversation.updated_at < func.now() - idle,
                   Conversation.message_count > MIN_MESSAGES,
                   Conversation.message_count - Conversation.summary_message_count >= MIN_NEW_MESSAGES,
                   or_(Conversation.lock_owner.is_(None), Conversation.lock_expires_at < func.now()))
            .order_by(Conversation.updated_at).limit(limit))
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


async def summarise_idle(engine: AsyncEngine, store: UnifiedStore, model: ChatModel, *,
                         idle: dt.timedelta = IDLE, limit: int = BATCH) -> IdleRun:
    """Summarise every due idle conversation (up to `limit`); one failing never stops the others."""
    from agent_brain.orchestrator.orchestrator import detect_language  # the orchestrator imports memory

    due = await idle_due(engine, idle=idle, limit=limit)
    done = 0
    for row in due:
        guarded = _OnlyIfUnchanged(store, engine, row.summary_message_count)
        summarizer = RollingSummarizer(guarded, model)  # type: ignore[arg-type]
        await summarizer.update(row.id, language=detect_language(row.said) if row.said else "ru")
        done += guarded.stored
    if due:
        log.info("idle summaries: %d due, %d summarised", len(due), done)
    return IdleRun(len(due), done)

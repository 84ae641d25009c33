"""UnifiedStore: one persistence layer for web, Telegram and CLI conversations and their plans.

Every method is a single SQL statement run on an autocommit connection (no BEGIN/COMMIT round
trips), so a turn's bookkeeping stays cheap: getOrCreate + loadMessages + addMessages is three
statements. State changes that must be atomic (lock lease, plan transitions, message batch +
counters) are expressed as one conditional UPDATE or a data-modifying CTE, so the database,
not a Python lock, decides races between processes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import (
    Integer,
    Interval,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from agent_brain.db.models import Conversation, Message, PendingPlan
from agent_brain.stores.errors import (
    ConversationBusyError,
    ConversationNotFoundError,
    IllegalPlanTransitionError,
    PlanExpiredError,
    PlanNotFoundError,
)
from agent_brain.stores.records import (
    ConversationRecord,
    Mode,
    NewMessage,
    Plan,
    PlanRecord,
    PlanStatus,
    Source,
    StoredMessage,
)
from agent_brain.tokens import count_message_tokens

log = logging.getLogger(__name__)

# Legal plan transitions. `approved` is re-entered from `executing` only at a step boundary of a
# manual (step by step) run (`finish_step`); approving is from `pending` only, so approving a
# running plan never starts a second executor. Every status after `executing` is terminal.
PLAN_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    "pending": frozenset({"approved", "rejected", "expired"}),
    "approved": frozenset({"executing", "rejected", "expired"}),
    "executing": frozenset({"completed", "partially_completed", "unverified", "failed", "approved"}),
    "completed": frozenset(),
    "partially_completed": frozenset(),
    "unverified": frozenset(),
    "failed": frozenset(),
    "rejected": frozenset(),
    "expired": frozenset(),
}
# Transitions that start work and therefore must respect the plan's expiry.
_EXPIRY_CHECKED: frozenset[PlanStatus] = frozenset({"approved", "executing"})
_TERMINAL: frozenset[PlanStatus] = frozenset(
    {"completed", "partially_completed", "unverified", "failed", "rejected", "expired"})
FINAL_EXECUTION: frozenset[PlanStatus] = frozenset({"completed", "partially_completed", "unverified", "failed"})

_MESSAGE_COLUMNS = (
    Message.id,
    Message.conversation_id,
    Message.role,
    Message.content,
    Message.tool_calls,
    Message.tool_call_id,
    Message.tool_name,
    Message.tool_result,
    Message.plan_json,
    Message.agent,
    Message.domain,
    Message.tokens_used,
    Message.created_at,
)
TITLE_LENGTH = 80


# Built once: the statements every turn runs take their values as parameters (building a select
# with a subquery costs more CPU than executing it).
_LATEST_MESSAGES = (
    select(*_MESSAGE_COLUMNS)
    .where(Message.conversation_id == bindparam("conversation_id"))
    .order_by(Message.id.desc())
    .limit(bindparam("limit", type_=Integer))
    .subquery()
)
_LOAD_MESSAGES = select(_LATEST_MESSAGES).order_by(_LATEST_MESSAGES.c.id)

class UnifiedStore:
    def __init__(self, engine: AsyncEngine, *, lock_lease_seconds: int = 15, plan_ttl_hours: int = 24) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.lock_lease_seconds = lock_lease_seconds
        self.plan_ttl_hours = plan_ttl_hours

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[AsyncConnection]:
        async with self._engine.connect() as conn:
            yield conn

    async def _one(self, stmt: Any, params: dict[str, Any] | None = None) -> Any:
        async with self._conn() as conn:
            return (await conn.execute(stmt, params)).first()

    # ── conversations ───────────────────────────────────────────────────────────────────────

    async def get_or_create(
        self,
        *,
        user_id: uuid.UUID,
        source: Source,
        conversation_id: uuid.UUID | None = None,
        telegram_chat_id: int | None = None,
        ad_account_id: uuid.UUID | None = None,
        mode: Mode = "plan",
    ) -> ConversationRecord:
        """The user's conversation: by id (web/CLI), the chat's one conversation (Telegram), or a new one.

        Raises:
            ConversationNotFoundError: `conversation_id` does not exist or belongs to another user.
        """
        if conversation_id is not None:
            return await self.get_by_id(conversation_id, user_id=user_id)
        values = {
            "user_id": user_id,
            "source": source,
            "telegram_chat_id": telegram_chat_id,
            "ad_account_id": ad_account_id,
            "mode": mode,
        }
        if source != "telegram":
            row = await self._one(insert(Conversation).values(**values).returning(Conversation))
            return ConversationRecord.model_validate(row._mapping)
        if telegram_chat_id is None:
            raise ValueError("a Telegram conversation needs telegram_chat_id")
        # A no-op DO UPDATE makes RETURNING yield the existing row; the WHERE keeps a chat
        # that belongs to another user from being handed over.
        stmt = (
            pg_insert(Conversation)
            .values(**values)
            .on_conflict_do_update(
                index_elements=[Conversation.telegram_chat_id],
                index_where=text("source = 'telegram'"),
                set_={"user_id": Conversation.user_id},
                where=Conversation.user_id == user_id,
            )
            .returning(Conversation)
        )
        row = await self._one(stmt)
        if row is None:
            raise ConversationNotFoundError(f"Telegram chat {telegram_chat_id} belongs to another user")
        return ConversationRecord.model_validate(row._mapping)

    async def open_turn(
        self,
        *,
        user_id: uuid.UUID,
        source: Source,
        owner: str,
        conversation_id: uuid.UUID | None = None,
        telegram_chat_id: int | None = None,
        lease_seconds: int | None = None,
    ) -> tuple[ConversationRecord, bool, uuid.UUID | None]:
        """getOrCreate + acquireLock + "is a plan pending?" in one statement.

        Returns the conversation, whether we now hold its lease, and the id of its pending
        (unexpired) plan if any. Raises ConversationNotFoundError like get_or_create.
        """
        if conversation_id is None and source == "telegram" and telegram_chat_id is None:
            raise ValueError("a Telegram conversation needs telegram_chat_id")
        shape = "by_id" if conversation_id is not None else "telegram" if source == "telegram" else "new"
        params = {"p_owner": owner, "p_lease": dt.timedelta(seconds=lease_seconds or self.lock_lease_seconds),
                  "p_conversation_id": conversation_id, "p_user_id": user_id, "p_source": source,
                  "p_telegram_chat_id": telegram_chat_id}
        row = await self._one(_open_turn_statement(shape), params)
        if row is None:
            raise ConversationNotFoundError(str(conversation_id or telegram_chat_id))
        mapping = dict(row._mapping)
        plan_id = mapping.pop("pending_plan_id")
        record = ConversationRecord.model_validate(mapping)
        return record, record.lock_owner == owner, plan_id

    async def get_by_id(self, conversation_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> ConversationRecord:
        stmt = select(Conversation).where(Conversation.id == conversation_id)
        if user_id is not None:
            stmt = stmt.where(Conversation.user_id == user_id)
        row = await self._one(stmt)
        if row is None:
            raise ConversationNotFoundError(str(conversation_id))
        return ConversationRecord.model_validate(row._mapping)

    async def list_conversations(
        self, user_id: uuid.UUID, *, limit: int = 20, offset: int = 0, query: str | None = None
    ) -> list[ConversationRecord]:
        """Most recently updated first; `query` keeps those whose title or a user/assistant message contains it."""
        stmt = select(Conversation).where(Conversation.user_id == user_id)
        if query:
            pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            in_messages = select(Message.id).where(
                Message.conversation_id == Conversation.id, Message.role.in_(("user", "assistant")),
                Message.content.ilike(pattern, escape="\\")).exists()
            stmt = stmt.where(or_(Conversation.title.ilike(pattern, escape="\\"), in_messages))
        stmt = (
            stmt
            .order_by(Conversation.updated_at.desc(), Conversation.id)
            .limit(limit)
            .offset(offset)
        )
        async with self._conn() as conn:
            rows = (await conn.execute(stmt)).all()
        return [ConversationRecord.model_validate(r._mapping) for r in rows]

    async def delete_conversation(self, conversation_id: uuid.UUID, *, user_id: uuid.UUID) -> bool:
        stmt = (
            delete(Conversation)
            .where(Conversation.id == conversation_id, Conversation.user_id == user_id)
            .returning(Conversation.id)
        )
        return await self._one(stmt) is not None

    async def set_mode(self, conversation_id: uuid.UUID, mode: Mode) -> None:
        await self._update_conversation(conversation_id, mode=mode)

    async def update_rolling_summary(
        self, conversation_id: uuid.UUID, summary: str, *, message_count: int, tainted: bool = False
    ) -> None:
        """Store a new summary covering the first `message_count` messages; `tainted`: written over tool output."""
        await self._update_conversation(
            conversation_id, rolling_summary=summary, summary_message_count=message_count, summary_tainted=tainted
        )

    async def update_metadata(
        self,
        conversation_id: uuid.UUID,
        *,
        last_agent: str | None = None,
        last_domain: str | None = None,
        title: str | None = None,
    ) -> None:
        values = {k: v for k, v in (("last_agent", last_agent), ("last_domain", last_domain)) if v is not None}
        if title is not None:
            values["title"] = title[:TITLE_LENGTH]
        if values:
            await self._update_conversation(conversation_id, **values)

    async def record_turn(
        self, conversation_id: uuid.UUID, *, last_agent: str | None, last_domain: str | None,
        focus_patch: dict[str, Any], release_owner: str | None = None,
    ) -> None:
        """End of a turn in one statement: last agent/domain, focus merged, and (optionally) the
        lease released if `release_owner` still holds it."""
        params = {"p_conversation_id": conversation_id, "p_last_agent": last_agent, "p_last_domain": last_domain,
                  "p_focus": {k: v for k, v in focus_patch.items() if v is not None}, "p_owner": release_owner}
        row = await self._one(_record_turn_statement(bool(focus_patch), release_owner is not None), params)
        if row is None:
            raise ConversationNotFoundError(str(conversation_id))

    async def _update_conversation(self, conversation_id: uuid.UUID, **values: Any) -> None:
        stmt = (
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(**values, updated_at=func.now())
            .returning(Conversation.id)
        )
        if await self._one(stmt) is None:
            raise ConversationNotFoundError(str(conversation_id))

    async def clear(self, conversation_id: uuid.UUID) -> int:
        """Delete the history, summary and focus; reject plans still awaiting approval. Returns messages deleted."""
        deleted = delete(Message).where(Message.conversation_id == conversation_id).returning(Message.id).cte("d")
        rejected = (
            update(PendingPlan)
            .where(PendingPlan.conversation_id == conversation_id, PendingPlan.status.in_(("pending", "approved")))
            .values(status="rejected", resolved_at=func.now(), updated_at=func.now())
            .returning(PendingPlan.id)
            .cte("r")
        )
        stmt = (
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(
                message_count=0,
                summary_message_count=0,
                rolling_summary=None,
                summary_tainted=False,
                focus_entities=literal({}, Conversation.focus_entities.type),
                last_agent=None,
                last_domain=None,
                updated_at=func.now(),
            )
            .returning(
                select(func.count()).select_from(deleted).scalar_subquery(),
                select(func.count()).select_from(rejected).scalar_subquery(),
            )
        )
        row = await self._one(stmt)
        if row is None:
            raise ConversationNotFoundError(str(conversation_id))
        return int(row[0])

    # ── messages ────────────────────────────────────────────────────────────────────────────

    async def load_messages(self, conversation_id: uuid.UUID, limit: int = 50) -> list[StoredMessage]:
        """The last `limit` messages, oldest first."""
        async with self._conn() as conn:
            rows = (await conn.execute(_LOAD_MESSAGES, {"conversation_id": conversation_id, "limit": limit})).all()
        return [StoredMessage.model_validate(r._mapping) for r in rows]

    async def load_openai_messages(self, conversation_id: uuid.UUID, limit: int = 50) -> list[dict[str, Any]]:
        return [m.to_openai() for m in await self.load_messages(conversation_id, limit)]

    async def add_message(self, conversation_id: uuid.UUID, message: NewMessage) -> int:
        return (await self.add_messages(conversation_id, [message]))[0]

    async def add_messages(self, conversation_id: uuid.UUID, messages: Sequence[NewMessage]) -> list[int]:
        """Insert a batch in order and bump the conversation's counters, in one statement.

        Token counts are computed here, once, and stored with each message. The first user
        message becomes the conversation's title if it has none.

        Returns:
            The new message ids, in the given order.
        """
        if not messages:
            return []
        rows = [_message_row(conversation_id, m) for m in messages]
        first_user_text = next((m.content for m in messages if m.role == "user" and m.content), None)
        stmt = _add_messages_statement(len(rows), tuple(rows[0]), first_user_text is not None)
        params: dict[str, Any] = {"m_conversation_id": conversation_id, "m_added": len(rows)}
        for i, row in enumerate(rows):
            params.update({f"m_{column}_{i}": value for column, value in row.items() if column != "conversation_id"})
        if first_user_text is not None:
            params["m_title"] = first_user_text[:TITLE_LENGTH]
        try:
            row = await self._one(stmt, params)
        except IntegrityError as exc:
            if "fk_ai_messages_conversation_id" in str(exc.orig):
                raise ConversationNotFoundError(str(conversation_id)) from None
            raise
        if row is None:
            raise ConversationNotFoundError(str(conversation_id))
        # Identity values are assigned in the SELECT's order (ORDER BY ord) within one INSERT.
        return sorted(row[0])

    # ── lock (lease) ────────────────────────────────────────────────────────────────────────

    async def acquire_lock(self, conversation_id: uuid.UUID, owner: str, *, lease_seconds: int | None = None) -> bool:
        """Take the conversation's lease if it is free, lapsed, or already ours. Exactly one caller wins."""
        lease = dt.timedelta(seconds=lease_seconds or self.lock_lease_seconds)
        stmt = (
            update(Conversation)
            .where(
                Conversation.id == conversation_id,
                or_(
                    Conversation.lock_owner.is_(None),
                    Conversation.lock_expires_at < func.now(),
                    Conversation.lock_owner == owner,
                ),
            )
            .values(lock_owner=owner, lock_expires_at=func.now() + lease)
            .returning(Conversation.id)
        )
        return await self._one(stmt) is not None

    async def extend_lock(self, conversation_id: uuid.UUID, owner: str, *, lease_seconds: int | None = None) -> bool:
        lease = dt.timedelta(seconds=lease_seconds or self.lock_lease_seconds)
        stmt = (
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.lock_owner == owner)
            .values(lock_expires_at=func.now() + lease)
            .returning(Conversation.id)
        )
        return await self._one(stmt) is not None

    async def release_lock(self, conversation_id: uuid.UUID, owner: str) -> bool:
        """Release the lease if we still hold it (a lapsed lease taken over by another owner stays theirs)."""
        stmt = (
            update(Conversation)
            .where(Conversation.id == conversation_id, Conversation.lock_owner == owner)
            .values(lock_owner=None, lock_expires_at=None)
            .returning(Conversation.id)
        )
        return await self._one(stmt) is not None

    @asynccontextmanager
    async def locked(self, conversation_id: uuid.UUID, owner: str | None = None) -> AsyncIterator[str]:
        """Hold the conversation's lease for the block, renewed by a heartbeat; raises
        ConversationBusyError if someone else has it."""
        owner = owner or f"worker-{uuid.uuid4().hex[:12]}"
        if not await self.acquire_lock(conversation_id, owner):
            raise ConversationBusyError(str(conversation_id))
        try:
            async with self.heartbeat(conversation_id, owner):
                yield owner
        finally:
            await asyncio.shield(self.release_lock(conversation_id, owner))

    @asynccontextmanager
    async def heartbeat(self, conversation_id: uuid.UUID, owner: str) -> AsyncIterator[None]:
        """Renew `owner`'s lease every quarter lease while the block runs.

        The lease is short (a dead process's work is found within one lease), so anything that
        holds it for longer than that — a long turn, a plan run — must beat. A lease that was
        released or taken over stops the beat.
        """
        interval = max(self.lock_lease_seconds / 4, 0.5)

        async def beat() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    if not await self.extend_lock(conversation_id, owner):
                        return
                except Exception:  # a missed beat is retried; the lease has three more in hand
                    log.warning("lease heartbeat failed", exc_info=True)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()

    # ── focus entities (session memory) ─────────────────────────────────────────────────────

    async def get_focus_entities(self, conversation_id: uuid.UUID) -> dict[str, Any]:
        row = await self._one(select(Conversation.focus_entities).where(Conversation.id == conversation_id))
        if row is None:
            raise ConversationNotFoundError(str(conversation_id))
        return dict(row[0] or {})

    async def update_focus_entities(self, conversation_id: uuid.UUID, patch: dict[str, Any]) -> dict[str, Any]:
        """Merge `patch` into the focus; a key set to None is removed. Returns the merged focus."""
        keep = {k: v for k, v in patch.items() if v is not None}
        drop = [k for k, v in patch.items() if v is None]
        merged = Conversation.focus_entities.op("||")(cast(keep, JSONB))
        if drop:
            merged = merged.op("-")(cast(drop, ARRAY(Text)))
        stmt = (
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(focus_entities=merged)
            .returning(Conversation.focus_entities)
        )
        row = await self._one(stmt)
        if row is None:
            raise ConversationNotFoundError(str(conversation_id))
        return dict(row[0])

    async def clear_focus_entities(self, conversation_id: uuid.UUID) -> None:
        await self._update_conversation(
            conversation_id, focus_entities=literal({}, Conversation.focus_entities.type)
        )

    # ── plans ───────────────────────────────────────────────────────────────────────────────

    async def create_pending_plan(
        self,
        conversation_id: uuid.UUID,
        user_id: uuid.UUID,
        plan: Plan,
        *,
        source: Source,
        telegram_chat_id: int | None = None,
        ttl: dt.timedelta | None = None,
    ) -> PlanRecord:
        ttl = ttl or dt.timedelta(hours=self.plan_ttl_hours)
        stmt = (
            insert(PendingPlan)
            .values(
                conversation_id=conversation_id,
                user_id=user_id,
                plan_json=plan.model_dump(mode="json"),
                source=source,
                telegram_chat_id=telegram_chat_id,
                expires_at=func.now() + ttl,
            )
            .returning(PendingPlan)
        )
        row = await self._one(stmt)
        return PlanRecord.model_validate(row._mapping)

    async def get_pending_plan(self, conversation_id: uuid.UUID) -> PlanRecord | None:
        """The newest plan of the conversation still awaiting a decision (not expired)."""
        stmt = (
            select(PendingPlan)
            .where(
                PendingPlan.conversation_id == conversation_id,
                PendingPlan.status == "pending",
                PendingPlan.expires_at > func.now(),
            )
            .order_by(PendingPlan.created_at.desc())
            .limit(1)
        )
        row = await self._one(stmt)
        return None if row is None else PlanRecord.model_validate(row._mapping)

    async def get_plan(self, plan_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> PlanRecord:
        stmt = select(PendingPlan).where(PendingPlan.id == plan_id)
        if user_id is not None:
            stmt = stmt.where(PendingPlan.user_id == user_id)
        row = await self._one(stmt)
        if row is None:
            raise PlanNotFoundError(str(plan_id))
        return PlanRecord.model_validate(row._mapping)

    async def approve_plan(self, plan_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> PlanRecord:
        """pending → approved. A plan already approved or running is an IllegalPlanTransitionError."""
        return await self._transition(plan_id, "approved", user_id=user_id, sources=("pending",))

    async def reject_plan(self, plan_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> PlanRecord:
        return await self._transition(plan_id, "rejected", user_id=user_id)

    async def start_execution(self, plan_id: uuid.UUID, *, user_id: uuid.UUID | None = None,
                              executor: str | None = None) -> PlanRecord:
        """approved → executing by `executor` (the lease owner). Only one caller can win this, which
        makes a double press execute once."""
        return await self._transition(plan_id, "executing", user_id=user_id, executor=executor)

    async def record_step(self, plan_id: uuid.UUID, index: int, result: dict[str, Any]) -> PlanRecord:
        """Merge one step's result into the running plan's results; the returned row has them all."""
        merged = func.coalesce(PendingPlan.execution_results, cast({}, JSONB)).op("||")(
            cast({str(index): result}, JSONB))
        stmt = (update(PendingPlan)
                .where(PendingPlan.id == plan_id, PendingPlan.status == "executing")
                .values(execution_results=merged, updated_at=func.now())
                .returning(PendingPlan))
        row = await self._one(stmt)
        if row is None:
            current = await self.get_plan(plan_id)
            raise IllegalPlanTransitionError(plan_id, current.status, "executing")
        return PlanRecord.model_validate(row._mapping)

    async def finish_execution(self, plan_id: uuid.UUID, status: PlanStatus, *,
                               results: dict[str, Any] | None = None, executor: str | None = None) -> PlanRecord:
        """executing → a final status (completed, partially_completed, unverified, failed).

        With `executor`, only while that owner still runs it (recovery takes plans over this way).
        """
        if status not in FINAL_EXECUTION:
            raise ValueError(f"{status} is not a final execution status")
        return await self._transition(plan_id, status, results=results, sources=("executing",),
                                      only_executor=executor)

    async def complete_execution(self, plan_id: uuid.UUID, results: dict[str, Any]) -> PlanRecord:
        return await self.finish_execution(plan_id, "completed", results=results)

    async def fail_execution(self, plan_id: uuid.UUID, results: dict[str, Any]) -> PlanRecord:
        return await self.finish_execution(plan_id, "failed", results=results)

    async def finish_step(self, plan_id: uuid.UUID, results: dict[str, Any] | None = None) -> PlanRecord:
        """executing → approved after one step of a manual run, keeping the results so far."""
        return await self._transition(plan_id, "approved", results=results, sources=("executing",))

    async def orphaned_plans(self) -> list[PlanRecord]:
        """Plans `executing` whose executor no longer holds its conversation's live lease (a dead process)."""
        live = (select(Conversation.id)
                .where(Conversation.id == PendingPlan.conversation_id, Conversation.lock_owner == PendingPlan.executor,
                       Conversation.lock_expires_at > func.now())
                .correlate(PendingPlan).exists())
        stmt = select(PendingPlan).where(PendingPlan.status == "executing", ~live).order_by(PendingPlan.updated_at)
        async with self._conn() as conn:
            rows = (await conn.execute(stmt)).all()
        return [PlanRecord.model_validate(r._mapping) for r in rows]

    async def take_over_plan(self, plan_id: uuid.UUID, previous: str | None, owner: str) -> PlanRecord | None:
        """Recovery: become the executor of an orphaned plan; one sweeper wins."""
        executor = PendingPlan.executor.is_(None) if previous is None else PendingPlan.executor == previous
        stmt = (update(PendingPlan).where(PendingPlan.id == plan_id, PendingPlan.status == "executing", executor)
                .values(executor=owner, updated_at=func.now()).returning(PendingPlan))
        row = await self._one(stmt)
        return None if row is None else PlanRecord.model_validate(row._mapping)

    async def release_lapsed_locks(self) -> int:
        """Clear leases that lapsed (their owner stopped beating). Returns how many."""
        stmt = (update(Conversation).where(Conversation.lock_owner.is_not(None), Conversation.lock_expires_at < func.now())
                .values(lock_owner=None, lock_expires_at=None).returning(Conversation.id))
        async with self._conn() as conn:
            return len((await conn.execute(stmt)).all())

    async def expire_plan(self, plan_id: uuid.UUID) -> PlanRecord:
        return await self._transition(plan_id, "expired")

    async def update_telegram_message_id(self, plan_id: uuid.UUID, message_id: int, chat_id: int) -> None:
        stmt = (
            update(PendingPlan)
            .where(PendingPlan.id == plan_id)
            .values(telegram_message_id=message_id, telegram_chat_id=chat_id, updated_at=func.now())
            .returning(PendingPlan.id)
        )
        if await self._one(stmt) is None:
            raise PlanNotFoundError(str(plan_id))

    async def expire_stale_plans(self) -> int:
        """Mark plans past their expiry that never started as expired. Returns how many."""
        stmt = (
            update(PendingPlan)
            .where(PendingPlan.status.in_(("pending", "approved")), PendingPlan.expires_at <= func.now())
            .values(status="expired", resolved_at=func.now(), updated_at=func.now())
            .returning(PendingPlan.id)
        )
        async with self._conn() as conn:
            return len((await conn.execute(stmt)).all())

    async def _transition(
        self,
        plan_id: uuid.UUID,
        target: PlanStatus,
        *,
        user_id: uuid.UUID | None = None,
        results: dict[str, Any] | None = None,
        sources: tuple[PlanStatus, ...] | None = None,
        executor: str | None = None,
        only_executor: str | None = None,
    ) -> PlanRecord:
        """Move a plan to `target` in one conditional UPDATE; illegal moves change nothing.

        `sources` narrows the legal starting statuses. A plan past its expiry that is asked to
        start (approve/execute) is moved to `expired` instead, and PlanExpiredError is raised.
        """
        legal = [s for s, targets in PLAN_TRANSITIONS.items() if target in targets]
        if sources is not None:
            legal = [s for s in legal if s in sources]
        conditions = [PendingPlan.id == plan_id, PendingPlan.status.in_(legal)]
        if user_id is not None:
            conditions.append(PendingPlan.user_id == user_id)
        if only_executor is not None:
            conditions.append(PendingPlan.executor == only_executor)
        new_status: Any = literal(target)
        if target in _EXPIRY_CHECKED:
            # Only a plan that has not started can lapse; executing → approved is a step boundary.
            new_status = func.cast(
                text(
                    "CASE WHEN ai_pending_plans.status IN ('pending', 'approved') "
                    "AND ai_pending_plans.expires_at <= now() THEN 'expired' ELSE :target END"
                ).bindparams(target=target),
                PendingPlan.status.type,
            )
        values: dict[str, Any] = {"status": new_status, "updated_at": func.now()}
        if target in _TERMINAL or target in _EXPIRY_CHECKED:
            values["resolved_at"] = func.coalesce(PendingPlan.resolved_at, func.now())
        if results is not None:
            values["execution_results"] = results
        if target == "executing":
            values["executor"] = executor
        stmt = update(PendingPlan).where(and_(*conditions)).values(**values).returning(PendingPlan)
        row = await self._one(stmt)
        if row is None:
            current = await self.get_plan(plan_id, user_id=user_id)  # raises PlanNotFoundError
            raise IllegalPlanTransitionError(plan_id, current.status, target)
        record = PlanRecord.model_validate(row._mapping)
        if record.status == "expired" and target != "expired":
            raise PlanExpiredError(plan_id)
        return record


@functools.cache
def _record_turn_statement(with_focus: bool, release: bool) -> Any:
    """`record_turn`'s statement, built once per shape; values are parameters."""
    values: dict[str, Any] = {
        "last_agent": bindparam("p_last_agent", type_=Conversation.last_agent.type),
        "last_domain": bindparam("p_last_domain", type_=Conversation.last_domain.type),
        "updated_at": func.now(),
    }
    if with_focus:
        values["focus_entities"] = Conversation.focus_entities.op("||")(bindparam("p_focus", type_=JSONB))
    if release:
        mine = Conversation.lock_owner == bindparam("p_owner", type_=Conversation.lock_owner.type)
        values["lock_owner"] = case((mine, None), else_=Conversation.lock_owner)
        values["lock_expires_at"] = case((mine, None), else_=Conversation.lock_expires_at)
    return (update(Conversation)
            .where(Conversation.id == bindparam("p_conversation_id", type_=Conversation.id.type))
            .values(**values)
            .returning(Conversation.id))


@functools.cache
def _open_turn_statement(shape: str) -> Any:
    """`open_turn`'s statement, built once per shape ("by_id", "telegram", "new"); values are parameters.

    Takes the lease if it is free, lapsed or already `p_owner`'s, and returns the conversation with
    the id of its pending (unexpired) plan.
    """
    owner = bindparam("p_owner", type_=Conversation.lock_owner.type)
    lease = func.now() + bindparam("p_lease", type_=Interval)
    free = or_(Conversation.lock_owner.is_(None), Conversation.lock_expires_at < func.now(),
               Conversation.lock_owner == owner)
    take = {"lock_owner": case((free, owner), else_=Conversation.lock_owner),
            "lock_expires_at": case((free, lease), else_=Conversation.lock_expires_at)}
    pending = (
        select(PendingPlan.id)
        .where(PendingPlan.conversation_id == Conversation.id, PendingPlan.status == "pending",
               PendingPlan.expires_at > func.now())
        .order_by(PendingPlan.created_at.desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    user_id = bindparam("p_user_id", type_=Conversation.user_id.type)
    if shape == "by_id":
        stmt: Any = (update(Conversation)
                     .where(Conversation.id == bindparam("p_conversation_id", type_=Conversation.id.type),
                            Conversation.user_id == user_id)
                     .values(**take))
    else:
        stmt = pg_insert(Conversation).values(
            user_id=user_id, source=bindparam("p_source", type_=Conversation.source.type),
            telegram_chat_id=bindparam("p_telegram_chat_id", type_=Conversation.telegram_chat_id.type),
            lock_owner=owner, lock_expires_at=lease)
        if shape == "telegram":
            stmt = stmt.on_conflict_do_update(
                index_elements=[Conversation.telegram_chat_id],
                index_where=text("source = 'telegram'"),
                set_=take,
                where=Conversation.user_id == user_id,
            )
    return stmt.returning(Conversation, pending.label("pending_plan_id"))


@functools.lru_cache(maxsize=64)
def _add_messages_statement(count: int, columns: tuple[str, ...], with_title: bool) -> Any:
    """INSERT `count` messages and bump the conversation, as one statement SQLAlchemy can cache.

    A multi-row `insert().values([...])` has no cache key, so it was compiled anew on every turn
    (about a fifth of a turn's CPU). This is the same statement written as INSERT … SELECT over a
    UNION ALL of bound rows: one compiled form per (row count, columns, title), values as parameters.
    """
    table = Message.__table__
    cells = [c for c in columns if c != "conversation_id"]
    branches = [
        select(literal_column(str(i)).label("ord"),
               bindparam("m_conversation_id", type_=table.c.conversation_id.type).label("conversation_id"),
               *(bindparam(f"m_{c}_{i}", type_=table.c[c].type).label(c) for c in cells))
        for i in range(count)
    ]
    batch = (union_all(*branches) if count > 1 else branches[0]).subquery("batch")
    inserted = (
        insert(Message)
        .from_select(["conversation_id", *cells],
                     select(batch.c.conversation_id, *(batch.c[c] for c in cells)).order_by(batch.c.ord))
        .returning(Message.id)
        .cte("inserted")
    )
    values: dict[str, Any] = {
        "message_count": Conversation.message_count + bindparam("m_added", type_=Integer),
        "updated_at": func.now(),
    }
    if with_title:
        values["title"] = func.coalesce(Conversation.title, bindparam("m_title", type_=Text))
    return (
        update(Conversation)
        .where(Conversation.id == bindparam("m_conversation_id"))
        .values(**values)
        .returning(select(func.array_agg(inserted.c.id)).scalar_subquery())
    )


def _message_row(conversation_id: uuid.UUID, m: NewMessage) -> dict[str, Any]:
    row = m.model_dump()
    row["conversation_id"] = conversation_id
    row["tokens_used"] = count_message_tokens({"content": m.content, "tool_calls": m.tool_calls})
    if m.role == "tool" and m.content is None and m.tool_result is not None:
        row["tokens_used"] += count_message_tokens(
            {"content": json.dumps(m.tool_result, ensure_ascii=False, default=str)}
        )
    return row

"""ActionJournal: the `ai_actions` rows, one statement per change, on autocommit connections.

A row is inserted (`intended`) before the platform is called and moved forward as the call
progresses, each stage with its own timestamp. Status moves are conditional UPDATEs, so a
recovery sweep and a late writer never overwrite each other's final word.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Action, Conversation
from agent_brain.journal.records import OPEN_STATUSES, ActionOrigin, ActionRecord, ActionStatus, WriteTarget

RECOVERY_OWNER_PREFIX = "recovery-"  # the owner a recovery sweeper claims journal rows and plans as

_STAGE_COLUMN = {"sent": "sent_at", "applied": "applied_at", "verified": "settled_at", "unverified": "settled_at",
                 "failed": "settled_at"}
# A row may move from these statuses to the key's; final statuses never move again.
_FROM: dict[ActionStatus, tuple[ActionStatus, ...]] = {
    "sent": ("intended",),
    "applied": ("intended", "sent", "unknown"),
    "unknown": ("intended", "sent", "applied"),
    "verified": ("intended", "sent", "applied", "unknown", "unverified"),
    "unverified": ("intended", "sent", "applied", "unknown"),
    "failed": ("intended", "sent", "applied", "unknown"),
}


@dataclass(frozen=True)
class ActionFilter:
    account_id: str | None = None
    target_id: str | None = None
    tool: str | None = None
    status: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    conversation_id: uuid.UUID | None = None


class ActionJournal:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def _one(self, stmt: Any) -> Any:
        async with self._engine.connect() as conn:
            return (await conn.execute(stmt)).first()

    async def _all(self, stmt: Any) -> list[Any]:
        async with self._engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    async def intend(
        self, *, origin: ActionOrigin, tool: str, platform: str, account_id: str | None, target: WriteTarget | None,
        args: dict[str, Any], expected: dict[str, Any], before: dict[str, Any] | None, key: str, reversible: bool,
    ) -> uuid.UUID:
        stmt = (
            Action.__table__.insert()
            .values(
                user_id=origin.user_id, source=origin.source, conversation_id=origin.conversation_id,
                telegram_chat_id=origin.telegram_chat_id, telegram_user_id=origin.telegram_user_id,
                owner=origin.owner, plan_id=origin.plan_id, step_index=origin.step_index,
                reverts_action_id=origin.reverts_action_id, tool=tool, platform=platform, account_id=account_id,
                target_type=target.type if target else None, target_id=target.id if target else None,
                target_name=(target.name or "")[:400] or None if target else None,
                target=target.as_json() if target else {}, args=args, expected=expected, before_state=before,
                idempotency_key=key, reversible=reversible,
            )
            .returning(Action.id)
        )
        return (await self._one(stmt))[0]

    async def move(
        self, action_id: uuid.UUID, status: ActionStatus, *, response: Any = None, after: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Move a row to `status` if it may still move there; stamps the stage's time. False if it may not."""
        values: dict[str, Any] = {"status": status, "updated_at": func.now()}
        if column := _STAGE_COLUMN.get(status):
            values[column] = func.now()
        if response is not None:
            values["response"] = response
        if after is not None:
            values["after_state"] = after
        if error is not None:
            values["error"] = error
        stmt = (update(Action).where(Action.id == action_id, Action.status.in_(_FROM[status]))
                .values(**values).returning(Action.id))
        return await self._one(stmt) is not None

    async def get(self, action_id: uuid.UUID, *, user_id: uuid.UUID | None = None) -> ActionRecord | None:
        stmt = select(Action).where(Action.id == action_id)
        if user_id is not None:
            stmt = stmt.where(Action.user_id == user_id)
        row = await self._one(stmt)
        return None if row is None else ActionRecord.model_validate(row._mapping)

    async def latest_for_key(self, key: str) -> ActionRecord | None:
        row = await self._one(select(Action).where(Action.idempotency_key == key)
                              .order_by(Action.created_at.desc()).limit(1))
        return None if row is None else ActionRecord.model_validate(row._mapping)

    async def for_plan(self, plan_id: uuid.UUID) -> list[ActionRecord]:
        rows = await self._all(select(Action).where(Action.plan_id == plan_id)
                               .order_by(Action.step_index, Action.created_at))
        return [ActionRecord.model_validate(r._mapping) for r in rows]

    async def reverts_of(self, action_id: uuid.UUID) -> list[ActionRecord]:
        rows = await self._all(select(Action).where(Action.reverts_action_id == action_id)
                               .order_by(Action.created_at))
        return [ActionRecord.model_validate(r._mapping) for r in rows]

    async def list(
        self, user_id: uuid.UUID, flt: ActionFilter | None = None, *, limit: int = 20, offset: int = 0,
    ) -> list[ActionRecord]:
        """The user's actions, newest first."""
        flt = flt or ActionFilter()
        conditions = [Action.user_id == user_id]
        for column, value in ((Action.account_id, flt.account_id), (Action.target_id, flt.target_id),
                              (Action.tool, flt.tool), (Action.status, flt.status),
                              (Action.conversation_id, flt.conversation_id)):
            if value is not None:
                conditions.append(column == value)
        if flt.since is not None:
            conditions.append(Action.created_at >= flt.since)
        if flt.until is not None:
            conditions.append(Action.created_at < flt.until)
        stmt = (select(Action).where(and_(*conditions)).order_by(Action.created_at.desc(), Action.id)
                .limit(limit).offset(offset))
        return [ActionRecord.model_validate(r._mapping) for r in await self._all(stmt)]

    async def orphaned(self, *, grace: dt.timedelta) -> list[ActionRecord]:
        """Open rows whose writer is gone: its conversation lease lapsed or passed to someone else.

        Rows with no conversation are orphaned once untouched for `grace`. A row a recovery sweeper
        claimed within `grace` is that sweeper's (it holds no conversation lease): another sweeper
        that lists rows only after the claim must not take it over and settle it a second time.
        """
        live = (select(Conversation.id)
                .where(Conversation.id == Action.conversation_id, Conversation.lock_owner == Action.owner,
                       Conversation.lock_expires_at > func.now())
                .correlate(Action).exists())
        swept = and_(func.coalesce(Action.owner, "").startswith(RECOVERY_OWNER_PREFIX, autoescape=True),
                     Action.updated_at >= func.now() - grace)
        stmt = (select(Action)
                .where(Action.status.in_(OPEN_STATUSES), ~swept,
                       or_(and_(Action.conversation_id.is_not(None), ~live),
                           and_(Action.conversation_id.is_(None), Action.updated_at < func.now() - grace)))
                .order_by(Action.created_at))
        return [ActionRecord.model_validate(r._mapping) for r in await self._all(stmt)]

    async def claim(self, action_id: uuid.UUID, owner: str, *, previous: str | None,
                    statuses: Sequence[str] = OPEN_STATUSES) -> bool:
        """Take an open row over from its `previous` owner (recovery): one sweeper wins it."""
        was = Action.owner.is_(None) if previous is None else Action.owner == previous
        stmt = (update(Action).where(Action.id == action_id, Action.status.in_(statuses), was)
                .values(owner=owner, updated_at=func.now()).returning(Action.id))
        return await self._one(stmt) is not None

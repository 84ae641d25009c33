"""The action journal: the user's own platform writes (history), and undo of one of them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from agent_brain.journal.records import ActionRecord
from agent_brain.journal.store import ActionFilter, ActionJournal
from agent_brain.journal.undo import propose_undo
from web_api.deps import CurrentUser, Lang, RuntimeDep
from web_api.errors import ApiError
from web_api.schemas import CONFLICT, ERRORS, ApiModel, PlanOut, plan_out

router = APIRouter(prefix="/api/brain/actions", tags=["actions"], responses=ERRORS)

ActionStatusFilter = Annotated[
    str | None, Query(pattern="^(intended|sent|applied|verified|unverified|failed|unknown)$")]
# PostgreSQL text cannot hold NUL (or other control characters a real id never has).
PRINTABLE = r"^[^\x00-\x1f]*$"


class TargetOut(ApiModel):
    type: str | None
    id: str | None
    name: str | None


class ActionOut(ApiModel):
    id: uuid.UUID
    tool: str
    platform: str
    account_id: str | None
    target: TargetOut
    status: str
    args: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    expected: dict[str, Any]
    error: dict[str, Any] | None
    source: str
    conversation_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    step_index: int | None
    reverts_action_id: uuid.UUID | None
    reversible: bool
    created_at: dt.datetime
    sent_at: dt.datetime | None
    applied_at: dt.datetime | None
    settled_at: dt.datetime | None


class ActionList(ApiModel):
    items: list[ActionOut]
    limit: int
    offset: int


def action_out(a: ActionRecord) -> ActionOut:
    return ActionOut(id=a.id, tool=a.tool, platform=a.platform, account_id=a.account_id,
                     target=TargetOut(type=a.target_type, id=a.target_id, name=a.target_name), status=a.status,
                     args=a.args, before=a.before_state, after=a.after_state, expected=a.expected, error=a.error,
                     source=a.source, conversation_id=a.conversation_id, plan_id=a.plan_id, step_index=a.step_index,
                     reverts_action_id=a.reverts_action_id, reversible=a.reversible, created_at=a.created_at,
                     sent_at=a.sent_at, applied_at=a.applied_at, settled_at=a.settled_at)


@router.get("")
async def list_actions(
    user: CurrentUser, runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    account_id: Annotated[str | None, Query(alias="accountId", max_length=64, pattern=PRINTABLE)] = None,
    object_id: Annotated[str | None, Query(alias="objectId", max_length=64, pattern=PRINTABLE)] = None,
    tool: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)] = None,
    status: ActionStatusFilter = None,
    since: Annotated[dt.datetime | None, Query()] = None,
    until: Annotated[dt.datetime | None, Query()] = None,
) -> ActionList:
    """The user's platform writes, newest first; filter by account, object, tool, status and period."""
    flt = ActionFilter(account_id=account_id, target_id=object_id, tool=tool, status=status, since=since, until=until)
    records = await ActionJournal(runtime.engine).list(user.id, flt, limit=limit, offset=offset)
    return ActionList(items=[action_out(r) for r in records], limit=limit, offset=offset)


class RevertOut(ApiModel):
    plan: PlanOut
    text: str
    changed_since: dict[str, Any] | None = None


# Why an action cannot be undone → HTTP status.
_REFUSED = {"not_found": 404, "already_reverted": 409, "irreversible": 422, "not_applied": 422,
            "nothing_changed": 422}


@router.post("/{action_id}/revert", responses=CONFLICT)
async def revert_action(action_id: uuid.UUID, user: CurrentUser, runtime: RuntimeDep, lang: Lang) -> RevertOut:
    """Propose undoing an action: a pending plan restoring its journalled before-state, approved and run
    like any plan. A second undo is 409; an action nothing can take back (a sent message) is 422."""
    proposal = await propose_undo(engine=runtime.engine, meta=runtime.orchestrator.router, store=runtime.conversations,
                                  user_id=user.id, language=lang, action_id=action_id)
    if proposal.plan is None:
        raise ApiError(_REFUSED[proposal.code], proposal.code, text=proposal.text)
    return RevertOut(plan=plan_out(proposal.plan), text=proposal.text, changed_since=proposal.changed_since)

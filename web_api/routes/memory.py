"""Long-term memory the user can see and edit: agent notes and the business specs.

Both are scoped like the agents see them: the user's first ad account (as the orchestrator picks
it) plus the user-level, account-independent entries.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from agent_brain.memory.commands import USER_NOTE_IMPORTANCE
from agent_brain.memory.notes import Domain
from agent_brain.runtime import Runtime
from agent_brain.stores.users import UserRecord
from web_api.deps import CurrentUser, RuntimeDep
from web_api.errors import ApiError
from web_api.schemas import (
    ERRORS,
    ForgetOut,
    NoteEnvelope,
    NoteIn,
    NoteList,
    SpecsIn,
    SpecsOut,
    note_out,
    specs_out,
)

router = APIRouter(prefix="/api/brain/memory", tags=["memory"], responses=ERRORS)


async def _account(runtime: Runtime, user: UserRecord) -> uuid.UUID | None:
    return (await runtime.orchestrator.context_for(user.id)).ad_account_id


@router.get("/notes")
async def list_notes(user: CurrentUser, runtime: RuntimeDep, domain: Domain | None = None) -> NoteList:
    """Most important first."""
    notes = await runtime.orchestrator.notes.list(user.id, await _account(runtime, user), domain)
    return NoteList(items=[note_out(n) for n in notes])


@router.post("/notes", status_code=201)
async def add_note(body: NoteIn, user: CurrentUser, runtime: RuntimeDep) -> NoteEnvelope:
    """Remember a fact, as «Запомни: …» in the chat does (same text again refreshes the note)."""
    try:
        note = await runtime.orchestrator.notes.add(user.id, await _account(runtime, user), body.domain, body.text,
                                                    importance=USER_NOTE_IMPORTANCE, source="user")
    except ValueError as exc:
        raise ApiError(422, "validation_error", text=str(exc), fields=[
            {"field": "text", "location": "body", "message": str(exc)}]) from None
    return NoteEnvelope(note=note_out(note))


@router.delete("/notes")
async def forget_notes(user: CurrentUser, runtime: RuntimeDep,
                       query: Annotated[str, Query(min_length=1, max_length=500)]) -> ForgetOut:
    """Forget the notes matching `query` (fuzzy, tolerant of word endings); returns what was deleted."""
    deleted = await runtime.orchestrator.notes.forget(user.id, await _account(runtime, user), query)
    return ForgetOut(deleted=[note_out(n) for n in deleted])


@router.get("/specs")
async def get_specs(user: CurrentUser, runtime: RuntimeDep) -> SpecsOut:
    return specs_out(await runtime.orchestrator.specs.get(user.id, await _account(runtime, user)))


@router.put("/specs")
async def update_specs(body: SpecsIn, user: CurrentUser, runtime: RuntimeDep) -> SpecsOut:
    """Partial merge per section (`null` removes a key); returns the effective spec.

    Money keys end in `_cents` and are non-negative integers, e.g. `{"kpi": {"target_cpl_cents": 2500}}`.
    """
    try:
        spec = await runtime.orchestrator.specs.update(user.id, await _account(runtime, user),
                                                       tracking=body.tracking, crm=body.crm, kpi=body.kpi)
    except ValueError as exc:
        section = str(exc).removeprefix("invalid ").split(":")[0].split(" ")[0]
        raise ApiError(422, "validation_error", text=str(exc), fields=[
            {"field": section if section in ("tracking", "crm", "kpi") else "body", "location": "body",
             "message": str(exc)}]) from None
    return specs_out(spec)

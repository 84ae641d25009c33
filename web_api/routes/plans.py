"""Plans awaiting approval: read, approve (and run), reject."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from agent_brain.plan_view import describe_steps
from web_api.deps import CurrentUser, Lang, RuntimeDep
from web_api.routes.chat import STREAMED, run_plan
from web_api.schemas import CONFLICT, ERRORS, ApproveIn, PlanEnvelope, TurnOut, plan_out

router = APIRouter(prefix="/api/brain/plans", tags=["plans"])


@router.get("/{plan_id}", responses=ERRORS)
async def get_plan(plan_id: uuid.UUID, user: CurrentUser, runtime: RuntimeDep, lang: Lang) -> PlanEnvelope:
    """The plan; each step's `view` says in the request's language what it changes, on what, for how much."""
    record = await runtime.conversations.get_plan(plan_id, user_id=user.id)
    ctx = await runtime.orchestrator.context_for(user.id, language=lang, conversation_id=record.conversation_id)
    return PlanEnvelope(plan=plan_out(record, await describe_steps(record.plan.steps, ctx)))


@router.post("/{plan_id}/approve", response_model=TurnOut | PlanEnvelope, responses=STREAMED)
async def approve(plan_id: uuid.UUID, request: Request, user: CurrentUser, runtime: RuntimeDep, lang: Lang,
                  body: Annotated[ApproveIn | None, Body()] = None) -> Response | PlanEnvelope:
    """`all`/`auto` run the plan like /chat/execute (`auto` retries a transient failure once);
    `manual` only approves it, for /chat/execute-action to run step by step."""
    mode = body.mode if body is not None else "all"
    if mode == "manual":
        return PlanEnvelope(plan=plan_out(await runtime.conversations.approve_plan(plan_id, user_id=user.id)))
    return await run_plan(request, runtime, user, lang, plan_id, auto_retry=mode == "auto")


@router.post("/{plan_id}/reject", responses={**ERRORS, **CONFLICT})
async def reject(plan_id: uuid.UUID, user: CurrentUser, runtime: RuntimeDep, lang: Lang) -> PlanEnvelope:
    return PlanEnvelope(plan=plan_out(await runtime.orchestrator.reject_plan(user.id, plan_id, language=lang)))

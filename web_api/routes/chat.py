"""Chat turns and plan execution, answered as SSE or JSON (see `web_api.streaming`)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent_brain.orchestrator.orchestrator import TurnRequest
from agent_brain.orchestrator.stop_relay import StopRelay
from agent_brain.runtime import Runtime
from agent_brain.stores.records import ConversationRecord, PlanRecord
from agent_brain.stores.users import UserRecord
from web_api.deps import CurrentUser, Lang, RuntimeDep
from web_api.errors import ApiError
from web_api.i18n import Language
from web_api.schemas import CONFLICT, ERRORS, ChatMessageIn, ExecuteActionIn, ExecuteIn, TurnOut
from web_api.streaming import SSE_PING_SECONDS, SSE_SEND_TIMEOUT_SECONDS, TurnStreams, respond, sse_event

# The 200 answer is JSON (TurnOut) or, with `Accept: text/event-stream`, an event stream.
STREAMED: dict[int | str, dict[str, Any]] = {
    **ERRORS, **CONFLICT,
    200: {"description": "TurnOut as JSON, or Server-Sent Events when the client accepts text/event-stream",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}},
}

router = APIRouter(prefix="/api/brain/chat", tags=["chat"])


def turn_streams(request: Request) -> TurnStreams:
    return request.app.state.turn_streams


def is_busy(conv: ConversationRecord) -> bool:
    """The conversation's lease is held and live: another turn is still answering."""
    return conv.lock_owner is not None and (conv.lock_expires_at is None
                                            or conv.lock_expires_at > dt.datetime.now(dt.UTC))


def plan_loader(runtime: Runtime, user: UserRecord) -> Callable[[uuid.UUID], Awaitable[PlanRecord]]:
    async def load(plan_id: uuid.UUID) -> PlanRecord:
        return await runtime.conversations.get_plan(plan_id, user_id=user.id)

    return load


async def run_plan(request: Request, runtime: Runtime, user: UserRecord, language: Language, plan_id: uuid.UUID,
                   *, step_index: int | None = None, auto_retry: bool = False) -> Response:
    """Execute a plan (all steps, or one) as SSE or JSON; another user's plan is 404."""
    plan = await runtime.conversations.get_plan(plan_id, user_id=user.id)
    feed = turn_streams(request).start(runtime.orchestrator.execute_plan(
        user.id, plan.id, step_index=step_index, auto_retry=auto_retry, language=language),
        conversation_id=plan.conversation_id)
    return await respond(request, feed, conversation_id=plan.conversation_id, language=language,
                         load_plan=plan_loader(runtime, user), plan_id=plan.id)


@router.post("/message", response_model=TurnOut, responses=STREAMED)
async def send_message(body: ChatMessageIn, request: Request, user: CurrentUser, runtime: RuntimeDep,
                       lang: Lang) -> Response:
    """One user message → one turn. Without `conversationId` a new web conversation is started."""
    store = runtime.conversations
    if body.conversation_id is None:
        conv = await store.get_or_create(user_id=user.id, source="web", mode=body.mode or "plan")
    else:
        conv = await store.get_by_id(body.conversation_id, user_id=user.id)
        if is_busy(conv):  # checked before the mode switch; the turn's own lock check is the real guard
            raise ApiError(409, "busy")
        if body.mode is not None and body.mode != conv.mode:
            await store.set_mode(conv.id, body.mode)
    feed = turn_streams(request).start(runtime.orchestrator.process(
        TurnRequest(user_id=user.id, text=body.message, source="web", conversation_id=conv.id)),
        conversation_id=conv.id)
    return await respond(request, feed, conversation_id=conv.id, language=lang,
                         load_plan=plan_loader(runtime, user))


@router.post("/execute", response_model=TurnOut, responses=STREAMED)
async def execute(body: ExecuteIn, request: Request, user: CurrentUser, runtime: RuntimeDep, lang: Lang) -> Response:
    """Approve (if pending) and run every remaining step of a plan. A second call is 409."""
    return await run_plan(request, runtime, user, lang, body.plan_id, auto_retry=body.auto_retry)


@router.post("/execute-action", response_model=TurnOut, responses=STREAMED)
async def execute_action(body: ExecuteActionIn, request: Request, user: CurrentUser, runtime: RuntimeDep,
                         lang: Lang) -> Response:
    """Yes+Manual: run one step of a plan; the plan stays approved until its last step is done."""
    return await run_plan(request, runtime, user, lang, body.plan_id, step_index=body.step_index)


@router.post("/{conversation_id}/stop", status_code=202, responses={**ERRORS, **CONFLICT})
async def stop(conversation_id: uuid.UUID, request: Request, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Stop the conversation's running turn at its next safe point (never inside a platform write).

    The turn then ends as usual — `done` with `stopped: true` and the partial reply, kept in the
    history and marked. 409 `not_running` when nothing runs. The turn may run in another process
    (`serve --workers N`): the conversation's lease says so, and that process is told.
    """
    conv = await runtime.conversations.get_by_id(conversation_id, user_id=user.id)
    relay: StopRelay = request.app.state.stop_relay
    if not await relay.request(conv.id, running_elsewhere=conv.lock_owner is not None):
        raise ApiError(409, "not_running")
    return Response(status_code=202)


@router.get("/{conversation_id}/stream", responses={
    **ERRORS, 200: {"description": "The running turn's events so far, then live, as Server-Sent Events",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
    204: {"description": "No turn is running in this conversation"}})
async def resume(conversation_id: uuid.UUID, request: Request, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """Re-attach to a running turn (a page reloaded mid-reply): every event from its start, then live."""
    conv = await runtime.conversations.get_by_id(conversation_id, user_id=user.id)
    feed = turn_streams(request).resume(conv.id)
    if feed is None:
        return Response(status_code=204)

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(event="conversation", data=json.dumps({"conversationId": str(conv.id)}))
        async for event in feed:
            yield sse_event(event)

    return EventSourceResponse(events(), ping=SSE_PING_SECONDS, send_timeout=SSE_SEND_TIMEOUT_SECONDS)

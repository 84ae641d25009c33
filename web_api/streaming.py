"""Answering a turn as SSE or JSON, with the HTTP status decided before the first byte.

An orchestrator stream is drained by a task of its own (`TurnStreams.start`) into a queue the
response reads. The response generator therefore never runs core code: when a client goes away
sse-starlette cancels the generator, the drain task carries on, and the reply is persisted and the
conversation's lock released as if the client had stayed (PITFALLS: sse-starlette).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent_brain.orchestrator.events import ApprovalRequired, Done, Error, Event, Text
from agent_brain.stores.records import PlanRecord
from web_api.errors import ApiError
from web_api.i18n import Language, message
from web_api.schemas import TurnOut, plan_out

log = logging.getLogger(__name__)

SSE_PING_SECONDS = 15
SSE_SEND_TIMEOUT_SECONDS = 30  # a client that stops reading is dropped instead of holding the stream
# Errors that can only be a turn's first event, answered with an HTTP status instead of a stream.
_FIRST_EVENT_STATUS = {"busy": 409, "not_found": 404, "plan_not_runnable": 409, "empty": 422, "too_long": 422}


class TurnLog:
    """Every event of one running turn, kept so that a page reloaded mid-turn can replay and follow it."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.ended = False
        self._changed = asyncio.Condition()

    async def add(self, event: Event | None) -> None:
        async with self._changed:
            if event is None:
                self.ended = True
            else:
                self.events.append(event)
            self._changed.notify_all()

    async def follow(self, start: int = 0) -> AsyncIterator[Event]:
        """The events from `start` on, waiting for new ones until the turn ends."""
        index = start
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda i=index: i < len(self.events) or self.ended)
                batch = self.events[index:]
                ended = self.ended
            for event in batch:
                yield event
            index += len(batch)
            if ended and index >= len(self.events):
                return


class EventFeed:
    """The events of one drained stream, in order; ends after the stream's last event."""

    def __init__(self, log: TurnLog) -> None:
        self._events = log.follow()

    def __aiter__(self) -> EventFeed:
        return self

    async def __anext__(self) -> Event:
        return await anext(self._events)


class TurnStreams:
    """Owns the drain tasks, so shutdown (and tests) can wait for turns whose clients left.

    The running turn of each conversation keeps its events here until it ends: `resume` replays
    them to a page reloaded mid-turn, then follows the turn live.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._running: dict[uuid.UUID, TurnLog] = {}

    def start(self, stream: AsyncIterator[Event], *, conversation_id: uuid.UUID | None = None) -> EventFeed:
        log_ = TurnLog()

        async def drain() -> None:
            try:
                async for event in stream:
                    await log_.add(event)
            except Exception:
                log.exception("event stream failed")
                await log_.add(Error(code="internal", message="Internal error"))
            finally:
                await log_.add(None)
                if conversation_id is not None and self._running.get(conversation_id) is log_:
                    del self._running[conversation_id]

        if conversation_id is not None:
            # A second request to a busy conversation ends at once with `busy`: it never replaces the live turn.
            self._running.setdefault(conversation_id, log_)
        task = asyncio.create_task(drain())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return EventFeed(log_)

    def resume(self, conversation_id: uuid.UUID) -> EventFeed | None:
        """The conversation's running turn from its first event, or None when none runs here."""
        log_ = self._running.get(conversation_id)
        return None if log_ is None or log_.ended else EventFeed(log_)

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def wants_event_stream(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "").lower()


def sse_event(event: Event) -> ServerSentEvent:
    return ServerSentEvent(event=event.type, data=json.dumps(event.to_json(), ensure_ascii=False))


async def respond(
    request: Request,
    feed: EventFeed,
    *,
    conversation_id: uuid.UUID,
    language: Language,
    load_plan: Callable[[uuid.UUID], Awaitable[PlanRecord]],
    plan_id: uuid.UUID | None = None,
) -> EventSourceResponse | JSONResponse:
    """SSE (`Accept: text/event-stream`) or one JSON body, after checking the first event.

    A first event that is an error such as `busy` or `not_found` becomes a 409/404 JSON error:
    the stream has not started, so the status can still say what happened.

    Args:
        plan_id: the plan the JSON body reports (execution); otherwise the plan an
            `approval_required` event names, if any.
    """
    first = await anext(feed, None)
    if isinstance(first, Error) and first.code in _FIRST_EVENT_STATUS:
        if first.code == "not_found":
            text = message("plan_not_found" if plan_id else "conversation_not_found", language)
        elif first.code in ("busy", "empty"):
            text = message(first.code, language)
        else:  # plan_not_runnable, too_long: the orchestrator's text says why
            text = first.message
        extra = {"reason": first.state} if first.state else {}  # a plan's current status
        raise ApiError(_FIRST_EVENT_STATUS[first.code], first.code, text=text, **extra)
    if wants_event_stream(request):
        async def events() -> AsyncIterator[ServerSentEvent]:
            yield ServerSentEvent(event="conversation", data=json.dumps({"conversationId": str(conversation_id)}))
            if first is not None:
                yield sse_event(first)
            async for event in feed:
                yield sse_event(event)

        return EventSourceResponse(events(), ping=SSE_PING_SECONDS, send_timeout=SSE_SEND_TIMEOUT_SECONDS)

    collected: list[Event] = [first] if first is not None else []
    collected.extend([event async for event in feed])
    done = next((e for e in reversed(collected) if isinstance(e, Done)), None)
    said = [e.text if isinstance(e, Text) else e.message for e in collected if isinstance(e, Text | Error)]
    text = done.text if done is not None and done.text else (said[-1] if said else "")
    if plan_id is None:
        plan_id = next((uuid.UUID(e.plan_id) for e in collected if isinstance(e, ApprovalRequired)), None)
    plan = plan_out(await load_plan(plan_id)) if plan_id is not None else None
    body: dict[str, Any] = TurnOut(conversation_id=conversation_id, text=text, events=[e.to_json() for e in collected],
                                   plan=plan).model_dump(mode="json", by_alias=True)
    return JSONResponse(body)

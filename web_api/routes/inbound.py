"""Customer dialogs over HTTP: the data of a Dialogs panel (inbound WhatsApp / Instagram dialogs with
the analysis of their last customer message) and, with the Graph sandbox, a customer simulator for
the demo (a signed delivery posted to this app's own webhook, as Meta would)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent_brain.db.models import WhatsAppDialog, WhatsAppMessage
from agent_brain.inbound import app_secret
from agent_brain.inbound.accounts import register_account
from agent_brain.inbound.live import DialogFeed, listen_dsn
from agent_brain.platforms.factory import messaging_sandbox_of
from agent_brain.platforms.sandbox.customers import CustomerSimulator
from agent_brain.platforms.sandbox.messaging import (
    DEMO_DISPLAY_PHONE,
    DEMO_INSTAGRAM_ID,
    DEMO_PHONE_NUMBER_ID,
)
from agent_brain.runtime import Runtime
from web_api.deps import CurrentUser, RuntimeDep
from web_api.errors import ApiError
from web_api.schemas import ERRORS
from web_api.streaming import SSE_PING_SECONDS, SSE_SEND_TIMEOUT_SECONDS

router = APIRouter(prefix="/api/brain/inbound", tags=["inbound"], responses=ERRORS)


class CustomerMessage(BaseModel):
    platform: Literal["whatsapp", "instagram"] = "whatsapp"
    sender: str = Field(alias="from", min_length=5, max_length=32, pattern=r"^\+?[0-9]{5,20}$",
                        description="The customer's phone (WhatsApp) or Instagram-scoped id (digits)")
    text: str = Field(min_length=1, max_length=2000)
    name: str | None = Field(default=None, max_length=100)


@router.get("/dialogs")
async def dialogs(runtime: RuntimeDep, user: CurrentUser,
                  limit: Annotated[int, Query(ge=1, le=100)] = 30,
                  awaiting: Annotated[bool, Query(description="only dialogs whose last message is the customer's")] = False,
                  ) -> dict[str, Any]:
    """The user's customer dialogs from WhatsApp / Instagram, latest first, with the last customer message's analysis."""
    last = (select(WhatsAppMessage.text, WhatsAppMessage.direction, WhatsAppMessage.intent, WhatsAppMessage.sentiment,
                   WhatsAppMessage.confidence, WhatsAppMessage.sent_at)
            .where(WhatsAppMessage.dialog_id == WhatsAppDialog.id)
            .order_by(WhatsAppMessage.sent_at.desc(), WhatsAppMessage.id.desc()).limit(1).lateral("last"))
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(
            select(WhatsAppDialog.id, WhatsAppDialog.channel, WhatsAppDialog.contact_name, WhatsAppDialog.phone,
                   WhatsAppDialog.reply_mode, WhatsAppDialog.sentiment, WhatsAppDialog.opted_out,
                   WhatsAppDialog.last_inbound_at, WhatsAppDialog.context, last.c.text, last.c.direction,
                   last.c.intent, last.c.confidence, last.c.sent_at)
            .join(last, last.c.text.is_not(None), isouter=True)
            .where(WhatsAppDialog.user_id == user.id, WhatsAppDialog.messaging_account_id.is_not(None),
                   *([last.c.direction == "in"] if awaiting else []))
            .order_by(WhatsAppDialog.last_message_at.desc().nulls_last(), WhatsAppDialog.id).limit(limit))).all()
    return {"items": [{
        "id": str(r.id), "channel": r.channel, "name": r.contact_name or r.phone, "replyMode": r.reply_mode,
        "sentiment": r.sentiment, "optedOut": r.opted_out, "temperature": (r.context or {}).get("temperature"),
        "awaitingReply": r.direction == "in",
        "lastMessage": None if r.text is None else {
            "text": r.text[:300], "direction": r.direction, "intent": r.intent, "confidence": r.confidence,
            "at": r.sent_at.isoformat() if r.sent_at else None},
    } for r in rows]}


@router.get("/dialogs/{dialog_id}/messages")
async def dialog_messages(dialog_id: uuid.UUID, runtime: RuntimeDep, user: CurrentUser,
                          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """One of the user's customer dialogs, its last `limit` messages oldest first, each customer message with
    its analysis (intent, sentiment, confidence, lead temperature). 404 when the dialog is not the user's."""
    async with runtime.engine.connect() as conn:
        owned = (await conn.execute(select(WhatsAppDialog.id).where(
            WhatsAppDialog.id == dialog_id, WhatsAppDialog.user_id == user.id))).first()
        if owned is None:
            raise ApiError(404, "not_found")
        rows = (await conn.execute(
            select(WhatsAppMessage.id, WhatsAppMessage.direction, WhatsAppMessage.sender, WhatsAppMessage.text,
                   WhatsAppMessage.intent, WhatsAppMessage.sentiment, WhatsAppMessage.confidence,
                   WhatsAppMessage.status, WhatsAppMessage.sent_at, WhatsAppMessage.meta)
            .where(WhatsAppMessage.dialog_id == dialog_id)
            .order_by(WhatsAppMessage.sent_at.desc(), WhatsAppMessage.id.desc()).limit(limit))).all()
    return {"items": [{
        "id": r.id, "direction": r.direction, "sender": r.sender, "text": r.text, "status": r.status,
        "at": r.sent_at.isoformat(),
        "analysis": None if r.intent is None else {
            "intent": r.intent, "sentiment": r.sentiment, "confidence": r.confidence,
            "temperature": ((r.meta or {}).get("analysis") or {}).get("temperature")},
    } for r in reversed(rows)]}


def _feed(request: Request, runtime: Runtime) -> DialogFeed:
    feed: DialogFeed | None = getattr(request.app.state, "dialog_feed", None)
    if feed is None:
        feed = request.app.state.dialog_feed = DialogFeed(listen_dsn(runtime.engine.url))
    return feed


async def close_dialog_feed(app: FastAPI) -> None:
    """The app's shutdown: close the LISTEN connection if a panel ever opened it."""
    feed: DialogFeed | None = getattr(app.state, "dialog_feed", None)
    if feed is not None:
        app.state.dialog_feed = None
        await feed.close()


@router.get("/stream", responses={
    200: {"description": "`ready` once listening, then a `dialogs` event {dialogs: [id…], kind} per change",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
async def stream(request: Request, runtime: RuntimeDep, user: CurrentUser) -> Response:
    """Live updates of the Dialogs panel: an event each time one of the user's dialogs gets a customer
    message or a reaction, from whichever process handled it (PostgreSQL LISTEN/NOTIFY)."""
    feed = _feed(request, runtime)

    async def events() -> AsyncIterator[ServerSentEvent]:
        # Read-only: a client leaving mid-stream (CancelledError here) can cut nothing in half.
        async with feed.subscribe(user.id) as queue:
            yield ServerSentEvent(event="ready", data="{}")
            while True:
                update = await queue.get()
                if update is None:  # the listening connection dropped: EventSource reconnects
                    return
                yield ServerSentEvent(event="dialogs", data=json.dumps(update))

    return EventSourceResponse(events(), ping=SSE_PING_SECONDS, send_timeout=SSE_SEND_TIMEOUT_SECONDS)


@router.post("/sandbox/customer-message")
async def customer_message(body: CustomerMessage, request: Request, runtime: RuntimeDep,
                           user: CurrentUser) -> dict[str, Any]:
    """Demo only (the Graph sandbox): a customer writes to the sandbox's number / Instagram account.

    The sandbox's demo accounts are linked to the caller on first use; the delivery is signed and
    posted to this app's own webhook, then processed by the job queue like a real one.
    """
    messaging = messaging_sandbox_of(runtime.meta.client) if runtime.settings.uses_graph_sandbox else None
    if messaging is None:
        raise ApiError(404, "not_found")
    try:
        if body.platform == "whatsapp":
            await register_account(runtime.engine, user.id, "whatsapp", DEMO_PHONE_NUMBER_ID, name="Sandbox WhatsApp",
                                   display_phone=DEMO_DISPLAY_PHONE)
        else:
            await register_account(runtime.engine, user.id, "instagram", DEMO_INSTAGRAM_ID, name="Sandbox Instagram")
    except ValueError as exc:
        raise ApiError(409, "conflict", text=str(exc)) from exc
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        customers = CustomerSimulator(messaging, http, app_secret(runtime.settings))
        if body.platform == "whatsapp":
            sent = await customers.whatsapp(body.sender, body.text, name=body.name)
        else:
            sent = await customers.instagram(body.sender.lstrip("+"), body.text)
        statuses = await customers.flush_statuses()  # callbacks of what we sent since the last call
    return {"status": sent.status_code, "messageId": sent.message_id, "statusCallbacks": statuses}

"""Sending to customers for real: WhatsApp Cloud API `/{phone-number-id}/messages` and Instagram's
send API `/{ig-account-id}/messages`, through the Graph client (retries, breaker) and the write
path (journal, exactly once per recipient and key, read-back of our own record).

Refused before any call, and said so: a customer who opted out; a free-form message outside the
24-hour customer-service window (WhatsApp: only an approved template may go; Instagram: nothing).
The platform's refusals come back per recipient with their code (131047 outside the window,
131026 undeliverable, 130429 throughput — waited out and retried a few times).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.db.models import MessagingAccount, WhatsAppDialog, WhatsAppMessage
from agent_brain.journal.records import WriteTarget
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.write_safety import GuardedWrite, WriteGuard

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=24)
RATE_LIMIT_CODE = 130429
RATE_LIMIT_RETRIES = 3


@dataclass(frozen=True)
class SendResult:
    dialog_id: str
    recipient: str | None
    status: str  # sent | failed | skipped
    reason: str | None = None  # opted_out | outside_window | no_account | platform error text
    code: int | None = None
    message_id: str | None = None  # the platform's id (wamid / mid)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def in_window(last_inbound_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Inside the customer-service window: the customer wrote within the last 24 hours."""
    return last_inbound_at is not None and (now or clock.now()) - last_inbound_at < WINDOW


class MessageSender:
    def __init__(self, engine: AsyncEngine, client: GraphClient, writes: WriteGuard, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, concurrency: int = 8) -> None:
        self.engine = engine
        self.client = client
        self.writes = writes
        self._sleep = sleep
        self._concurrency = concurrency

    async def send(self, user_id: uuid.UUID, dialog_id: uuid.UUID, text: str, *, key: str, sender: str = "bot",
                   template: str | None = None, writes: WriteGuard | None = None) -> SendResult:
        """One message to one customer, once per `key` (a repeat replays the first outcome)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                select(WhatsAppDialog.id, WhatsAppDialog.channel, WhatsAppDialog.phone, WhatsAppDialog.instagram_id,
                       WhatsAppDialog.contact_name, WhatsAppDialog.opted_out, WhatsAppDialog.last_inbound_at,
                       WhatsAppDialog.language, MessagingAccount.external_id.label("account"))
                .outerjoin(MessagingAccount, MessagingAccount.id == WhatsAppDialog.messaging_account_id)
                .where(WhatsAppDialog.id == dialog_id, WhatsAppDialog.user_id == user_id))).first()
        if row is None:
            return SendResult(str(dialog_id), None, "skipped", "not_found")
        recipient = row.phone if row.channel == "whatsapp" else row.instagram_id
        if row.opted_out:
            return SendResult(str(dialog_id), recipient, "skipped", "opted_out")
        if row.account is None:
            return SendResult(str(dialog_id), recipient, "skipped", "no_account")
        if not in_window(row.last_inbound_at) and (template is None or row.channel != "whatsapp"):
            return SendResult(str(dialog_id), recipient, "skipped", "outside_window")
        guard = writes or self.writes
        body = text if template is None else f"[template:{template}]"

        async def read() -> dict[str, Any]:
            async with self.engine.connect() as conn:
                sent = (await conn.execute(
                    select(WhatsAppMessage.external_id).where(
                        WhatsAppMessage.dialog_id == dialog_id, WhatsAppMessage.direction == "out",
                        WhatsAppMessage.meta["key"].astext == key, WhatsAppMessage.external_id.is_not(None)))).first()
            return {"accepted": sent is not None}

        async def apply(validate_only: bool) -> dict[str, Any]:
            if validate_only:
                return {"valid": True}
            return await self._deliver(row, recipient, body, text, template, key, sender)

        write = GuardedWrite(
            tool="sendMessage", args={"dialog": str(dialog_id), "text": text, "template": template, "key": key},
            account_id=f"{row.channel}:{row.account}", expected={"accepted": True}, read=read, apply=apply,
            platform=row.channel, reversible=False,
            target=WriteTarget("dialog", str(dialog_id), row.contact_name or recipient, {"key": key}))
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                outcome = await guard.run(write, user_id=user_id)
            except GraphError as exc:
                if exc.code == RATE_LIMIT_CODE and attempt < RATE_LIMIT_RETRIES:
                    await self._sleep(2.0 ** attempt)  # the number's throughput: wait, then the same key again
                    continue
                return SendResult(str(dialog_id), recipient, "failed", str(exc)[:200], code=exc.code)
            result = outcome.get("result") or {}
            return SendResult(str(dialog_id), recipient, "sent", message_id=result.get("message_id"))
        raise AssertionError("unreachable")

    async def _deliver(self, row: Any, recipient: str, body: str, text: str, template: str | None, key: str,
                       sender: str) -> dict[str, Any]:
        now = clock.now()
        async with self.engine.begin() as conn:
            local_id = (await conn.execute(WhatsAppMessage.__table__.insert().values(
                dialog_id=row.id, direction="out", text=body, sent_at=now, sender=sender, status="queued",
                meta={"key": key, "platform": row.channel}).returning(WhatsAppMessage.id))).scalar_one()
        if row.channel == "whatsapp":
            payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual",
                                       "to": recipient.lstrip("+")}
            if template is None:
                payload.update(type="text", text={"body": text})
            else:
                payload.update(type="template", template={"name": template, "language": {"code": row.language or "ru"}})
        else:
            payload = {"recipient": {"id": recipient}, "message": {"text": text}, "messaging_type": "RESPONSE"}
        try:
            answer = await self.client.post(f"{row.account}/messages", payload)
        except GraphError as exc:
            async with self.engine.begin() as conn:
                await conn.execute(update(WhatsAppMessage).where(WhatsAppMessage.id == local_id).values(
                    status="failed", error={"code": exc.code, "message": str(exc)[:300]}))
            raise
        message_id = (answer.get("messages") or [{}])[0].get("id") if row.channel == "whatsapp" \
            else answer.get("message_id")
        async with self.engine.begin() as conn:
            await conn.execute(update(WhatsAppMessage).where(WhatsAppMessage.id == local_id).values(
                external_id=message_id, status="sent"))
            await conn.execute(update(WhatsAppDialog).where(WhatsAppDialog.id == row.id).values(
                message_count=WhatsAppDialog.message_count + 1, last_message_at=now))
        return {"message_id": message_id, "recipient": recipient}

    async def send_many(self, user_id: uuid.UUID, dialog_ids: Sequence[uuid.UUID], text: str, *, batch: str,
                        writes: WriteGuard | None = None, template: str | None = None) -> list[SendResult]:
        """One text to many customers, each once (key = batch + dialog), a few at a time."""
        gate = asyncio.Semaphore(self._concurrency)

        async def one(dialog_id: uuid.UUID) -> SendResult:
            async with gate:
                try:
                    return await self.send(user_id, dialog_id, text, key=f"{batch}:{dialog_id}", writes=writes,
                                           template=template)
                except Exception as exc:  # one recipient's failure is reported, the others still go
                    log.warning("bulk send to dialog %s failed: %s", dialog_id, type(exc).__name__)
                    return SendResult(str(dialog_id), None, "failed", type(exc).__name__)

        return list(await asyncio.gather(*(one(d) for d in dialog_ids)))

"""The messaging side of the sandbox: WhatsApp Cloud API and Instagram send endpoints.

`POST /{phone-number-id}/messages` (Cloud API shape: `messaging_product`, `to`, `type`, `text` or
`template`; answer `{"messaging_product", "contacts", "messages": [{"id": "wamid…"}]}`) and
`POST /{ig-account-id}/messages` (`recipient`, `message`; answer `{"recipient_id", "message_id"}`),
with the platform's refusals in Graph's error shape: 131047 outside the 24-hour window (a template
is allowed), 130429 over the number's throughput; Instagram: code 10 / subcode 2018278 outside its
window. Accepted WhatsApp messages produce the `sent` and `delivered` status callbacks, queued until
the customer simulator posts them. A message to an undeliverable customer (one marked so) is
accepted like any other and fails LATER, as WhatsApp does: a `failed` status callback carrying
error 131026 (Instagram refuses it at once, code 551).

When each customer last wrote (the 24-hour window) is kept in PostgreSQL
(`sandbox_messaging_customers`), like the rest of the sandbox: every process — the web app that
receives the webhooks, the worker that replies — sees the same customers, and a restart forgets none.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.db.models import SandboxMessagingCustomer

DEMO_PHONE_NUMBER_ID = "106540352242922"
DEMO_DISPLAY_PHONE = "+15550100200"
DEMO_WABA_ID = "102290129340398"
DEMO_INSTAGRAM_ID = "17841405822304914"
WINDOW = dt.timedelta(hours=24)
UNDELIVERABLE = {"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                 "error_data": {"details": "Message Undeliverable."}}


@dataclass
class MessagingSandbox:
    whatsapp_numbers: dict[str, str] = field(default_factory=lambda: {DEMO_PHONE_NUMBER_ID: DEMO_DISPLAY_PHONE})
    instagram_accounts: set[str] = field(default_factory=lambda: {DEMO_INSTAGRAM_ID})
    throughput_per_second: int = 80  # Cloud API default per business number
    undeliverable: set[str] = field(default_factory=set)  # wa_ids (digits) / Instagram ids
    engine: AsyncEngine | None = None  # the customers' state; create_sandbox_app gives it its own
    sent: list[dict[str, Any]] = field(default_factory=list)  # what reached a customer
    pending_statuses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _recent: dict[str, collections.deque[float]] = field(default_factory=lambda: collections.defaultdict(collections.deque))
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def _engine(self) -> AsyncEngine:
        if self.engine is None:
            raise RuntimeError("the messaging sandbox keeps its customers in PostgreSQL: give it an engine")
        return self.engine

    async def customer_wrote(self, account: str, customer: str, at: dt.datetime) -> None:
        await self.customers_wrote(account, [(customer, at)])

    async def customers_wrote(self, account: str, wrote: list[tuple[str, dt.datetime]]) -> None:
        """Customers wrote to `account` at these times (the latest one per customer is kept)."""
        latest: dict[str, dt.datetime] = {}
        for customer, at in wrote:
            key = customer.lstrip("+")
            latest[key] = max(at, latest.get(key, at))
        if not latest:
            return
        table = SandboxMessagingCustomer
        stmt = pg_insert(table).values([{"account_id": account, "customer": c, "last_message_at": at}
                                        for c, at in latest.items()])
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.account_id, table.customer],
            set_={"last_message_at": func.greatest(table.last_message_at, stmt.excluded.last_message_at)})
        async with self._engine().begin() as conn:
            await conn.execute(stmt)

    async def last_message_at(self, account: str, customer: str) -> dt.datetime | None:
        async with self._engine().connect() as conn:
            return (await conn.execute(  # type: ignore[no-any-return]
                select(SandboxMessagingCustomer.last_message_at).where(
                    SandboxMessagingCustomer.account_id == account,
                    SandboxMessagingCustomer.customer == customer.lstrip("+")))).scalar_one_or_none()

    async def _in_window(self, account: str, customer: str) -> bool:
        last = await self.last_message_at(account, customer)
        return last is not None and clock.now() - last < WINDOW

    def _over_throughput(self, account: str) -> bool:
        now = time.monotonic()
        recent = self._recent[account]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.throughput_per_second:
            return True
        recent.append(now)
        return False

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{uuid.uuid4().hex[:12]}{next(self._ids):06d}"

    async def handle(self, account: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """Answer a send, or None when `account` is not a messaging account of the sandbox."""
        if account in self.whatsapp_numbers:
            return await self._whatsapp(account, params)
        if account in self.instagram_accounts:
            return await self._instagram(account, params)
        return None

    async def _whatsapp(self, account: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if params.get("messaging_product") != "whatsapp" or not params.get("to"):
            return _error(100, "(#100) Invalid parameter", "messaging_product and to are required")
        to = str(params["to"]).lstrip("+")
        kind = params.get("type") or "text"
        if kind not in ("text", "template"):
            return _error(100, "(#100) Invalid parameter", f"type {kind} is not supported by the sandbox")
        if self._over_throughput(account):
            return _error(130429, "(#130429) Rate limit hit",
                          "Cloud API message throughput has been reached.")
        if kind == "text" and not await self._in_window(account, to):
            return _error(131047, "(#131047) Re-engagement message",
                          "Message failed to send because more than 24 hours have passed since the customer "
                          "last replied to this number.")
        wamid = self.new_id("wamid.")
        if to in self.undeliverable:  # accepted now, reported failed later (as the Cloud API does)
            self.pending_statuses.append(("whatsapp", whatsapp_status(account, wamid, to, "failed", [UNDELIVERABLE])))
            return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                         "messages": [{"id": wamid}]}
        self.sent.append({"platform": "whatsapp", "account": account, "to": to, "id": wamid, "type": kind,
                          "text": (params.get("text") or {}).get("body"), "template": params.get("template")})
        for status in ("sent", "delivered"):
            self.pending_statuses.append(("whatsapp", whatsapp_status(account, wamid, to, status)))
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": wamid}]}

    async def _instagram(self, account: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        recipient = str((params.get("recipient") or {}).get("id") or "")
        text = (params.get("message") or {}).get("text")
        if not recipient or not text:
            return _error(100, "(#100) Invalid parameter", "recipient.id and message.text are required")
        if not await self._in_window(account, recipient):
            return _error(10, "(#10) This message is sent outside of allowed window.", None, subcode=2018278)
        if recipient in self.undeliverable:
            return _error(551, "(#551) This person isn't available right now.", None)
        mid = self.new_id("aWdfZAG1faXRlbT")
        self.sent.append({"platform": "instagram", "account": account, "to": recipient, "id": mid, "text": text})
        return 200, {"recipient_id": recipient, "message_id": mid}


def _error(code: int, message: str, details: str | None, *, subcode: int | None = None) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": uuid.uuid4().hex[:22]}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    return 400, {"error": error}


def whatsapp_status(account: str, wamid: str, to: str, status: str,
                    errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DEMO_DISPLAY_PHONE.lstrip("+"), "phone_number_id": account},
        "statuses": [{"id": wamid, "status": status, "timestamp": str(int(clock.now().timestamp())),
                      "recipient_id": to, **({"errors": errors} if errors else {})}],
    }
    return {"object": "whatsapp_business_account",
            "entry": [{"id": DEMO_WABA_ID, "changes": [{"field": "messages", "value": value}]}]}

"""The messaging side of the sandbox: WhatsApp Cloud API and Instagram send endpoints.

`POST /{phone-number-id}/messages` (Cloud API shape: `messaging_product`, `to`, `type`, `text` or
`template`; answer `{"messaging_product", "contacts", "messages": [{"id": "wamid…"}]}`) and
`POST /{ig-account-id}/messages` (`recipient`, `message`; answer `{"recipient_id", "message_id"}`),
with the platform's refusals in Graph's error shape: 131047 outside the 24-hour window (a template
is allowed), 131026 undeliverable (a customer marked so), 130429 over the number's throughput;
Instagram: code 10 / subcode 2018278 outside its window. Accepted WhatsApp messages produce the
`sent` and `delivered` status callbacks, queued until the customer simulator posts them.

What the customers did (their last message per account) is kept in memory: the sandbox emulates
the platform for one process (the demo, the tests), the product's own state is in PostgreSQL.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from agent_brain import clock

DEMO_PHONE_NUMBER_ID = "106540352242922"
DEMO_DISPLAY_PHONE = "+15550100200"
DEMO_WABA_ID = "102290129340398"
DEMO_INSTAGRAM_ID = "17841405822304914"
WINDOW = dt.timedelta(hours=24)


@dataclass
class MessagingSandbox:
    whatsapp_numbers: dict[str, str] = field(default_factory=lambda: {DEMO_PHONE_NUMBER_ID: DEMO_DISPLAY_PHONE})
    instagram_accounts: set[str] = field(default_factory=lambda: {DEMO_INSTAGRAM_ID})
    throughput_per_second: int = 80  # Cloud API default per business number
    undeliverable: set[str] = field(default_factory=set)  # wa_ids (digits) / Instagram ids
    last_customer_message: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    pending_statuses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _recent: dict[str, collections.deque[float]] = field(default_factory=lambda: collections.defaultdict(collections.deque))
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def customer_wrote(self, account: str, customer: str, at: dt.datetime) -> None:
        key = (account, customer.lstrip("+"))
        self.last_customer_message[key] = max(at, self.last_customer_message.get(key, at))

    def _in_window(self, account: str, customer: str) -> bool:
        last = self.last_customer_message.get((account, customer.lstrip("+")))
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

    def handle(self, account: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """Answer a send, or None when `account` is not a messaging account of the sandbox."""
        if account in self.whatsapp_numbers:
            return self._whatsapp(account, params)
        if account in self.instagram_accounts:
            return self._instagram(account, params)
        return None

    def _whatsapp(self, account: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if params.get("messaging_product") != "whatsapp" or not params.get("to"):
            return _error(100, "(#100) Invalid parameter", "messaging_product and to are required")
        to = str(params["to"]).lstrip("+")
        kind = params.get("type") or "text"
        if kind not in ("text", "template"):
            return _error(100, "(#100) Invalid parameter", f"type {kind} is not supported by the sandbox")
        if self._over_throughput(account):
            return _error(130429, "(#130429) Rate limit hit",
                          "Cloud API message throughput has been reached.")
        if kind == "text" and not self._in_window(account, to):
            return _error(131047, "(#131047) Re-engagement message",
                          "Message failed to send because more than 24 hours have passed since the customer "
                          "last replied to this number.")
        if to in self.undeliverable:
            return _error(131026, "(#131026) Message Undeliverable", "Unable to deliver message.")
        wamid = self.new_id("wamid.")
        self.sent.append({"platform": "whatsapp", "account": account, "to": to, "id": wamid, "type": kind,
                          "text": (params.get("text") or {}).get("body"), "template": params.get("template")})
        for status in ("sent", "delivered"):
            self.pending_statuses.append(("whatsapp", whatsapp_status(account, wamid, to, status)))
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": wamid}]}

    def _instagram(self, account: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        recipient = str((params.get("recipient") or {}).get("id") or "")
        text = (params.get("message") or {}).get("text")
        if not recipient or not text:
            return _error(100, "(#100) Invalid parameter", "recipient.id and message.text are required")
        if not self._in_window(account, recipient):
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

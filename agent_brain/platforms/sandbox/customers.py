"""The customers' side of the messaging sandbox: signed webhook deliveries, as Meta sends them.

`CustomerSimulator` builds WhatsApp Cloud API / Instagram Messaging webhook bodies, signs them with
the app secret (`X-Hub-Signature-256`) and posts them to our webhooks through any httpx client (the
web app in-process over ASGITransport, or a running server). It also tells the messaging sandbox
that the customer wrote (opening the 24-hour window there too) and posts the status callbacks
the sandbox queued for the messages we sent.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import httpx

from agent_brain import clock
from agent_brain.inbound.signature import sign
from agent_brain.platforms.sandbox.messaging import (
    DEMO_DISPLAY_PHONE,
    DEMO_INSTAGRAM_ID,
    DEMO_PHONE_NUMBER_ID,
    DEMO_WABA_ID,
    MessagingSandbox,
)


@dataclass(frozen=True)
class Delivery:
    status_code: int
    body: bytes
    message_id: str | None = None


class CustomerSimulator:
    def __init__(self, sandbox: MessagingSandbox, http: httpx.AsyncClient, app_secret: str) -> None:
        self.sandbox = sandbox
        self.http = http
        self.app_secret = app_secret

    async def post(self, platform: str, body: bytes, *, signature: str | None = "sign") -> int:
        """POST raw bytes to /webhooks/<platform>; `signature="sign"` signs them, None sends no header."""
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["X-Hub-Signature-256"] = sign(body, self.app_secret)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        response = await self.http.post(f"/webhooks/{platform}", content=body, headers=headers)
        return response.status_code

    async def whatsapp(self, phone: str, text: str, *, name: str | None = None, at: dt.datetime | None = None,
                       account: str = DEMO_PHONE_NUMBER_ID, message_id: str | None = None) -> Delivery:
        at = at or clock.now()
        wa_id = phone.lstrip("+")
        message_id = message_id or self.sandbox.new_id("wamid.IN")
        body = whatsapp_message_body(account, wa_id, text, message_id, at, name=name)
        await self.sandbox.customer_wrote(account, wa_id, at)
        return Delivery(await self.post("whatsapp", body), body, message_id)

    async def instagram(self, igsid: str, text: str, *, at: dt.datetime | None = None,
                        account: str = DEMO_INSTAGRAM_ID, echo: bool = False, message_id: str | None = None) -> Delivery:
        at = at or clock.now()
        message_id = message_id or self.sandbox.new_id("aWdfZAG1faXRlbTpJTj")
        body = instagram_message_body(account, igsid, text, message_id, at, echo=echo)
        if not echo:
            await self.sandbox.customer_wrote(account, igsid, at)
        return Delivery(await self.post("instagram", body), body, message_id)

    async def flush_statuses(self, only: set[str] | None = None) -> int:
        """Post the status callbacks (sent, delivered; failed for the undeliverable) of what the sandbox
        accepted so far — `only` these statuses, the others stay queued."""
        def wanted(payload: dict[str, Any]) -> bool:
            return only is None or any(s.get("status") in only for e in payload["entry"] for c in e["changes"]
                                       for s in c["value"].get("statuses", []))

        pending = [p for p in self.sandbox.pending_statuses if wanted(p[1])]
        self.sandbox.pending_statuses = [p for p in self.sandbox.pending_statuses if not wanted(p[1])]
        for platform, payload in pending:
            await self.post(platform, _bytes(payload))
        return len(pending)


def _bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def whatsapp_message_body(account: str, wa_id: str, text: str, message_id: str, at: dt.datetime, *,
                          name: str | None = None) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DEMO_DISPLAY_PHONE.lstrip("+"), "phone_number_id": account},
        "contacts": [{"profile": {"name": name or wa_id}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": message_id, "timestamp": str(int(at.timestamp())), "type": "text",
                      "text": {"body": text}}],
    }
    return _bytes({"object": "whatsapp_business_account",
                   "entry": [{"id": DEMO_WABA_ID, "changes": [{"field": "messages", "value": value}]}]})


def instagram_message_body(account: str, igsid: str, text: str, message_id: str, at: dt.datetime, *,
                           echo: bool = False) -> bytes:
    ms = int(at.timestamp() * 1000)
    sender, recipient = (account, igsid) if echo else (igsid, account)
    message: dict[str, Any] = {"mid": message_id, "text": text, **({"is_echo": True} if echo else {})}
    return _bytes({"object": "instagram", "entry": [{"id": account, "time": ms, "messaging": [
        {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": ms, "message": message}]}]})

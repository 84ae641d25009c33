"""Meta's webhook bodies, parsed: WhatsApp Cloud API `messages`/`statuses`, Instagram `messaging`.

Parsing is lenient about what we do not use (a delivery carrying an unknown field type is still
processed for the parts we know) and strict about what we do (ids, texts, timestamps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InboundMessage:
    platform: str  # whatsapp | instagram
    account_external_id: str  # phone_number_id / Instagram account id
    message_id: str  # wamid / mid: the deduplication key
    customer: str  # +E.164 phone or the Instagram-scoped id
    text: str
    at: dt.datetime
    name: str | None = None
    echo: bool = False  # a message our own account sent (Instagram echoes them back)
    kind: str = "text"


@dataclass(frozen=True)
class StatusUpdate:
    platform: str
    message_id: str
    status: str  # sent | delivered | read | failed
    at: dt.datetime
    errors: list[dict[str, Any]] = field(default_factory=list)


def normalise_phone(wa_id: str) -> str:
    """A WhatsApp id is the number in international format without "+"."""
    return "+" + "".join(ch for ch in wa_id if ch.isdigit())


def _at(raw: Any) -> dt.datetime:
    value = int(raw)
    if value > 10**11:  # Instagram sends milliseconds, WhatsApp seconds
        value //= 1000
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


def _text(message: dict[str, Any]) -> tuple[str, str]:
    kind = str(message.get("type") or "text")
    if kind == "text":
        return kind, str((message.get("text") or {}).get("body") or "")
    if kind == "button":
        return kind, str((message.get("button") or {}).get("text") or "")
    if kind == "interactive":
        reply = message.get("interactive") or {}
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        return kind, str(chosen.get("title") or "")
    return kind, f"[{kind}]"  # media and others: stored as a marker, never analysed as words


def parse_whatsapp(body: dict[str, Any]) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    for entry in body.get("entry") or []:
        for change in entry.get("changes") or []:
            if change.get("field") != "messages":
                continue
            value = change.get("value") or {}
            account = str((value.get("metadata") or {}).get("phone_number_id") or "")
            names = {str(c.get("wa_id")): (c.get("profile") or {}).get("name") for c in value.get("contacts") or []}
            for message in value.get("messages") or []:
                kind, text = _text(message)
                sender = str(message.get("from") or "")
                messages.append(InboundMessage(
                    platform="whatsapp", account_external_id=account, message_id=str(message["id"]),
                    customer=normalise_phone(sender), text=text, at=_at(message.get("timestamp") or 0),
                    name=names.get(sender), kind=kind))
            for status in value.get("statuses") or []:
                statuses.append(StatusUpdate(
                    platform="whatsapp", message_id=str(status["id"]), status=str(status.get("status")),
                    at=_at(status.get("timestamp") or 0), errors=list(status.get("errors") or [])))
    return messages, statuses


def parse_instagram(body: dict[str, Any]) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    for entry in body.get("entry") or []:
        account = str(entry.get("id") or "")
        for event in entry.get("messaging") or []:
            at = _at(event.get("timestamp") or 0)
            message = event.get("message")
            if isinstance(message, dict) and message.get("mid"):
                echo = bool(message.get("is_echo"))
                # An echo goes from our account to the customer: the customer is the recipient.
                customer = (event.get("recipient") if echo else event.get("sender")) or {}
                text = str(message.get("text") or "") or ("[attachment]" if message.get("attachments") else "")
                messages.append(InboundMessage(
                    platform="instagram", account_external_id=account, message_id=str(message["mid"]),
                    customer=str(customer.get("id") or ""), text=text, at=at, echo=echo))
            read = event.get("read")
            if isinstance(read, dict) and read.get("mid"):
                statuses.append(StatusUpdate(platform="instagram", message_id=str(read["mid"]), status="read", at=at))
    return messages, statuses


def parse(platform: str, body: dict[str, Any]) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    return parse_whatsapp(body) if platform == "whatsapp" else parse_instagram(body)

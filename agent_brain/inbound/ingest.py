"""A delivery's messages and statuses into the database, in the caller's transaction.

Customer messages become rows of the customer's dialog (created on first contact and linked to a
CRM lead by phone or Instagram id — a new customer becomes a lead), analysed, and reflected in the
dialog's searchable analysis. A message id seen before is skipped (the unique index decides), so a
delivery Meta repeats, or one processed again after a crash, adds nothing. Echoes of our own
messages are stored as outgoing and never answered. Status callbacks move outgoing messages forward.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from agent_brain.db.models import (
    DialogAnalysis,
    FunnelStage,
    Lead,
    MessagingAccount,
    WhatsAppDialog,
    WhatsAppMessage,
)
from agent_brain.inbound.analysis import Analysis, Analyzer
from agent_brain.inbound.payloads import InboundMessage, StatusUpdate

# Russian tags, like the rest of the dialog tag vocabulary (searchDialogSummaries filters by them).
INTENT_TAGS = {"price_question": "цена", "booking": "запись", "complaint": "жалоба", "objection": "возражение",
               "human_request": "просит менеджера", "opt_out": "отписка", "spam": "спам", "greeting": "приветствие",
               "question": "вопрос", "other": "прочее"}
_STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
SUMMARY_MESSAGES = 8


@dataclass(frozen=True)
class NewMessage:
    message_id: int
    dialog_id: uuid.UUID
    user_id: uuid.UUID
    analysis: Analysis


@dataclass
class Ingested:
    new: list[NewMessage] = field(default_factory=list)
    duplicates: int = 0
    echoes: int = 0
    statuses: int = 0
    unknown_account: int = 0

    def dialogs_by_user(self) -> dict[uuid.UUID, set[uuid.UUID]]:
        """The dialogs that got a new customer message, by their owner (for the live panel)."""
        grouped: dict[uuid.UUID, set[uuid.UUID]] = {}
        for message in self.new:
            grouped.setdefault(message.user_id, set()).add(message.dialog_id)
        return grouped

    def to_json(self) -> dict[str, Any]:
        return {"new": len(self.new), "duplicates": self.duplicates, "echoes": self.echoes,
                "statuses": self.statuses, "unknown_account": self.unknown_account}


async def ingest(conn: AsyncConnection, messages: list[InboundMessage], statuses: list[StatusUpdate],
                 analyzer: Analyzer) -> Ingested:
    result = Ingested()
    for message in messages:
        account = (await conn.execute(
            select(MessagingAccount.id, MessagingAccount.user_id)
            .where(MessagingAccount.platform == message.platform,
                   MessagingAccount.external_id == message.account_external_id))).first()
        if account is None or not message.customer:
            result.unknown_account += 1
            continue
        seen = (await conn.execute(
            select(WhatsAppMessage.id).where(WhatsAppMessage.external_id == message.message_id))).first()
        if seen is not None:
            result.duplicates += 1  # our own send (echo of it) or a repeated delivery
            continue
        dialog_id = await _dialog(conn, account.user_id, account.id, message)
        if message.echo:
            await _insert(conn, dialog_id, message, direction="out", sender="echo", analysis=None)
            result.echoes += 1
            continue
        history = list((await conn.execute(
            select(WhatsAppMessage.text).where(WhatsAppMessage.dialog_id == dialog_id)
            .order_by(WhatsAppMessage.sent_at.desc(), WhatsAppMessage.id.desc()).limit(6))).scalars())[::-1]
        analysis = await analyzer.analyse(message.text, history)
        message_id = await _insert(conn, dialog_id, message, direction="in", sender="customer", analysis=analysis)
        if message_id is None:  # a concurrent processing of the same id won
            result.duplicates += 1
            continue
        await _after_customer_message(conn, account.user_id, dialog_id, message, analysis)
        result.new.append(NewMessage(message_id, dialog_id, account.user_id, analysis))
    for status in statuses:
        result.statuses += await _status(conn, status)
    return result


async def _dialog(conn: AsyncConnection, user_id: uuid.UUID, account_id: uuid.UUID, message: InboundMessage) -> uuid.UUID:
    values: dict[str, Any] = {"user_id": user_id, "channel": message.platform, "messaging_account_id": account_id,
                              "contact_name": message.name}
    if message.platform == "whatsapp":
        values["phone"] = message.customer
        stmt = pg_insert(WhatsAppDialog).values(**values).on_conflict_do_update(
            constraint="uq_whatsapp_dialogs_user_phone",
            set_={"contact_name": func.coalesce(WhatsAppDialog.contact_name, pg_insert(WhatsAppDialog).excluded.contact_name),
                  "messaging_account_id": func.coalesce(WhatsAppDialog.messaging_account_id, account_id)})
    else:
        values["instagram_id"] = message.customer
        # Instagram sends no name with a message; the dialog tools show a dialog by its name.
        values["contact_name"] = message.name or f"Instagram {message.customer}"
        stmt = pg_insert(WhatsAppDialog).values(**values).on_conflict_do_update(
            index_elements=[WhatsAppDialog.user_id, WhatsAppDialog.instagram_id],
            index_where=WhatsAppDialog.instagram_id.is_not(None),
            set_={"messaging_account_id": func.coalesce(WhatsAppDialog.messaging_account_id, account_id)})
    return (await conn.execute(stmt.returning(WhatsAppDialog.id))).scalar_one()


async def _insert(conn: AsyncConnection, dialog_id: uuid.UUID, message: InboundMessage, *, direction: str,
                  sender: str, analysis: Analysis | None) -> int | None:
    values: dict[str, Any] = {
        "dialog_id": dialog_id, "direction": direction, "text": message.text or "", "sent_at": message.at,
        "external_id": message.message_id, "sender": sender, "status": "received" if direction == "in" else "sent",
        "meta": {"platform": message.platform, "kind": message.kind},
    }
    if analysis is not None:
        values.update(intent=analysis.intent, sentiment=analysis.sentiment, confidence=analysis.confidence,
                      meta={**values["meta"], "analysis": analysis.to_json()})
    stmt = (pg_insert(WhatsAppMessage).values(**values)
            .on_conflict_do_nothing(index_elements=[WhatsAppMessage.external_id],
                                    index_where=WhatsAppMessage.external_id.is_not(None))
            .returning(WhatsAppMessage.id))
    inserted = (await conn.execute(stmt)).scalar_one_or_none()
    if inserted is not None:
        at = message.at
        await conn.execute(update(WhatsAppDialog).where(WhatsAppDialog.id == dialog_id).values(
            message_count=WhatsAppDialog.message_count + 1,
            last_message_at=func.greatest(WhatsAppDialog.last_message_at, at)))
    return inserted


async def _after_customer_message(conn: AsyncConnection, user_id: uuid.UUID, dialog_id: uuid.UUID,
                                  message: InboundMessage, analysis: Analysis) -> None:
    """The dialog's context, window, sentiment and opt-out; its lead; its searchable analysis."""
    dialog = (await conn.execute(select(WhatsAppDialog).where(WhatsAppDialog.id == dialog_id))).one()
    context = dict(dialog.context or {})
    intents = [*context.get("intents", []), analysis.intent][-10:]
    context.update(intents=intents, last_intent=analysis.intent, temperature=analysis.temperature,
                   method=analysis.method)
    lead_id = dialog.lead_id or await _lead(conn, user_id, message, analysis)
    await conn.execute(update(WhatsAppDialog).where(WhatsAppDialog.id == dialog_id).values(
        context=context, sentiment=analysis.sentiment, language=analysis.language, lead_id=lead_id,
        last_inbound_at=func.greatest(WhatsAppDialog.last_inbound_at, message.at),
        opted_out=WhatsAppDialog.opted_out | literal(analysis.intent == "opt_out"),
        status="open"))
    if lead_id is not None and analysis.temperature == "hot":  # a booking request raises the lead, never lowers
        await conn.execute(update(Lead).where(Lead.id == lead_id).values(temperature="hot"))
    await _refresh_analysis(conn, user_id, dialog_id, dialog.contact_name or message.customer, message.platform,
                            analysis)


async def _lead(conn: AsyncConnection, user_id: uuid.UUID, message: InboundMessage, analysis: Analysis) -> uuid.UUID | None:
    column = Lead.phone if message.platform == "whatsapp" else Lead.instagram_id
    found = (await conn.execute(select(Lead.id).where(Lead.user_id == user_id, column == message.customer)
                                .order_by(Lead.created_at.desc()).limit(1))).scalar_one_or_none()
    if found is not None:
        return found
    stage = (await conn.execute(select(FunnelStage.id).where(FunnelStage.user_id == user_id)
                                .order_by(FunnelStage.position).limit(1))).scalar_one_or_none()
    if stage is None:  # no funnel configured: nothing to file the customer under
        return None
    values: dict[str, Any] = {"user_id": user_id, "name": message.name or message.customer, "stage_id": stage,
                              "temperature": analysis.temperature, "source": message.platform,
                              "score": {"hot": 80, "warm": 50, "cold": 20}[analysis.temperature]}
    values["phone" if message.platform == "whatsapp" else "instagram_id"] = message.customer
    return (await conn.execute(pg_insert(Lead).values(**values).returning(Lead.id))).scalar_one()


async def _refresh_analysis(conn: AsyncConnection, user_id: uuid.UUID, dialog_id: uuid.UUID, name: str,
                            platform: str, analysis: Analysis) -> None:
    """The dialog's summary from the customer's latest messages and their intents (full-text searchable)."""
    rows = (await conn.execute(
        select(WhatsAppMessage.text, WhatsAppMessage.intent)
        .where(WhatsAppMessage.dialog_id == dialog_id, WhatsAppMessage.direction == "in")
        .order_by(WhatsAppMessage.sent_at.desc(), WhatsAppMessage.id.desc()).limit(SUMMARY_MESSAGES))).all()
    tags = list(dict.fromkeys(INTENT_TAGS[r.intent] for r in rows if r.intent in INTENT_TAGS))
    channel = "Instagram" if platform == "instagram" else "WhatsApp"
    quotes = " ".join(f"«{r.text[:200]}»" for r in reversed(rows))
    if analysis.language == "en":
        summary = f"Customer {name} ({channel}) wrote: {quotes} Topics: {', '.join(tags) or 'none'}."
    else:
        summary = f"Клиент {name} ({channel}) пишет: {quotes} Темы: {', '.join(tags) or 'нет'}."
    values = {"dialog_id": dialog_id, "user_id": user_id, "language": analysis.language, "summary": summary,
              "tags": tags, "interest_level": analysis.temperature,
              "insights": {"method": analysis.method, "last_intent": analysis.intent,
                           "sentiment": analysis.sentiment, "source": "inbound"}}
    stmt = pg_insert(DialogAnalysis).values(**values)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[DialogAnalysis.dialog_id],
        set_={k: stmt.excluded[k] for k in ("language", "summary", "tags", "interest_level", "insights")}
        | {"analyzed_at": func.now()}))
    await conn.execute(update(WhatsAppDialog).where(WhatsAppDialog.id == dialog_id).values(summary=summary))


async def _status(conn: AsyncConnection, status: StatusUpdate) -> int:
    """Forward only (sent → delivered → read); failed wins over anything but read."""
    if status.status not in _STATUS_RANK:
        return 0
    rank = case(*((WhatsAppMessage.status == name, value) for name, value in _STATUS_RANK.items()), else_=-1)
    error = {"errors": status.errors} if status.errors else None
    updated = await conn.execute(
        update(WhatsAppMessage)
        .where(WhatsAppMessage.external_id == status.message_id, WhatsAppMessage.direction == "out",
               rank < _STATUS_RANK[status.status] if status.status != "failed" else WhatsAppMessage.status != "read")
        .values(status=status.status, error=error if error else WhatsAppMessage.error))
    return int(updated.rowcount or 0)

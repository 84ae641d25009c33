"""The inbound pipeline as one service: receive → process (exactly once) → react (reply or hand off).

Built from the runtime (`for_runtime`) for the web app's webhooks and the job queue's tasks.
A reaction is claimed per message (`handled_at`), so a retried job or the sweep never answers a
customer message twice; a reply is also sent under an idempotency key of that message.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import cast, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.db.models import MessagingAccount, WhatsAppDialog, WhatsAppMessage
from agent_brain.inbound import inbox
from agent_brain.inbound.analysis import Analysis, Analyzer, build_analyzer
from agent_brain.inbound.drafts import ModelDrafter
from agent_brain.inbound.ingest import Ingested
from agent_brain.inbound.live import announce
from agent_brain.inbound.rules import Decision, decide, within_hours
from agent_brain.inbound.send import MessageSender, SendResult, in_window
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard

if TYPE_CHECKING:
    from agent_brain.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandoffCard:
    """What the marketer is shown: the customer, their message, its analysis, the draft, why."""

    kind: str  # handoff | hot_lead
    user_id: uuid.UUID
    dialog_id: uuid.UUID
    message_id: int
    customer: str
    channel: str
    text: str
    analysis: Analysis
    draft: str | None
    reason: str


HandoffNotify = Callable[[HandoffCard], Awaitable[None]]


@dataclass(frozen=True)
class Reaction:
    message_id: int
    action: str
    reason: str = ""
    sent: SendResult | None = None


class InboundService:
    def __init__(self, engine: AsyncEngine, analyzer: Analyzer, sender: MessageSender,
                 notify: HandoffNotify | None = None, drafter: ModelDrafter | None = None) -> None:
        self.engine = engine
        self.analyzer = analyzer
        self.sender = sender
        self.notify = notify
        self.drafter = drafter  # with a model key: drafts for the marketer, grounded in the business specs

    @classmethod
    def for_runtime(cls, runtime: Runtime, *, notify: HandoffNotify | None = None) -> InboundService:
        writes = WriteGuard(IdempotentExecutor(runtime.engine), dry_run=runtime.settings.dry_run_mode)
        model = None if runtime.settings.uses_offline_model else runtime.orchestrator.small_model
        return cls(runtime.engine, build_analyzer(model), MessageSender(runtime.engine, runtime.meta.client, writes),
                   notify, ModelDrafter(runtime.engine, model) if model is not None and model.is_llm else None)

    async def receive(self, platform: str, body: bytes) -> int:
        return await inbox.receive(self.engine, platform, body)

    async def process(self, delivery_id: int) -> tuple[Ingested | None, list[Reaction]]:
        result = await inbox.process(self.engine, delivery_id, self.analyzer)
        reactions = [await self.react(m.message_id) for m in (result.new if result else [])]
        answered = {m.message_id: m for m in (result.new if result else [])}
        changed: dict[uuid.UUID, set[uuid.UUID]] = {}
        for reaction in reactions:  # a reply sent or a handoff: the panel's row changed again
            if reaction.action in ("auto_reply", "handoff") and reaction.message_id in answered:
                message = answered[reaction.message_id]
                changed.setdefault(message.user_id, set()).add(message.dialog_id)
        if changed:
            async with self.engine.begin() as conn:
                for user_id, dialog_ids in changed.items():
                    await announce(conn, user_id, dialog_ids, kind="reaction")
        return result, reactions

    async def sweep(self, *, older_than_seconds: float = 60.0) -> dict[str, int]:
        """Deliveries whose job never ran (a crash after the 200) and messages never reacted to."""
        processed = 0
        for delivery_id in await inbox.pending(self.engine, older_than_seconds=older_than_seconds):
            result, _ = await self.process(delivery_id)
            processed += result is not None
        async with self.engine.connect() as conn:
            waiting = list((await conn.execute(
                select(WhatsAppMessage.id).where(WhatsAppMessage.sender == "customer",
                                                 WhatsAppMessage.handled_at.is_(None))
                .order_by(WhatsAppMessage.id).limit(200))).scalars())
        reacted = sum([(await self.react(m)).action != "already" for m in waiting])
        return {"deliveries": processed, "reactions": reacted}

    async def react(self, message_id: int) -> Reaction:
        async with self.engine.begin() as conn:
            message = (await conn.execute(
                update(WhatsAppMessage)
                .where(WhatsAppMessage.id == message_id, WhatsAppMessage.sender == "customer",
                       WhatsAppMessage.handled_at.is_(None))
                .values(handled_at=clock.now())
                .returning(WhatsAppMessage.dialog_id, WhatsAppMessage.text, WhatsAppMessage.meta))).first()
            if message is None:
                return Reaction(message_id, "already")
            dialog = (await conn.execute(
                select(WhatsAppDialog.id, WhatsAppDialog.user_id, WhatsAppDialog.reply_mode, WhatsAppDialog.channel,
                       WhatsAppDialog.phone, WhatsAppDialog.instagram_id, WhatsAppDialog.contact_name,
                       WhatsAppDialog.last_inbound_at, MessagingAccount.id.label("account_id"),
                       MessagingAccount.auto_reply, MessagingAccount.business_hours, MessagingAccount.timezone)
                .outerjoin(MessagingAccount, MessagingAccount.id == WhatsAppDialog.messaging_account_id)
                .where(WhatsAppDialog.id == message.dialog_id))).one()
            analysis = _analysis(message.meta)
            open_now = within_hours(dialog.business_hours or {}, dialog.timezone or "UTC", clock.now())
            decision = await decide(conn, user_id=dialog.user_id, account_id=dialog.account_id, text=message.text,
                                    analysis=analysis, reply_mode=dialog.reply_mode,
                                    auto_reply=bool(dialog.auto_reply), open_now=open_now)
            if decision.action == "handoff":
                await conn.execute(update(WhatsAppDialog).where(WhatsAppDialog.id == dialog.id).values(
                    reply_mode="handoff", draft_reply=decision.text))
            await conn.execute(update(WhatsAppMessage).where(WhatsAppMessage.id == message_id).values(
                meta=WhatsAppMessage.meta.op("||")(_json({"reaction": decision.action, "reason": decision.reason}))))
        return await self._act(message_id, message.text, dialog, analysis, decision)

    async def _act(self, message_id: int, text: str, dialog: Any, analysis: Analysis, decision: Decision) -> Reaction:
        customer = dialog.contact_name or dialog.phone or dialog.instagram_id
        if decision.action == "auto_reply" and decision.text:
            template = decision.wa_template if not in_window(dialog.last_inbound_at) else None
            sent = await self.sender.send(dialog.user_id, dialog.id, decision.text, key=f"reply:{message_id}",
                                          template=template)
            return Reaction(message_id, "auto_reply", decision.reason, sent)
        kind = "handoff" if decision.action == "handoff" else \
            "hot_lead" if decision.action == "wait" and analysis.temperature == "hot" else None
        if kind is not None and self.drafter is not None:  # outside any transaction: a model call takes seconds
            drafted = await self.drafter.draft(dialog.user_id, dialog.id, analysis.language)
            if drafted:
                decision = Decision(decision.action, drafted, decision.reason, decision.rule_id)
                async with self.engine.begin() as conn:
                    await conn.execute(update(WhatsAppDialog).where(WhatsAppDialog.id == dialog.id)
                                       .values(draft_reply=drafted))
        if kind is not None and self.notify is not None:
            card = HandoffCard(kind=kind, user_id=dialog.user_id, dialog_id=dialog.id, message_id=message_id,
                               customer=customer, channel=dialog.channel, text=text, analysis=analysis,
                               draft=decision.text, reason=decision.reason)
            try:
                await self.notify(card)
            except Exception:  # the dialog stays marked for the marketer; the web panel shows it
                log.exception("handoff notification failed for dialog %s", dialog.id)
        return Reaction(message_id, decision.action, decision.reason)

    async def send_draft(self, user_id: uuid.UUID, message_id: int, *, writes: WriteGuard | None = None,
                         text: str | None = None) -> SendResult | None:
        """The marketer approved the draft of a handed-off dialog — or wrote their own `text` instead —
        : send it (once per text) and give the dialog back to the rules."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                select(WhatsAppDialog.id, WhatsAppDialog.draft_reply)
                .join(WhatsAppMessage, WhatsAppMessage.dialog_id == WhatsAppDialog.id)
                .where(WhatsAppMessage.id == message_id, WhatsAppDialog.user_id == user_id))).first()
        body = text or (row.draft_reply if row is not None else None)
        if row is None or not body:
            return None
        key = f"draft:{message_id}" if text is None else \
            f"edited:{message_id}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
        sent = await self.sender.send(user_id, row.id, body, key=key, sender="human", writes=writes)
        if sent.status == "sent":
            async with self.engine.begin() as conn:
                await conn.execute(update(WhatsAppDialog).where(WhatsAppDialog.id == row.id, WhatsAppDialog.user_id == user_id)
                                   .values(reply_mode="auto", draft_reply=None))
        return sent

    async def dialog_of(self, user_id: uuid.UUID, message_id: int) -> uuid.UUID | None:
        """The user's dialog a customer message belongs to (None: not theirs, or no such message)."""
        async with self.engine.connect() as conn:
            return (await conn.execute(  # type: ignore[no-any-return]
                select(WhatsAppMessage.dialog_id).join(WhatsAppDialog, WhatsAppDialog.id == WhatsAppMessage.dialog_id)
                .where(WhatsAppMessage.id == message_id, WhatsAppDialog.user_id == user_id))).scalar_one_or_none()

    async def take_over(self, user_id: uuid.UUID, message_id: int) -> bool:
        """The marketer answers this customer personally: the rules stay silent in this dialog."""
        async with self.engine.begin() as conn:
            dialog_id = (await conn.execute(
                select(WhatsAppMessage.dialog_id).join(WhatsAppDialog, WhatsAppDialog.id == WhatsAppMessage.dialog_id)
                .where(WhatsAppMessage.id == message_id, WhatsAppDialog.user_id == user_id))).scalar_one_or_none()
            if dialog_id is None:
                return False
            await conn.execute(update(WhatsAppDialog).where(WhatsAppDialog.id == dialog_id)
                               .values(reply_mode="human"))
        return True


def _analysis(meta: dict[str, Any] | None) -> Analysis:
    raw = dict((meta or {}).get("analysis") or {})
    if not raw:
        return Analysis(intent="other", sentiment="neutral", temperature="warm", language="ru", confidence=0.0,
                        method="none")
    raw["matched"] = tuple(raw.get("matched") or ())
    return Analysis(**raw)


def _json(value: dict[str, Any]) -> Any:
    return cast(literal(value, JSONB), JSONB)

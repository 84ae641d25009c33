"""What customers write about: intents of inbound messages over a period, what waits for a reply,
and the conversion from a new dialog to a lead to a purchase."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from sqlalchemy import and_, distinct, func, select

from agent_brain.agents.whatsapp.tools import tools
from agent_brain.db.models import Lead, Purchase, WhatsAppDialog, WhatsAppMessage
from agent_brain.inbound.delivery import undelivered
from agent_brain.inbound.ingest import INTENT_TAGS
from agent_brain.tools.common import period_window
from agent_brain.tools.context import ToolContext
from agent_brain.tools.periods import PeriodArgs
from agent_brain.tools.registry import READ

EXAMPLES = 3
UNDELIVERED_SHOWN = 10
_INTENT_EN = {"price_question": "price question", "booking": "booking", "complaint": "complaint",
              "objection": "objection", "human_request": "asks for a person", "opt_out": "opt-out", "spam": "spam",
              "greeting": "greeting", "question": "question", "other": "other"}


class InboundStatsArgs(PeriodArgs):
    channel: Literal["whatsapp", "instagram"] | None = None
    limit: int = Field(default=10, ge=1, le=20, description="How many intents to list")


@tools.tool(kind=READ, timeout=15)
async def getInboundStats(args: InboundStatsArgs, ctx: ToolContext) -> dict[str, Any]:
    """What customers asked about most in the period (WhatsApp and Instagram messages by intent —
    price questions, bookings, complaints, objections… — with example messages), how many dialogs
    wait for our reply or for a person, which of our messages were not delivered (per recipient, with
    the platform's error code), and the conversion new dialog → lead → purchase."""
    period, start, end = period_window(args, ctx)
    scope = [WhatsAppDialog.user_id == ctx.user_id]
    if args.channel:
        scope.append(WhatsAppDialog.channel == args.channel)
    inbound = and_(*scope, WhatsAppMessage.sender == "customer", WhatsAppMessage.sent_at >= start,
                   WhatsAppMessage.sent_at < end)
    async with ctx.engine.connect() as conn:
        by_intent = (await conn.execute(
            select(WhatsAppMessage.intent, func.count().label("n"),
                   func.count(distinct(WhatsAppMessage.dialog_id)).label("dialogs"),
                   func.array_agg(WhatsAppMessage.text).label("texts"))
            .join(WhatsAppDialog, WhatsAppDialog.id == WhatsAppMessage.dialog_id).where(inbound)
            .group_by(WhatsAppMessage.intent).order_by(func.count().desc(), WhatsAppMessage.intent)
            .limit(args.limit))).all()
        last = (select(WhatsAppMessage.direction).where(WhatsAppMessage.dialog_id == WhatsAppDialog.id)
                .order_by(WhatsAppMessage.sent_at.desc(), WhatsAppMessage.id.desc()).limit(1).scalar_subquery())
        waiting = (await conn.execute(
            select(func.count().filter(last == "in"), func.count().filter(WhatsAppDialog.reply_mode == "handoff"))
            .where(*scope, WhatsAppDialog.messaging_account_id.is_not(None)))).one()
        new = (await conn.execute(
            select(func.count(), func.count(WhatsAppDialog.lead_id),
                   func.count(distinct(Purchase.lead_id)), func.coalesce(func.sum(Purchase.amount_cents), 0))
            .select_from(WhatsAppDialog)
            .outerjoin(Lead, Lead.id == WhatsAppDialog.lead_id)
            .outerjoin(Purchase, and_(Purchase.lead_id == Lead.id, Purchase.purchased_at >= start))
            .where(*scope, WhatsAppDialog.messaging_account_id.is_not(None), WhatsAppDialog.created_at >= start,
                   WhatsAppDialog.created_at < end))).one()
    failed, failures = await undelivered(ctx.engine, ctx.user_id, start=start, end=end, limit=UNDELIVERED_SHOWN)
    total = sum(r.n for r in by_intent)
    lang = ctx.language
    items = [{"intent": r.intent or "other",
              "label": INTENT_TAGS.get(r.intent or "other") if lang == "ru" else _INTENT_EN.get(r.intent or "other"),
              "messages": r.n, "dialogs": r.dialogs, "share": round(r.n / total, 3) if total else 0,
              "examples": [t[:160] for t in list(dict.fromkeys(r.texts))[:EXAMPLES]]} for r in by_intent]
    dialogs, leads, buyers, revenue = new
    return {
        "period": period, "items": items, "count": len(items), "total": {"messages": total},
        "awaiting_reply": waiting[0], "handed_off": waiting[1],
        # Our messages that did not reach the customer, per recipient (131026 comes later, as a status).
        "undelivered": {"count": failed, "items": [f.to_json() for f in failures]},
        "conversion": {"new_dialogs": dialogs, "leads": leads, "purchases": buyers, "revenue_cents": int(revenue),
                       "dialog_to_lead": round(leads / dialogs, 3) if dialogs else None,
                       "lead_to_purchase": round(buyers / leads, 3) if leads else None},
        "method": "rules" if not items else None,
    }

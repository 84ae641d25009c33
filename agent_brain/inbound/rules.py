"""Auto-reply rules and the handoff decision for one analysed customer message.

Order: the marketer took the dialog over → nothing; spam and opt-outs → nothing; a complaint, a
request for a person or a low-confidence analysis → handoff (the marketer gets the dialog with a
draft); otherwise the first enabled rule of the account matching the intent or a keyword and the
business hours answers with its template in the customer's language; nothing matching → the dialog
waits for the marketer (a hot lead is announced).
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from agent_brain.db.models import AutoReplyRule
from agent_brain.inbound.analysis import Analysis

HANDOFF_INTENTS = ("complaint", "human_request")
MIN_CONFIDENCE = 0.5

# The draft offered to the marketer on a handoff when no rule supplies one.
_HANDOFF_DRAFTS = {
    "complaint": ("Нам очень жаль, что так вышло. Менеджер уже разбирается и ответит вам в ближайшее время.",
                  "We are sorry this happened. A manager is looking into it and will reply shortly."),
    "human_request": ("Передаю ваш вопрос менеджеру, он ответит вам в ближайшее время.",
                      "I am passing your question to a manager who will reply shortly."),
}
_DEFAULT_DRAFT = ("Спасибо за сообщение! Уточню детали и отвечу вам в ближайшее время.",
                  "Thank you for your message! I will check the details and reply shortly.")


@dataclass(frozen=True)
class Decision:
    action: str  # auto_reply | handoff | wait | ignore | human
    text: str | None = None
    reason: str = ""
    rule_id: uuid.UUID | None = None
    wa_template: str | None = None


def within_hours(hours: dict[str, Any], timezone: str, now: dt.datetime) -> bool:
    local = now.astimezone(zoneinfo.ZoneInfo(timezone or "UTC"))
    days = hours.get("days", list(range(7)))
    return local.weekday() in days and int(hours.get("start", 0)) <= local.hour < int(hours.get("end", 24))


async def decide(conn: AsyncConnection, *, user_id: uuid.UUID, account_id: uuid.UUID | None, text: str,
                 analysis: Analysis, reply_mode: str, auto_reply: bool, open_now: bool) -> Decision:
    if reply_mode == "human":
        return Decision("human", reason="taken_over")
    if analysis.intent in ("spam", "opt_out"):
        return Decision("ignore", reason=analysis.intent)
    rule = await _matching_rule(conn, user_id, account_id, text, analysis, open_now)
    i = 0 if analysis.language == "ru" else 1
    if analysis.intent in HANDOFF_INTENTS or analysis.confidence < MIN_CONFIDENCE or reply_mode == "handoff":
        draft = (rule.template_ru, rule.template_en)[i] if rule is not None else \
            _HANDOFF_DRAFTS.get(analysis.intent, _DEFAULT_DRAFT)[i]
        reason = analysis.intent if analysis.intent in HANDOFF_INTENTS else \
            "low_confidence" if analysis.confidence < MIN_CONFIDENCE else "awaiting_marketer"
        return Decision("handoff", draft, reason)
    if rule is not None and auto_reply:
        return Decision("auto_reply", (rule.template_ru, rule.template_en)[i], "rule", rule.id, rule.wa_template)
    return Decision("wait", reason="no_rule" if rule is None else "auto_reply_off")


async def _matching_rule(conn: AsyncConnection, user_id: uuid.UUID, account_id: uuid.UUID | None, text: str,
                         analysis: Analysis, open_now: bool) -> Any:
    rows = (await conn.execute(
        select(AutoReplyRule)
        .where(AutoReplyRule.user_id == user_id, AutoReplyRule.enabled.is_(True),
               or_(AutoReplyRule.account_id.is_(None), AutoReplyRule.account_id == account_id),
               AutoReplyRule.hours.in_(("any", "open" if open_now else "closed")))
        .order_by(AutoReplyRule.priority, AutoReplyRule.created_at))).all()
    folded = text.casefold()
    for rule in rows:
        if analysis.intent in rule.intents or any(k.casefold() in folded for k in rule.keywords if k.strip()):
            return rule
    return None

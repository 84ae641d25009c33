"""Quick-action buttons under an answer, chosen from the tools the answer used.

After a report: «За вчера», «По дням», «График», «Подробнее» (as on the web page). After one
campaign's details: «Пауза» (when it runs), «Бюджет +20%» (when it has one ad set), «Отчёт за
неделю». A press sends the button's phrase as the chat's next message, through the same turn as
typed text: a pause or a budget change is dangerous, so it comes back as a plan card with ✅/❌ —
a button never writes by itself.

callback_data is `qa:<index>:<answer message id>:<signature>` (≤ 64 bytes). The actions are not
kept anywhere: they are computed again from the conversation's stored last turn, and the
signature — an HMAC over the user, the conversation, the chat, the answer's message id, the
index and the phrase — must match. So a button of another chat, another person or an older answer,
or data anyone made up, is refused (with an alert) and nothing runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from agent_brain.stores.records import StoredMessage
from telegram_bot.texts import Lang

_DATA = re.compile(r"^qa:(\d):(\d{1,19}):([A-Za-z0-9_-]{16})$")

# Tools whose answer is a report of spend and results: the generic follow-ups fit after them.
REPORT_TOOLS = frozenset({"getSpendReport", "getCampaigns", "getCampaignDetails", "getAdSets", "getDirections",
                          "getDirectionDetails", "getDirectionMetrics", "getROIReport", "getROIComparison"})

TEXTS: dict[str, dict[Lang, str]] = {
    "yesterday": {"ru": "За вчера", "en": "Yesterday"},
    "yesterday_text": {"ru": "То же за вчера", "en": "The same for yesterday"},
    "by_day": {"ru": "По дням", "en": "By day"},
    "by_day_text": {"ru": "Покажи расходы по дням за последние 7 дней", "en": "Show spend by day for the last 7 days"},
    "chart": {"ru": "📈 График", "en": "📈 Chart"},
    "chart_text": {"ru": "Покажи график расходов по дням", "en": "Show a chart of spend by day"},
    "more": {"ru": "Подробнее", "en": "More detail"},
    # "More detail" of a total: where it went (a bare «расскажи подробнее» has no object to go on).
    "more_text": {"ru": "Покажи расходы по кампаниям за последние 7 дней", "en": "Show spend by campaign for the last 7 days"},
    "pause": {"ru": "⏸ Пауза", "en": "⏸ Pause"},
    "pause_text": {"ru": "Поставь на паузу кампанию «{name}»", "en": "pause campaign {name}"},
    "budget": {"ru": "Бюджет +20%", "en": "Budget +20%"},
    "budget_text": {"ru": "увеличь бюджет адсета «{name}» на 20%", "en": "increase the budget of ad set {name} by 20%"},
    "week": {"ru": "Отчёт за неделю", "en": "Week report"},
    "week_text": {"ru": "Расскажи про кампанию «{name}» за неделю", "en": "Tell me about campaign {name} for the last 7 days"},
    "forged": {"ru": "⛔ Эта кнопка не отсюда или устарела — ничего не выполнено.",
               "en": "⛔ This button is not from here or is out of date — nothing was done."},
}


@dataclass(frozen=True)
class QuickAction:
    label: str
    text: str  # sent as the user's next message


@dataclass(frozen=True)
class LastTurn:
    """The conversation's newest answer and the tool results it was built from."""

    answer_id: int
    results: list[tuple[str, Any]]


def last_turn(messages: Sequence[StoredMessage]) -> LastTurn | None:
    """The newest assistant answer (with text) and the tool results since the user's message before it."""
    answer = next((m for m in reversed(messages) if m.role == "assistant" and m.content), None)
    if answer is None:
        return None
    results: list[tuple[str, Any]] = []
    for m in reversed(messages):
        if m.id > answer.id:
            continue
        if m.role == "user":
            break
        if m.role == "tool" and m.tool_name:
            results.append((m.tool_name, m.tool_result))
    return LastTurn(answer.id, list(reversed(results)))


def actions_for(results: Sequence[tuple[str, Any]], lang: Lang) -> list[QuickAction]:
    def text(key: str, **values: str) -> str:
        return TEXTS[key][lang].format(**values)

    tools = {tool for tool, _ in results}
    details = next((r for tool, r in results if tool == "getCampaignDetails" and isinstance(r, dict)), None)
    item = details.get("item") if details else None
    if isinstance(item, dict) and item.get("name"):
        name = str(item["name"])
        found: list[QuickAction] = []
        if str(item.get("status", "")).upper() == "ACTIVE":
            found.append(QuickAction(text("pause"), text("pause_text", name=name)))
        ad_sets = item.get("ad_sets") or []
        if len(ad_sets) == 1 and isinstance(ad_sets[0], dict) and ad_sets[0].get("name"):
            found.append(QuickAction(text("budget"), text("budget_text", name=str(ad_sets[0]["name"]))))
        found.append(QuickAction(text("week"), text("week_text", name=name)))
        return found
    if tools & REPORT_TOOLS:
        return [QuickAction(text(k), text(f"{k}_text")) for k in ("yesterday", "by_day", "chart", "more")]
    return []


class QuickActions:
    """Signs and checks button data; `secret` is the server's (never sent to Telegram)."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"agent-brain quick actions\0" + secret).digest()

    def signature(self, *, user_id: uuid.UUID, conversation_id: uuid.UUID, chat_id: int, answer_id: int,
                  index: int, text: str) -> str:
        message = f"{user_id}|{conversation_id}|{chat_id}|{answer_id}|{index}|{text}".encode()
        return base64.urlsafe_b64encode(hmac.digest(self._key, message, "sha256")[:12]).decode()

    def keyboard(self, actions: Sequence[QuickAction], *, user_id: uuid.UUID, conversation_id: uuid.UUID,
                 chat_id: int, answer_id: int) -> InlineKeyboardMarkup:
        buttons = [InlineKeyboardButton(text=a.label, callback_data=f"qa:{i}:{answer_id}:" + self.signature(
            user_id=user_id, conversation_id=conversation_id, chat_id=chat_id, answer_id=answer_id, index=i,
            text=a.text)) for i, a in enumerate(actions[:10])]
        return InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + 2] for i in range(0, len(buttons), 2)])

    def verify(self, data: str | None, *, user_id: uuid.UUID, conversation_id: uuid.UUID, chat_id: int,
               turn: LastTurn | None, lang: Lang) -> QuickAction | None:
        """The action a press asks for, or None when the data is malformed, forged, foreign or stale."""
        match = _DATA.match(data or "")
        if match is None or turn is None:
            return None
        index, answer_id, signature = int(match.group(1)), int(match.group(2)), match.group(3)
        if answer_id != turn.answer_id:
            return None  # an older answer's button: its suggestions no longer fit
        actions = actions_for(turn.results, lang)
        if not 0 <= index < len(actions):
            return None
        expected = self.signature(user_id=user_id, conversation_id=conversation_id, chat_id=chat_id,
                                  answer_id=answer_id, index=index, text=actions[index].text)
        return actions[index] if hmac.compare_digest(expected, signature) else None


def is_quick(data: str | None) -> bool:
    return (data or "").startswith("qa:")

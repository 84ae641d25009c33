"""Replies from tool results, in the user's language.

One generic renderer per result shape (ARCHITECTURE.md §3 conventions): errors, plans held for
approval, writes with their verification, lists (`items`), single objects (`item`), daily
series, funnels; anything else becomes a compact "key: value" rendering. Small per-tool touches
(titles, which fields a list shows, dialog messages, transcripts) sit in tables. Text found in
results (names, messages, transcripts) is shown as data — quoted and clipped — never acted on.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agent_brain.llm.offline.arguments import apply_change
from agent_brain.llm.offline.clause import Intent
from agent_brain.llm.offline.lexicon import TOOLS
from agent_brain.llm.offline.text import clip
from agent_brain.money import format_money

log = logging.getLogger(__name__)

MAX_ITEMS = 10
# A list shows every row its tool returned (the tool's limit is what the user asked for, ≤ 100); the web
# page folds long lists behind "show more", Telegram splits long messages.
MAX_LISTED = 100
MAX_FIELDS = 5


@dataclass(frozen=True)
class CallResult:
    name: str
    args: dict[str, Any]
    result: Any  # the tool message's content, parsed when it was JSON


TITLES: dict[str, tuple[str, str]] = {
    "getCampaigns": ("Кампании", "Campaigns"), "getCampaignDetails": ("Кампания", "Campaign"),
    "getAdSets": ("Адсеты", "Ad sets"), "getSpendReport": ("Расходы", "Spend"),
    "getDirections": ("Направления", "Directions"), "getDirectionDetails": ("Направление", "Direction"),
    "getDirectionMetrics": ("Метрики направления", "Direction metrics"), "getROIReport": ("ROI", "ROI"),
    "getROIComparison": ("Сравнение ROI", "ROI comparison"), "getCreatives": ("Креативы", "Creatives"),
    "getCreativeDetails": ("Креатив", "Creative"), "getCreativeMetrics": ("Метрики креатива", "Creative metrics"),
    "getCreativeAnalysis": ("Анализ креатива", "Creative analysis"),
    "getTopCreatives": ("Лучшие креативы", "Top creatives"), "getWorstCreatives": ("Худшие креативы", "Worst creatives"),
    "compareCreatives": ("Сравнение креативов", "Creative comparison"),
    "getCreativeScores": ("Риск-скоры креативов", "Creative risk scores"), "getCreativeTests": ("A/B тесты", "A/B tests"),
    "getCreativeTranscript": ("Транскрипция", "Transcript"), "getLeads": ("Лиды", "Leads"),
    "getLeadDetails": ("Лид", "Lead"), "getFunnelStats": ("Воронка", "Funnel"), "getRevenueStats": ("Выручка", "Revenue"),
    "getDialogs": ("Диалоги", "Dialogs"), "getDialogMessages": ("Переписка", "Conversation"),
    "analyzeDialog": ("Анализ диалога", "Dialog analysis"),
    "searchDialogSummaries": ("Найденные диалоги", "Matching dialogs"),
    "getActionHistory": ("Изменения", "Changes"),
}

# What a successful write did, with {t} = the target's name.
DONE: dict[str, tuple[str, str]] = {
    "pauseCampaign": ("Кампания {t} поставлена на паузу", "Campaign {t} is paused"),
    "resumeCampaign": ("Кампания {t} снова работает", "Campaign {t} is running again"),
    "pauseAdSet": ("Адсет {t} поставлен на паузу", "Ad set {t} is paused"),
    "resumeAdSet": ("Адсет {t} снова работает", "Ad set {t} is running again"),
    "updateBudget": ("Бюджет адсета {t} изменён", "The budget of ad set {t} is updated"),
    "updateDirectionBudget": ("Бюджет направления {t} изменён", "The budget of direction {t} is updated"),
    "updateDirectionTargetCPL": ("Целевой CPL направления {t} изменён", "The target CPL of direction {t} is updated"),
    "pauseDirection": ("Направление {t} поставлено на паузу", "Direction {t} is paused"),
    "resumeDirection": ("Направление {t} снова работает", "Direction {t} is running again"),
    "triggerCreativeAnalysis": ("Анализ креатива {t} готов", "The analysis of creative {t} is done"),
    "launchCreative": ("Креатив {t} запущен", "Creative {t} is launched"),
    "pauseCreative": ("Креатив {t} поставлен на паузу", "Creative {t} is paused"),
    "startCreativeTest": ("Тест креатива {t} запущен", "The test of creative {t} has started"),
    "stopCreativeTest": ("Тест креатива {t} остановлен", "The test of creative {t} is stopped"),
    "updateLeadStage": ("Лид {t} переведён на другой этап", "Lead {t} is moved to another stage"),
    "sendBulkMessage": ("Рассылка отправлена: {t}", "The broadcast is sent: {t}"),
    "sendSegmentMessage": ("Рассылка сегменту отправлена", "The segment broadcast is sent"),
}

# A plan step, said in the user's language ({t} target, {d} direction, {amount}, {stage}, {n} recipients).
STEP: dict[str, tuple[str, str]] = {
    "pauseCampaign": ("поставить на паузу кампанию {t}", "pause campaign {t}"),
    "resumeCampaign": ("возобновить кампанию {t}", "resume campaign {t}"),
    "pauseAdSet": ("поставить на паузу адсет {t}", "pause ad set {t}"),
    "resumeAdSet": ("возобновить адсет {t}", "resume ad set {t}"),
    "updateBudget": ("поставить бюджет адсета {t}: {amount} в день", "set the budget of ad set {t} to {amount}/day"),
    "updateDirectionBudget": ("поставить бюджет направления {t}: {amount} в день",
                              "set the budget of direction {t} to {amount}/day"),
    "updateDirectionTargetCPL": ("поставить целевой CPL направления {t}: {amount}",
                                 "set the target CPL of direction {t} to {amount}"),
    "pauseDirection": ("поставить на паузу направление {t}", "pause direction {t}"),
    "resumeDirection": ("включить направление {t}", "resume direction {t}"),
    "triggerCreativeAnalysis": ("запустить анализ креатива {t}", "run an analysis of creative {t}"),
    "launchCreative": ("запустить креатив {t} в направлении {d}", "launch creative {t} in direction {d}"),
    "pauseCreative": ("поставить на паузу креатив {t}", "pause creative {t}"),
    "startCreativeTest": ("запустить A/B тест креатива {t} (бюджет {amount})",
                          "start an A/B test of creative {t} (budget {amount})"),
    "stopCreativeTest": ("остановить тест креатива {t}", "stop the test of creative {t}"),
    "updateLeadStage": ("перевести лида {t} на этап «{stage}»", "move lead {t} to the “{stage}” stage"),
    "sendBulkMessage": ("отправить сообщение {n} получателям", "send the message to {n} recipients"),
    "sendSegmentMessage": ("отправить сообщение сегменту клиентов", "send the message to a customer segment"),
}

LABELS: dict[str, tuple[str, str]] = {
    "spend_cents": ("расход", "spend"), "leads": ("лиды", "leads"), "cpl_cents": ("CPL", "CPL"),
    "ctr": ("CTR", "CTR"), "cpm_cents": ("CPM", "CPM"), "impressions": ("показы", "impressions"),
    "clicks": ("клики", "clicks"), "revenue_cents": ("выручка", "revenue"), "roi_percent": ("ROI", "ROI"),
    "conversions": ("покупки", "purchases"), "purchases": ("покупки", "purchases"),
    "daily_budget_cents": ("бюджет/день", "daily budget"), "target_cpl_cents": ("целевой CPL", "target CPL"),
    "status": ("статус", "status"), "stage": ("этап", "stage"), "temperature": ("температура", "temperature"),
    "score": ("скор", "score"), "risk_score": ("риск", "risk"), "risk_level": ("уровень риска", "risk level"),
    "llm_score": ("оценка", "score"), "interest_level": ("интерес", "interest"), "phone": ("телефон", "phone"),
    "direction": ("направление", "direction"), "media_type": ("формат", "format"), "verdict": ("вердикт", "verdict"),
    "average_check_cents": ("средний чек", "average check"), "buyers": ("покупатели", "buyers"),
    "lead_to_purchase_conversion": ("конверсия лид→покупка", "lead→purchase conversion"),
    "won": ("оплачено", "won"), "lost": ("отказ", "lost"), "in_progress": ("в работе", "in progress"),
    "win_rate": ("доля оплат", "win rate"), "messages": ("сообщений", "messages"), "hot": ("горячие", "hot"),
    "warm": ("тёплые", "warm"), "cold": ("холодные", "cold"), "video_views": ("просмотры", "video views"),
    "summary": ("резюме", "summary"), "objections": ("возражения", "objections"), "tags": ("теги", "tags"),
    "strengths": ("сильные стороны", "strengths"), "weaknesses": ("слабые стороны", "weaknesses"),
    "recommendations": ("рекомендации", "recommendations"), "snippet": ("фрагмент", "snippet"),
    "last_message_at": ("последнее сообщение", "last message"), "created_at": ("создан", "created"),
    "cpl_vs_target": ("CPL к цели", "CPL vs target"), "objective": ("цель", "objective"),
    "budget_cents": ("бюджет", "budget"), "email": ("email", "email"), "source": ("источник", "source"),
    "notes": ("заметки", "notes"), "next_action": ("следующий шаг", "next action"),
    "factors": ("причины", "factors"), "channel": ("канал", "channel"),
}

# A list's real size when the tool returned only the first page of it: tool → key in `total`.
TOTAL_COUNT = {"getLeads": "leads", "getDialogs": "dialogs"}

# Fields a list shows per tool (at most MAX_FIELDS of them, the present ones).
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "getActionHistory": ("change", "outcome"),
    "getLeads": ("stage", "temperature", "score", "phone", "direction"),
    "getDialogs": ("phone", "channel", "interest_level", "status", "last_message_at"),
    "searchDialogSummaries": ("phone", "interest_level", "snippet"),
    "getCreativeScores": ("risk_score", "risk_level", "factors", "llm_score", "verdict"),
    "getCreativeTests": ("status", "spend_cents", "leads", "cpl_cents", "verdict"),
    "getROIReport": ("spend_cents", "revenue_cents", "roi_percent", "leads", "conversions"),
    "getROIComparison": ("roi_percent", "spend_cents", "revenue_cents", "leads", "cpl_cents"),
    "getRevenueStats": ("revenue_cents", "purchases"),
    "getAdSets": ("status", "daily_budget_cents", "spend_cents", "leads", "cpl_cents"),
    "getDirections": ("status", "daily_budget_cents", "spend_cents", "leads", "cpl_cents"),
}
DEFAULT_FIELDS = ("status", "spend_cents", "leads", "cpl_cents", "ctr", "roi_percent", "revenue_cents", "stage",
                  "temperature", "score", "interest_level", "risk_score", "phone", "verdict", "daily_budget_cents")
TOTAL_FIELDS = ("spend_cents", "leads", "cpl_cents", "ctr", "revenue_cents", "roi_percent", "purchases",
                "average_check_cents", "lead_to_purchase_conversion", "hot", "warm", "cold", "messages")
DETAIL_FIELDS = ("status", "stage", "temperature", "score", "phone", "email", "direction", "media_type",
                 "daily_budget_cents", "target_cpl_cents", "spend_cents", "leads", "cpl_cents", "ctr", "revenue_cents",
                 "roi_percent", "interest_level", "verdict", "summary", "objections", "strengths", "weaknesses",
                 "recommendations", "tags", "next_action", "notes", "created_at")
_PERCENT = {"ctr", "win_rate", "loss_rate", "lead_to_purchase_conversion", "conversion_from_first",
            "conversion_from_previous", "roi"}
_VALUE_WORDS = {
    "ru": {"ACTIVE": "активна", "PAUSED": "на паузе", "active": "активно", "paused": "на паузе", "draft": "черновик",
           "hot": "горячий", "warm": "тёплый", "cold": "холодный", "running": "идёт", "completed": "завершён",
           "stopped": "остановлен", "video": "видео", "image": "картинка", "carousel": "карусель", "open": "открыт",
           "closed": "закрыт", "archived": "в архиве", "high": "высокий", "medium": "средний", "low": "низкий",
           "excellent": "отличный", "good": "хороший", "average": "средний", "poor": "слабый",
           "collecting": "собирает данные", "winner": "победитель", "loser": "проигравший",
           True: "да", False: "нет"},
    "en": {"ACTIVE": "active", "PAUSED": "paused", True: "yes", False: "no"},
}
PERIODS = {
    "today": ("за сегодня", "today"), "yesterday": ("за вчера", "yesterday"),
    "last_7d": ("за 7 дней", "for the last 7 days"), "last_14d": ("за 14 дней", "for the last 14 days"),
    "last_30d": ("за 30 дней", "for the last 30 days"), "last_90d": ("за 90 дней", "for the last 90 days"),
    "this_month": ("за этот месяц", "this month"), "last_month": ("за прошлый месяц", "last month"),
}


# Integer money fields that lack the "_cents" suffix in some results ({"daily_budget": 5000}).
_MONEY_KEY = re.compile(r"budget|cpl|spend|revenue|amount|price")
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-|\b\d{12,}\b")


METRIC_SOURCES = {
    "rollup": ("Источник: дневная сводка по направлениям.", "Source: the daily direction rollup."),
    "history": ("Источник: история метрик креативов (дневной сводки за период нет).",
                "Source: the creative metrics history (no daily rollup for the period)."),
}


def _t(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "ru" else pair[1]


class Writer:
    def __init__(self, lang: str, currency: str = "USD", names: dict[str, str] | None = None) -> None:
        self.lang = lang
        self.currency = currency
        self.names = names or {}  # object id → name, to say "«Виниры СПб»" instead of an id

    def say(self, ru: str, en: str) -> str:
        return ru if self.lang == "ru" else en

    # values

    def value(self, key: str, value: Any, currency: str | None = None) -> str:
        if value is None:
            return "—"
        if isinstance(value, int | float) and not isinstance(value, bool) and (
                key.endswith("_cents") or (isinstance(value, int) and _MONEY_KEY.search(key))):
            return format_money(int(value), currency or self.currency)
        if isinstance(value, bool):
            return _VALUE_WORDS[self.lang].get(value, str(value))
        if isinstance(value, int | float) and (key in _PERCENT or key.endswith("_percent")
                                               or (key[:1] == "p" and key[1:].isdigit())):
            return f"{value:g}%"
        if isinstance(value, float):
            return f"{value:,.2f}".replace(",", " ") if self.lang == "ru" else f"{value:,.2f}"
        if isinstance(value, int):
            return f"{value:,}".replace(",", " ") if self.lang == "ru" else f"{value:,}"
        if isinstance(value, list):
            return "; ".join(clip(str(v), 120) for v in value[:5]) + (" …" if len(value) > 5 else "")
        if isinstance(value, dict):
            return ", ".join(f"{k}: {self.value(k, v)}" for k, v in list(value.items())[:5] if not isinstance(v, dict))
        text = str(value)
        stamp = _TIMESTAMP.match(text)
        if stamp:  # "2026-05-19T14:05:00+00:00" → "2026-05-19 14:05"
            return f"{stamp.group(1)} {stamp.group(2)}"
        return _VALUE_WORDS[self.lang].get(text, clip(text, 200))

    def label(self, key: str) -> str:
        return _t(LABELS[key], self.lang) if key in LABELS else key.replace("_", " ")

    def fields(self, data: dict[str, Any], keys: Sequence[str], limit: int = MAX_FIELDS,
               currency: str | None = None) -> str:
        parts = []
        for key in keys:
            if key in data and data[key] not in (None, "", [], {}):
                parts.append(f"{self.label(key)} {self.value(key, data[key], currency)}")
            if len(parts) >= limit:
                break
        return ", ".join(parts)

    def period(self, period: Any) -> str:
        if not isinstance(period, dict):
            return ""
        label = period.get("label")
        if label in PERIODS:
            return _t(PERIODS[label], self.lang)
        if period.get("from") and period.get("to"):
            if period["from"] == period["to"]:
                return self.say(f"за {period['from']}", f"on {period['from']}")
            return self.say(f"с {period['from']} по {period['to']}", f"from {period['from']} to {period['to']}")
        return ""

    @staticmethod
    def name_of(item: dict[str, Any]) -> str:
        for key in ("name", "title", "contact_name", "phone", "id"):
            if item.get(key):
                return clip(str(item[key]), 80)
        return "?"

    def quote(self, name: str) -> str:
        return f"«{name}»" if self.lang == "ru" else f"“{name}”"

    # shapes

    def render(self, call: CallResult) -> str:
        """One tool's result as text; never raises."""
        try:
            text = self._render(call)
        except Exception:  # a reply must come out whatever the result looks like
            log.warning("offline writer failed on %s", call.name, exc_info=True)
            return self.compact(call.name, call.result)
        source = call.result.get("source") if isinstance(call.result, dict) else None
        if source in METRIC_SOURCES:  # two-stage metrics: the answer says which stage it came from
            text += "\n" + self.say(*METRIC_SOURCES[source])
        as_of = call.result.get("data_as_of") if isinstance(call.result, dict) else None
        if isinstance(as_of, dict) and as_of.get("local"):  # stored metrics: when they were last synced
            text += "\n" + self.say(f"Данные на {as_of['local']}.", f"Data as of {as_of['local']}.")
        return text

    def _render(self, call: CallResult) -> str:
        data = call.result
        title = _t(TITLES[call.name], self.lang) if call.name in TITLES else call.name
        if not isinstance(data, dict):
            return f"{title}: {clip(str(data), 300)}" if data not in (None, "") else title
        if data.get("approval_required"):
            return self.approval(data.get("plan") or {})
        if data.get("success") is False:
            return "⚠️ " + self.say(f"{title}: не получилось — {data.get('error') or data.get('code') or 'ошибка'}",
                                    f"{title}: failed — {data.get('error') or data.get('code') or 'error'}")
        if isinstance(data.get("message"), str) and data["message"]:
            # Tools that word their own answer (rules, reports, optimizer, breakdowns, accounts):
            # the text is built from the same figures the result carries.
            return data["message"]
        if call.name in DONE or {"verification", "dry_run", "action"} & data.keys():
            return self.write(call, data)
        currency = data.get("currency") if isinstance(data.get("currency"), str) else None
        if "stages" in data and isinstance(data["stages"], list):
            return self.funnel(title, data)
        if "series" in data and isinstance(data["series"], list):
            return self.series(call, title, data, currency)
        if "items" in data and isinstance(data["items"], list):
            return self.listing(call, title, data, currency)
        if isinstance(data.get("item"), dict):
            return self.single(call, title, data["item"], currency)
        return self.compact(title, data)

    def approval(self, plan: dict[str, Any]) -> str:
        lines = ["📋 " + self.say("Подготовил план — нужно ваше подтверждение:", "I prepared a plan — it needs your "
                                                                                  "confirmation:")]
        steps = [s for s in plan.get("steps") or [] if isinstance(s, dict)]
        if plan.get("summary") and not steps:
            lines.append(clip(str(plan["summary"]), 300))
        for i, step in enumerate(steps, 1):
            mark = "⚠️ " if step.get("dangerous") else ""
            lines.append(f"{i}. {mark}{self.step(step)}")
        lines.append(self.say("Подтвердите или отмените (да / нет).", "Approve or cancel (yes / no)."))
        return "\n".join(lines)

    def write(self, call: CallResult, data: dict[str, Any]) -> str:
        target = data.get("target") if isinstance(data.get("target"), dict) else {}
        name = target.get("name") or target.get("id") or ""
        t = self.quote(str(name)) if name else ""
        phrase = DONE.get(call.name, (f"{call.name}: выполнено {{t}}", f"{call.name}: done {{t}}"))
        done = _t(phrase, self.lang).format(t=t).replace("  ", " ").strip()
        if call.name == "updateLeadStage" and call.args.get("stage"):
            done = self.say(f"Лид {t} переведён на этап «{call.args['stage']}»",
                            f"Lead {t} is moved to the “{call.args['stage']}” stage")
        if data.get("dry_run"):
            lines = ["🧪 " + self.say(f"Пробный запуск (dry-run), ничего не изменено: {done.lower()} — проверка прошла.",
                                     f"Dry run, nothing changed: “{done}” would succeed.")]
        else:
            lines = ["✅ " + done + "."]
        verification = data.get("verification") if isinstance(data.get("verification"), dict) else None
        if verification:
            before, after = verification.get("before"), verification.get("after")
            change = f"{self.state(before)} → {self.state(after)}" if before is not None or after is not None else ""
            if _ID.search(change):  # ids (an analysis id before → after) say nothing to a marketer
                change = ""
            if verification.get("verified"):
                lines.append(self.say(f"Проверено после выполнения: {change}.", f"Verified afterwards: {change}.")
                             if change else self.say("Проверено после выполнения.", "Verified afterwards."))
            else:
                warning = verification.get("warning") or self.say("изменение не подтвердилось", "the change was not "
                                                                                                 "confirmed")
                lines.append("⚠️ " + clip(str(warning), 300))
        if data.get("cached"):
            lines.append(self.say("(Эта операция уже выполнялась — повторно не делал.)",
                                  "(This operation was already done — not repeated.)"))
        return "\n".join(lines)

    def step(self, step: dict[str, Any]) -> str:
        """A plan step as a phrase ("Поставить на паузу кампанию «Виниры СПб»"), else its description."""
        action = str(step.get("action") or "")
        params = step.get("params") if isinstance(step.get("params"), dict) else {}
        if action not in STEP:
            return clip(str(step.get("description") or action), 200)
        info = TOOLS.get(action)
        target = next((params[a] for a in (info.entity if info else {}) if a != "directionId" and a in params),
                      params.get("directionId"))
        amount = next((params[k] for k in ("dailyBudgetCents", "targetCplCents", "budgetCents") if k in params), None)
        text = _t(STEP[action], self.lang).format(
            t=self.quote(self.names.get(str(target), str(target))) if target is not None else "",
            d=self.quote(self.names.get(str(params.get("directionId")), str(params.get("directionId")))),
            amount=format_money(int(amount), self.currency) if isinstance(amount, int) else "—",
            stage=params.get("stage", ""), n=len(params.get("phones") or []))
        return text[:1].upper() + text[1:]

    def state(self, value: Any, key: str = "") -> str:
        """A verified before/after state: {"status": "ACTIVE"} → "активна", {"daily_budget": 5000} → "$50.00"."""
        if isinstance(value, dict):
            if len(value) == 1:
                inner_key, inner = next(iter(value.items()))
                return self.state(inner, inner_key)
            return ", ".join(f"{self.label(k)} {self.value(k, v)}" for k, v in list(value.items())[:4])
        return self.value(key, value)

    def totals(self, total: Any, currency: str | None) -> str:
        return self.fields(total, TOTAL_FIELDS, limit=6, currency=currency) if isinstance(total, dict) else ""

    def listing(self, call: CallResult, title: str, data: dict[str, Any], currency: str | None) -> str:
        items = [i for i in data["items"] if isinstance(i, dict)]
        count = data.get("count") if isinstance(data.get("count"), int) else len(items)
        total = data.get("total") if isinstance(data.get("total"), dict) else {}
        real = total.get(TOTAL_COUNT.get(call.name, ""))
        if isinstance(real, int) and not isinstance(real, bool) and real > count:
            count = real  # "… и ещё N" counts what exists, not only the page that came back
        if call.name == "getDialogs" and call.args.get("awaitingReply"):
            title = self.say("Диалоги, где ждут нашего ответа", "Dialogs waiting for our reply")
        head = f"{title} {self.period(data.get('period'))}".strip()
        if call.name == "getDialogMessages":
            return self.messages(data, items)
        if not items:
            return head + ": " + self.say("ничего не нашлось.", "nothing found.")
        lines = [f"{head} ({count}):"]
        totals = self.totals(data.get("total"), currency)
        if totals:
            lines[0] = f"{head} — {self.say('итого', 'total')}: {totals}."
        keys = ITEM_FIELDS.get(call.name, DEFAULT_FIELDS)
        for i, item in enumerate(items[:MAX_LISTED], 1):
            facts = self.fields(item, keys, currency=currency)
            lines.append(f"{i}. {self.name_of(item)}" + (f" — {facts}" if facts else ""))
        shown = min(len(items), MAX_LISTED)  # the footer counts what is really left out
        if count > shown:
            lines.append(self.say(f"… и ещё {count - shown}.", f"… and {count - shown} more."))
        return "\n".join(lines)

    def messages(self, data: dict[str, Any], items: list[dict[str, Any]]) -> str:
        dialog = data.get("dialog") if isinstance(data.get("dialog"), dict) else {}
        who = self.name_of(dialog) if dialog else ""
        title = _t(TITLES["getDialogMessages"], self.lang)
        lines = [f"{title} — {self.quote(who)}:" if who else f"{title}:"]
        for item in items[-MAX_ITEMS:]:
            inbound = item.get("direction") == "in"
            speaker = self.say("клиент", "client") if inbound else self.say("мы", "us")
            lines.append(f"{'←' if inbound else '→'} {speaker}: {clip(str(item.get('text') or ''), 200)}")
        if not items:
            lines.append(self.say("сообщений нет.", "no messages."))
        return "\n".join(lines)

    def single(self, call: CallResult, title: str, item: dict[str, Any], currency: str | None) -> str:
        lines = [f"{title} {self.quote(self.name_of(item))}:"]
        if call.name == "getCreativeTranscript":
            text = item.get("transcript")
            lines.append(f"“{clip(str(text), 700)}”" if text else self.say("транскрипции нет.", "no transcript."))
            return "\n".join(lines)
        for key in DETAIL_FIELDS:
            if key in item and item[key] not in (None, "", [], {}):
                lines.append(f"• {self.label(key)}: {self.value(key, item[key], currency)}")
        insights = item.get("insights")
        if isinstance(insights, dict) and insights.get("next_action"):
            lines.append(f"• {self.label('next_action')}: {clip(str(insights['next_action']), 200)}")
        if len(lines) == 1:
            return self.compact(title, item)
        return "\n".join(lines[:14])

    def series(self, call: CallResult, title: str, data: dict[str, Any], currency: str | None) -> str:
        owner = next((data[k] for k in ("creative", "direction", "campaign") if isinstance(data.get(k), dict)), None)
        head = f"{title} {self.quote(self.name_of(owner))}" if owner else title
        head = f"{head} {self.period(data.get('period'))}".strip()
        lines = [head + (f": {self.totals(data.get('total'), currency)}." if data.get("total") else ":")]
        days = [d for d in data["series"] if isinstance(d, dict)]
        spent = [d for d in days if isinstance(d.get("spend_cents"), int)]
        if len(days) <= 1:  # one day: the totals already say it all
            days = []
        if len(spent) > 1:
            best = max(spent, key=lambda d: (d.get("leads") or 0, -(d.get("spend_cents") or 0)))
            lines.append(self.say("Лучший день", "Best day") + f": {best.get('date')} — "
                         + self.fields(best, ("spend_cents", "leads", "cpl_cents"), currency=currency))
        for d in days[-5:]:
            lines.append(f"{d.get('date')}: " + self.fields(d, ("spend_cents", "leads", "cpl_cents"), currency=currency))
        retention = data.get("retention")
        if isinstance(retention, dict):
            points = ", ".join(f"{k[1:]}% — {self.value(k, v)}" for k, v in retention.items())
            lines.append(self.say(f"Досмотры: {points}.", f"Retention: {points}."))
        return "\n".join(lines)

    def funnel(self, title: str, data: dict[str, Any]) -> str:
        lines = [f"{title} {self.period(data.get('period'))}:".replace(" :", ":")]
        for stage in data["stages"]:
            if not isinstance(stage, dict):
                continue
            conv = stage.get("conversion_from_previous")
            tail = f" ({self.value('ctr', conv)} {self.say('от предыдущего', 'of the previous')})" if conv is not None \
                else ""
            lines.append(f"• {stage.get('name')}: {self.value('count', stage.get('count'))}{tail}")
        total = data.get("total") if isinstance(data.get("total"), dict) else {}
        weakest = total.get("weakest_step")
        if isinstance(weakest, dict) and weakest.get("from") and weakest.get("to"):
            conv = weakest.get("conversion")
            lines.append(self.say(
                f"Слабое место: {weakest['from']} → {weakest['to']}" + (f" ({conv}%)" if conv is not None else ""),
                f"Weakest step: {weakest['from']} → {weakest['to']}" + (f" ({conv}%)" if conv is not None else "")))
        return "\n".join(lines)

    def compact(self, title: str, data: Any) -> str:
        """Any shape: scalars as "key: value", lists and objects by size."""
        if not isinstance(data, dict):
            try:
                return f"{title}: {clip(json.dumps(data, ensure_ascii=False, default=str), 400)}"
            except (TypeError, ValueError):
                return f"{title}: {clip(str(data), 400)}"
        parts = []
        for key, value in list(data.items())[:12]:
            if isinstance(value, list):
                parts.append(f"{self.label(key)}: {len(value)}")
            elif isinstance(value, dict):
                parts.append(f"{self.label(key)}: {self.value(key, value)}")
            else:
                parts.append(f"{self.label(key)}: {self.value(key, value)}")
        return f"{title}: " + "; ".join(parts) if parts else title

    # notes from the parser

    def ranking(self, note: dict[str, Any], results: Sequence[CallResult]) -> str | None:
        """"Какая кампания худшая по цене лида": name the worst (or best) row of the breakdown."""
        rows = [i for r in results if r.name == "getSpendReport" and isinstance(r.result, dict)
                for i in r.result.get("items") or [] if isinstance(i, dict) and i.get("spend_cents")]
        if not rows:
            return None
        kind = {"campaign": ("кампания", "campaign"), "adset": ("адсет", "ad set"),
                "direction": ("направление", "direction")}.get(str(note.get("kind")), ("", ""))
        worst = note.get("rank") == "worst"
        if note.get("by") == "spend":
            pick = max(rows, key=lambda i: i["spend_cents"]) if worst else min(rows, key=lambda i: i["spend_cents"])
            facts = self.fields(pick, ("spend_cents", "leads", "cpl_cents"))
            return self.say(f"{'Больше' if worst else 'Меньше'} всего потратила {kind[0]} {self.quote(self.name_of(pick))}"
                            f": {facts}.", f"The {kind[1]} that spent the {'most' if worst else 'least'}: "
                            f"{self.quote(self.name_of(pick))} — {facts}.")
        with_leads = [i for i in rows if i.get("leads") and isinstance(i.get("cpl_cents"), int)]
        no_leads = sorted((i for i in rows if not i.get("leads")), key=lambda i: -i["spend_cents"])
        lines = []
        if worst and no_leads:
            pick = no_leads[0]
            lines.append(self.say(
                f"Хуже всех — {kind[0]} {self.quote(self.name_of(pick))}: потрачено "
                f"{self.value('spend_cents', pick['spend_cents'])} без единого лида.",
                f"The worst {kind[1]} is {self.quote(self.name_of(pick))}: {self.value('spend_cents', pick['spend_cents'])}"
                f" spent without a single lead."))
        if with_leads and not (worst and no_leads):
            pick = max(with_leads, key=lambda i: i["cpl_cents"]) if worst else min(with_leads, key=lambda i: i["cpl_cents"])
            facts = self.fields(pick, ("cpl_cents", "spend_cents", "leads"))
            lines.append(self.say(
                f"{'Худшая' if worst else 'Лучшая'} по цене лида — {kind[0]} {self.quote(self.name_of(pick))}: {facts}.",
                f"The {'worst' if worst else 'best'} {kind[1]} by cost per lead is {self.quote(self.name_of(pick))}: "
                f"{facts}."))
        return " ".join(lines) or None

    def relative_change(self, note: dict[str, Any], results: Sequence[CallResult]) -> str | None:
        """The proposal for "увеличь бюджет на 20%": current value from the read, new value computed."""
        field_name, target = note.get("field"), note.get("target_id")
        current = None
        for call in results:
            data = call.result if isinstance(call.result, dict) else {}
            candidates = [data["item"]] if isinstance(data.get("item"), dict) else []
            candidates += [i for i in data.get("items") or [] if isinstance(i, dict)]
            for item in candidates:
                if str(item.get("id")) == str(target) and isinstance(item.get(field_name), int):
                    current = item[field_name]
        if current is None or not field_name:
            return None
        new = apply_change(current, note["relative"])
        cpl = "cpl" in field_name
        what = self.say("целевой CPL" if cpl else "дневной бюджет", "target CPL" if cpl else "daily budget")
        t = self.quote(str(note.get("target_name") or target))
        amount = format_money(new, self.currency)
        name = note.get("target_name") or target
        adset = note.get("tool") == "updateBudget"
        command = self.say(
            f"поставь {'целевой CPL' if cpl else 'бюджет'} {'адсета' if adset else 'направления'} {name} {amount}",
            f"set the {'target CPL' if cpl else 'budget'} of {'ad set' if adset else 'direction'} {name} to {amount}")
        if self.lang == "ru":
            return (f"Сейчас {what} {t} — {format_money(current, self.currency)}; после изменения будет {amount}. "
                    f"Чтобы применить, напишите: «{command}».")
        return (f"The current {what} of {t} is {format_money(current, self.currency)}; after the change it would be "
                f"{amount}. To apply it, say: “{command}”.")


def render_reply(results: Sequence[CallResult], *, lang: str, currency: str, intents: Sequence[Intent] = (),
                 questions: Sequence[str] = (), names: dict[str, str] | None = None) -> str:
    """The whole reply to a round of tool results (plus the parser's notes and open questions)."""
    writer = Writer(lang, currency, names)
    parts = [writer.render(r) for r in results]
    for intent in intents:
        if intent.note and intent.note.get("rank"):
            answer = writer.ranking(intent.note, results)
            if answer:
                parts.insert(0, answer)  # the answer first, the breakdown behind it
        if intent.note and intent.note.get("field"):
            proposal = writer.relative_change(intent.note, results)
            if proposal:
                parts.append(proposal)
    parts += list(questions)
    text = "\n\n".join(p for p in parts if p)
    return text or writer.say("Готово.", "Done.")

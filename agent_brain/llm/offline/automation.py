"""The offline model's reading of the wave-2 capabilities: rules and alerts, scheduled reports, the budget
optimizer, breakdowns, several ad accounts, A/B verdicts and creative rotation.

These requests have a shape of their own («если CPL адсета выше $40 за сутки — ставь на паузу»,
«каждое утро в 9 присылай расходы») that the clause rules would misread as the nearest read or
write, so they are recognised first, as a whole message. A rule is never guessed: without a metric
and a threshold the answer is a question. Everything here is pattern matching on the user's own
words — no instructions from anywhere else are read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_brain.llm.base import Entity
from agent_brain.llm.offline.clause import Intent
from agent_brain.llm.offline.extract import Scan, extract_money, extract_percent, extract_period
from agent_brain.llm.offline.text import normalise


@dataclass
class Understood:
    intents: list[Intent] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    about: str = ""  # the tool a question is for: only the agent that has it asks


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


_RULE = _rx(r"правил", r"автоправил", r"rule\b", r"rules\b", r"предупред", r"уведом(?!лени[ея] о)", r"оповест",
            r"alert", r"notify me", r"let me know (?:if|when)", r"сообщи(?:те)? (?:мне )?(?:если|когда)",
            r"напиши(?:те)? (?:мне )?(?:если|когда)", r"если\s.{1,80}?(?:—|-|,|то\s)", r"(?:,|—|-)\s*(?:если|когда)\s", r"if\s.{1,80}?(?:,|then)",
            r"(?:,|—|-)\s*(?:if|when(?:ever)?)\s",
            r"when(?:ever)?\s.{1,60}?(?:exceeds|goes over|goes above|drops below|is above|is below|,)")
_CONDITION_METRIC = {
    "cpl": _rx(r"cpl", r"цпл", r"цен\w* (?:за )?(?:лида|заявки|лид\b)", r"стоимост\w* (?:лида|заявки)",
               r"cost per lead", r"cpa\b"),
    "ctr": _rx(r"ctr", r"кликабельност"),
    "cpm": _rx(r"cpm", r"цен\w* (?:за )?(?:1000|тысяч)"),
    "frequency": _rx(r"частот", r"frequency"),
    "spend": _rx(r"расход", r"трат", r"потрат", r"spend", r"spent"),
    "leads": _rx(r"лид", r"заяв(?:ок|к)", r"leads?\b"),
}
_ABOVE = _rx(r"выше", r"больше", r"более", r"превыс", r"above", r"over", r"more than", r"exceeds?", r"greater than",
             r"goes over", r"goes above", r"дороже")
_BELOW = _rx(r"ниже", r"меньше", r"менее", r"below", r"under", r"less than", r"drops below", r"fewer than", r"дешевле")
_LEVELS = (("adset", _rx(r"адсет", r"ад сет", r"ad sets?", r"adsets?", r"групп\w* объявлени")),
           ("campaign", _rx(r"кампани", r"компани", r"campaigns?")),
           ("direction", _rx(r"направлени", r"directions?")),
           ("creative", _rx(r"креатив", r"creatives?")),
           ("ad", _rx(r"объявлени", r"\bads?\b")))
_PAUSE = _rx(r"пауз", r"останов", r"выключ", r"отключ", r"pause", r"stop", r"turn (?:it |them )?off")
_RESUME = _rx(r"включ(?!ен)", r"возобнов", r"resume", r"turn (?:it |them )?on", r"unpause")
_RAISE = _rx(r"увелич", r"подним", r"повыш", r"повыс", r"raise", r"increase", r"boost", r"scale up")
_LOWER = _rx(r"уменьш", r"сниж", r"сниз", r"пониж", r"сократ", r"lower", r"decrease", r"reduce", r"cut")
_BUDGET = _rx(r"бюджет", r"budget")
_AUTO = _rx(r"автоматически", r"сам(?:о|а)?\b", r"без подтверждени", r"automatically", r"on (?:its|it's) own",
            r"without (?:asking|confirmation)", r"auto mode", r"в режиме auto")
_DAY_WINDOW = _rx(r"за сутки", r"за день", r"в день", r"за 24 ?ч", r"(?:a|per|over a|in a) day", r"daily", r"за сегодня")
_N_DAYS = re.compile(r"(?:за|over|in|for)\s+(?:the\s+(?:last|past)\s+)?(\d{1,2})\s*(?:дн|дня|дней|days?)", re.I)
_WEEK_WINDOW = _rx(r"за неделю", r"(?:a|per|over a|in a|over the) week", r"weekly")

_SCHEDULE = _rx(r"присыла", r"присылать", r"отправля(?:й|йте|ть)", r"шли\b", r"кажд\w+ (?:утр|вечер|день|дня|недел|"
                r"понедельник|вторник|сред|четверг|пятниц|суббот|воскресень)", r"ежедневн", r"еженедельн",
                r"every (?:morning|evening|day|week|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
                r"each (?:morning|day|week)", r"(?:daily|weekly) (?:report|summary)")
_REPORT = _rx(r"отч[её]т", r"расход", r"лид", r"заявк", r"итог", r"сводк", r"статистик", r"report", r"spend",
              r"leads?\b", r"summary", r"results")
_WEEKDAYS = (("понедельник|monday", 0), ("вторник|tuesday", 1), ("сред[ау]|wednesday", 2), ("четверг|thursday", 3),
             ("пятниц|friday", 4), ("суббот|saturday", 5), ("воскресень|sunday", 6))
_AT_TIME = re.compile(r"(?:в|at|к)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|утра|вечера|дня|ч\b|час\w*)?", re.I)
_HOUR_WORD = re.compile(r"(\d{1,2})\s*(am|pm|утра|вечера)", re.I)

_LIST_RULES = _rx(r"(?:какие|мои|покажи|список|все)\s+(?:у меня\s+)?(?:есть\s+)?правил", r"(?:list|show|my|which)\s+"
                  r"(?:my\s+)?(?:automation\s+)?rules", r"rules do i have")
_RULE_ACTIVITY = _rx(r"что (?:сделали|делали|натворили) правил", r"правила? (?:сработал|срабатывал)",
                     r"(?:what|which) (?:did|have) (?:the |my )?rules", r"rules? (?:fired|did)", r"журнал правил",
                     r"активност\w* правил", r"rule activity")
_LIST_REPORTS = _rx(r"какие отч[её]ты (?:ты )?(?:присылаешь|шлешь|отправляешь)", r"мои (?:регулярные )?отч[её]ты",
                    r"(?:which|my|list) scheduled reports", r"what reports do you send")
_OPTIMIZE = _rx(r"оптимизир\w* бюджет", r"оптимизируй", r"оптимизац\w* бюджет", r"перераспредели\w* бюджет",
                r"optimi[sz]e (?:the |my |our )?budgets?", r"budget optimi[sz]ation", r"optimi[sz]e spend",
                r"rebalance (?:the )?budgets?")
_BREAKDOWN = (("age_gender", _rx(r"(?:по )?возраст\w* и пол", r"пол\w* и возраст", r"age and gender",
                                 r"gender and age", r"age ?[x×] ?gender")),
              ("age", _rx(r"по возраст", r"возрастам", r"by age", r"age breakdown", r"age groups?")),
              ("gender", _rx(r"по пол[уа]\b", r"мужчин\w* и женщин", r"by gender", r"gender breakdown", r"men and women")),
              ("placement", _rx(r"по площадкам", r"по плейсмент", r"плейсмент", r"by placement", r"placements?",
                                r"instagram (?:или|or|vs) facebook", r"facebook (?:или|or|vs) instagram")),
              ("region", _rx(r"по регион", r"по город", r"by region", r"by city", r"regions?\b")),
              ("device", _rx(r"по устройств", r"by device", r"devices?\b", r"iphone (?:или|or|vs) android")),
              ("hour", _rx(r"по час", r"по времени суток", r"by hour", r"hour of (?:the )?day", r"time of day")))
# The whole message asks for the list (not "spend for all accounts", which is several accounts at once).
_ACCOUNTS = re.compile(r"^\W*(?:покажи\s+|show\s+|list\s+|какие\s+|which\s+)?(?:мне\s+|me\s+)?(?:все\s+|all\s+)?"
                       r"(?:мои\s+|my\s+|у меня\s+)?(?:рекламн\w+\s+)?(?:кабинет\w*|аккаунт\w*|ad accounts?)"
                       r"(?:\s+(?:у меня|есть|do i have|are there|подключен\w*|connected))*\W*$", re.I)
_SWITCH = re.compile(r"(?:переключи\w*|перейди|switch)\s+(?:на|to)\s+(?:(?:рекламн\w+\s+)?(?:кабинет\w*|аккаунт\w*)|"
                     r"(?:the\s+)?(?:ad\s+)?account)?\s*[«\"“]?(?P<name>[^»\"”]*)", re.I)
_AB = _rx(r"a/b", r"ab[- ]тест", r"аб[- ]тест", r"сплит", r"тест\w*", r"test\w*")
_AB_STATUS = _rx(r"как ид[её]т", r"как проход", r"результат", r"итог", r"кто (?:побе|выигр)", r"победител",
                 r"how is", r"how's", r"results?", r"winner", r"who (?:won|wins)", r"significan", r"значим")
_ROTATION = _rx(r"ротац", r"bandit", r"бандит", r"распредел\w* показ", r"какой креатив (?:лучше|сильнее|выигрывает)",
                r"which creative (?:is best|wins|performs best)", r"shift delivery", r"thompson",
                r"creative rotation", r"rotate (?:the |my )?creatives")


def understand(message: str, lang: str, entities: dict[str, Sequence[Entity]], today: dt.date,
               available: set[str]) -> Understood | None:
    """Intents (or a question) for one of these requests, or None when the message is not one."""
    text = normalise(message)
    ru = lang == "ru"
    for reader in (_strategy_rule, _edit_rule, _numbered, _activity, _list_rules, _list_reports, _schedule, _rule, _optimize, _breakdown,
                   _accounts, _switch, _ab_test, _rotation):
        found = reader(text, message, ru, entities, today)
        if found is not None and all(i.tool in available for i in found.intents) and (
                found.intents or not found.about or found.about in available):
            return found
    return None


# ── rules and alerts ──────────────────────────────────────────────────────────────────────────


def _rule(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
          today: dt.date) -> Understood | None:
    if not _RULE.search(text):
        return None
    metric = next((m for m, rx in _CONDITION_METRIC.items() if rx.search(text)), None)
    scan = Scan(text)
    percent = extract_percent(Scan(text))
    money = extract_money(scan)
    if metric is None or (metric in ("cpl", "cpm", "spend") and not money):
        return Understood(questions=[
            "Какое условие у правила? Например: «если CPL адсета выше $40 за сутки — ставь его на паузу» или "
            "«предупреди, если расход за день больше $200»." if ru else
            "What is the rule's condition? For example: “if an ad set's CPL is above $40 over a day, pause it” or "
            "“alert me if daily spend exceeds $200”."])
    if metric in ("cpl", "cpm", "spend"):
        threshold: float = money[0].cents
    elif metric == "ctr":
        threshold = percent if percent is not None else _number(text)
    else:
        threshold = _number(text)
    if threshold is None:
        return Understood(questions=["Какой порог? Например: «CTR ниже 1%»." if ru else
                                     "What threshold? For example: “CTR below 1%”."])
    level = _level(text)
    action, value = _action(text, percent, money)
    args: dict[str, Any] = {"level": level, "metric": metric, "operator": "<" if _BELOW.search(text) and not
                            _ABOVE.search(text) else ">", "threshold": threshold, "windowDays": _window(text),
                            "action": action}
    if value is not None:
        args["actionValue"] = value
    if action != "notify" and _AUTO.search(text):
        args["mode"] = "auto"
    name = _named(original, entities, level)
    if name:
        args["scopeName"] = name
    return Understood(intents=[Intent("previewRule", dict(args)), Intent("createRule", args)])


def _level(text: str) -> str:
    for level, rx in _LEVELS:
        if rx.search(text):
            return level
    return "account"


def _action(text: str, percent: float | None, money: list[Any]) -> tuple[str, float | None]:
    if _BUDGET.search(text) and (_RAISE.search(text) or _LOWER.search(text)) and percent:
        return "budget_pct", percent if _RAISE.search(text) else -percent
    if _PAUSE.search(text):
        return "pause", None
    if _RESUME.search(text):
        return "resume", None
    return "notify", None


def _window(text: str) -> int:
    if m := _N_DAYS.search(text):
        return max(1, min(90, int(m.group(1))))
    if _WEEK_WINDOW.search(text):
        return 7
    return 1


def _number(text: str) -> float | None:
    m = re.search(r"(?<![\w$])(\d+(?:[.,]\d+)?)(?!\s*(?:дн|дня|дней|days?|ч\b|час))", text)
    return float(m.group(1).replace(",", ".")) if m else None


def _named(original: str, entities: dict[str, Sequence[Entity]], kind: str) -> str | None:
    """The name of an object of `kind` the message names (the longest match), if any."""
    low = original.casefold()
    names = [e.name for e in entities.get(kind, ()) if e.name and e.name.casefold() in low]
    return max(names, key=len) if names else None


_NUMBERED = re.compile(r"(?P<verb>выключи\w*|отключи\w*|останови\w*|включи\w*|удали\w*|отмени\w*|убери\w*|"
                       r"disable|turn off|pause|enable|turn on|delete|remove|cancel|stop)\s+(?:the\s+)?"
                       r"(?P<what>правило|rule|отч[её]т|report)\s*(?:№|#|номер|number|no\.?)?\s*(?P<n>\d{1,3})", re.I)


def _numbered(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
              today: dt.date) -> Understood | None:
    """«выключи правило 2», «удали отчёт 1», "delete rule 3": by the number the lists show."""
    m = _NUMBERED.search(text)
    if not m:
        return None
    verb, n = m.group("verb").lower(), int(m.group("n"))
    if m.group("what").lower().startswith(("отч", "report")):
        return Understood(intents=[Intent("cancelReportSchedule", {"reportNumber": n})])
    if verb.startswith(("удали", "убери", "delete", "remove", "cancel", "отмени")):
        return Understood(intents=[Intent("deleteRule", {"ruleNumber": n})])
    enabled = verb.startswith(("включи", "enable", "turn on"))
    return Understood(intents=[Intent("setRuleEnabled", {"ruleNumber": n, "enabled": enabled})])


_EDIT = _rx(r"помен\w*", r"измени\w*", r"смени\w*", r"постав\w*", r"сделай\w*", r"установи\w*", r"переведи\w*",
            r"обнови\w*", r"подними\w*", r"снизь\w*", r"пусть", r"change", r"set", r"make", r"update", r"edit",
            r"switch", r"modify", r"raise", r"lower", r"move")
_NEW_RULE = _rx(r"созда\w*", r"добав\w*", r"нов\w+ правил", r"create", r"add", r"new rule", r"если", r"когда", r"if",
                r"when")
_RULE_NUMBER = re.compile(r"(?:правил\w*|rule)\s*(?:№|#|номер|number|no\.?)?\s*(?P<n>\d{1,3})(?!\s*(?:%|\$|ч\b|час|h\b|"
                          r"hours?|дн|days?))", re.I)
_RULE_ABOUT = _rx(r"правил\w*\s+(?:про|по|для|о|об|на)\s+", r"rule\s+(?:about|for|on)\s+", r"\w+\s+rule\b",
                  r"правил\w*\s+\w+")
_EVERY_HOURS = re.compile(r"(?:кажды\w*|раз в|every|each)\s+(?:(?P<n>\d{1,3})\s*)?(?:ч\b|час\w*|h\b|hours?)", re.I)
_THRESHOLD = _rx(r"порог", r"threshold", r"границ", r"limit")
_PROPOSE = _rx(r"с подтверждени", r"предлага\w*", r"на подтверждени", r"propose", r"with (?:approval|confirmation)",
               r"ask(?:ing)? first")


def _edit_rule(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
               today: dt.date) -> Understood | None:
    """«поменяй порог правила 2 на $35», «сделай правило про CPL каждые 2 часа», "set rule 1 to auto":
    a change to an existing rule, named by its number or its metric; restated and backtested, then a plan."""
    if not (_EDIT.search(text) and re.search(r"правил|rule", text)) or _NEW_RULE.search(text):
        return None
    ref: dict[str, Any]
    rest = text
    if m := _RULE_NUMBER.search(text):
        ref = {"ruleNumber": int(m.group("n"))}
        rest = text[:m.start()] + " " + text[m.end():]
    else:
        metric = next((k for k, rx in _CONDITION_METRIC.items() if rx.search(text)), None)
        if metric is None or not _RULE_ABOUT.search(text):
            return None
        ref = {"ruleMetric": metric}
    changes: dict[str, Any] = {}
    if m := _EVERY_HOURS.search(rest):
        changes["scheduleHours"] = max(1, min(168, int(m.group("n") or 1)))
        rest = rest[:m.start()] + " " + rest[m.end():]
    if m := _N_DAYS.search(rest):
        changes["windowDays"] = max(1, min(90, int(m.group(1))))
        rest = rest[:m.start()] + " " + rest[m.end():]
    if _AUTO.search(rest) or re.search(r"(?<!\w)(?:авто|auto)(?!\w)", rest):
        changes["mode"] = "auto"
    elif _PROPOSE.search(rest):
        changes["mode"] = "propose"
    money = extract_money(Scan(rest))
    if money:
        changes["threshold"] = money[0].cents
    elif _THRESHOLD.search(rest):
        percent = extract_percent(Scan(rest))
        number = percent if percent is not None else _number(rest)
        if number is not None:
            changes["threshold"] = number
    if not changes:
        return Understood(about="updateRule", questions=[
            "Что изменить в правиле? Например: «поменяй порог правила 2 на $35» или «проверяй правило 1 каждые "
            "2 часа»." if ru else
            "What should change in the rule? For example: “change rule 2's threshold to $35” or “check rule 1 "
            "every 2 hours”."])
    args = {**ref, **changes}
    return Understood(intents=[Intent("previewRuleUpdate", dict(args)), Intent("updateRule", args)])


def _list_rules(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
                today: dt.date) -> Understood | None:
    return Understood(intents=[Intent("listRules", {})]) if _LIST_RULES.search(text) else None


def _activity(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
              today: dt.date) -> Understood | None:
    if not _RULE_ACTIVITY.search(text):
        return None
    days = 30 if re.search(r"месяц|month", text) else 1 if re.search(r"сегодня|today", text) else 7
    return Understood(intents=[Intent("getRuleActivity", {"days": days})])


# ── scheduled reports ─────────────────────────────────────────────────────────────────────────


def _list_reports(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
                  today: dt.date) -> Understood | None:
    return Understood(intents=[Intent("listReportSchedules", {})]) if _LIST_REPORTS.search(text) else None


def _schedule(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
              today: dt.date) -> Understood | None:
    if not (_SCHEDULE.search(text) and _REPORT.search(text)) or _RULE.search(text):
        return None
    weekday = next((n for words, n in _WEEKDAYS if re.search(words, text)), None)
    weekly = weekday is not None or bool(re.search(r"недел|week", text))
    hour, minute = _time(text)
    args: dict[str, Any] = {"kind": "weekly" if weekly else "daily", "hour": hour, "minute": minute}
    if weekly:
        args["weekday"] = weekday if weekday is not None else 0
    return Understood(intents=[Intent("createReportSchedule", args)])


def _time(text: str) -> tuple[int, int]:
    for m in _AT_TIME.finditer(text):
        hour, minute, suffix = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
        if suffix in ("pm", "вечера") and hour < 12:
            hour += 12
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return hour, minute
    if m := _HOUR_WORD.search(text):
        hour = int(m.group(1)) + (12 if m.group(2).lower() in ("pm", "вечера") and int(m.group(1)) < 12 else 0)
        return min(hour, 23), 0
    return (19, 0) if re.search(r"вечер|evening", text) else (9, 0)


# ── optimisation, breakdowns, accounts, experiments ───────────────────────────────────────────


_RECURRING = _rx(r"кажд\w+ (?:день|дня|утро|вечер|сутки|недел\w*|\d{1,3}\s*(?:ч\b|час))", r"ежедневн\w*",
                 r"еженедельн\w*", r"раз в (?:день|сутки|неделю)", r"регулярно", r"по расписанию", r"every (?:day|morning|"
                 r"week|\d{1,3}\s*(?:h\b|hours?))", r"daily", r"weekly", r"regularly", r"on a schedule")


def _strategy_rule(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
                   today: dt.date) -> Understood | None:
    """«Оптимизируй бюджеты каждый день», "rotate creatives in ad set X every day": the optimizer or the
    bandit saved as a rule on a schedule (a plan to confirm), not run once."""
    optimizer, bandit = _OPTIMIZE.search(text), _ROTATION.search(text)
    if not (optimizer or bandit) or not _RECURRING.search(text):
        return None
    args: dict[str, Any] = {"kind": "optimizer" if optimizer else "bandit"}
    if m := _EVERY_HOURS.search(text):
        args["scheduleHours"] = max(1, min(168, int(m.group("n") or 1)))
    elif re.search(r"недел|week", text):
        args["scheduleHours"] = 168
    days = _window(text)
    if days >= 3:
        args["days"] = min(days, 30)
    if _AUTO.search(text):
        args["mode"] = "auto"
    if bandit and not optimizer:
        name = _named(original, entities, "adset")
        if name is None:
            return Understood(about="createStrategyRule", questions=[
                "Для какого адсета настроить ротацию креативов? Назовите его." if ru else
                "Which ad set should the creative rotation watch? Name it."])
        args["adsetId"] = next(e for e in entities["adset"] if e.name == name).id
    return Understood(intents=[Intent("createStrategyRule", args)])


def _optimize(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
              today: dt.date) -> Understood | None:
    if not _OPTIMIZE.search(text):
        return None
    days = _window(text)
    return Understood(intents=[Intent("optimizeBudgets", {"days": days if days >= 3 else 7})])


def _breakdown(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
               today: dt.date) -> Understood | None:
    kind = next((k for k, rx in _BREAKDOWN if rx.search(text)), None)
    if kind is None or not re.search(r"разбивк|разрез|по |by |breakdown|split|какой|какая|какие|which|who", text):
        return None
    args: dict[str, Any] = {"breakdown": kind}
    period = extract_period(Scan(text), today)
    if period is not None:
        args.update(period.args())
    name = _named(original, entities, "campaign")
    if name:
        campaign = next(e for e in entities["campaign"] if e.name == name)
        args["campaignId"] = campaign.id
    return Understood(intents=[Intent("getBreakdownReport", args)])


def _accounts(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
              today: dt.date) -> Understood | None:
    return Understood(intents=[Intent("listAdAccounts", {})]) if _ACCOUNTS.search(text) else None


def _switch(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
            today: dt.date) -> Understood | None:
    m = _SWITCH.search(original)
    if not m or not re.search(r"кабинет|аккаунт|account", text):
        return None
    name = m.group("name").strip(" .!?»\"”")
    vague = re.fullmatch(r"(?:друг\w*|втор\w*|ещ[её] од\w*|another|other|second|the other)(?:\s+\w+){0,3}", name or "x",
                         re.I)
    if not name or vague:  # «на другой кабинет»: show them, the user picks
        return Understood(intents=[Intent("listAdAccounts", {})], questions=[
            "На какой кабинет переключиться? Назовите его." if ru else "Which account should I switch to? Name it."])
    return Understood(intents=[Intent("switchAdAccount", {"account": name[:200]})])


def _ab_test(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
             today: dt.date) -> Understood | None:
    if not (_AB.search(text) and _AB_STATUS.search(text)):
        return None
    low = original.casefold()
    named = [e for e in entities.get("creative", ()) if e.name and e.name.casefold() in low]
    ids = list(dict.fromkeys(e.id for e in sorted(named, key=lambda e: low.index(e.name.casefold()))))
    if len(ids) < 2:
        return None  # one creative or none: the tests list answers it
    args: dict[str, Any] = {"creativeIds": ids[:5]}
    period = extract_period(Scan(text), today)
    args.update(period.args() if period is not None else {"period": "last_30d"})
    return Understood(intents=[Intent("analyzeABTest", args)])


def _rotation(text: str, original: str, ru: bool, entities: dict[str, Sequence[Entity]],
              today: dt.date) -> Understood | None:
    if not _ROTATION.search(text):
        return None
    name = _named(original, entities, "adset")
    if name is None:
        return Understood(about="suggestCreativeRotation", questions=["Для какого адсета? Назовите его — я сравню его креативы." if ru else
                                     "Which ad set? Name it and I will compare its creatives."])
    adset = next(e for e in entities["adset"] if e.name == name)
    return Understood(intents=[Intent("suggestCreativeRotation", {"adsetId": adset.id})])

"""Arguments for a chosen tool: objects (named, partly named, in context), periods, money, filters.

When something the call needs is missing or ambiguous, `Missing` carries the question to ask."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agent_brain.llm.base import Entity
from agent_brain.llm.offline import lexicon
from agent_brain.llm.offline.clause import Clause, Ctx, Intent
from agent_brain.llm.offline.extract import Money, extract_stage
from agent_brain.llm.offline.lexicon import FOCUS_KEYS, FUNCTION_WORDS, TOOLS
from agent_brain.llm.offline.questions import options, q_ambiguous, q_not_found, q_which, quote, say
from agent_brain.llm.offline.resolve import partial_candidates, pick, top_level, unique
from agent_brain.llm.offline.rules import ranked_kind
from agent_brain.llm.offline.text import normalise, word_set
from agent_brain.money import format_money


class Missing(Exception):
    """An argument cannot be filled: the question to ask instead, and the objects to choose from."""

    def __init__(self, question: str, kind: str | None = None, candidates: Sequence[Entity] = ()) -> None:
        super().__init__(question)
        self.question = question
        self.kind = kind
        self.candidates = list(candidates)


@dataclass
class Builder:
    """Fills one tool's arguments for a clause."""

    c: Clause
    ctx: Ctx
    tool: str

    @property
    def lang(self) -> str:
        return self.ctx.lang

    # entities

    def entities(self, kind: str, *, required: bool) -> list[Entity]:
        """The objects of `kind` the clause means: named, partly named, elsewhere in the message, or in context."""
        chosen_now = self.ctx.chosen.get(kind)
        if chosen_now is not None:  # the answer to our own question ("второй", a phone, a click)
            return [chosen_now]
        named = self.c.named(kind)
        for m in named:
            if m.ambiguous:
                raise Missing(q_ambiguous(kind, m.entities, self.lang), kind, m.entities)
        if kind == "lead" and self.c.values.phones and not named:
            # A phone is an explicit identifier: nobody owns it → ask, never fall back to the focus.
            phone = self.c.values.phones[0]
            raise Missing(say(self.lang, f"Не нашёл лида с телефоном {phone}. Какого лида вы имеете в виду?",
                              f"I couldn't find a lead with the phone {phone}. Which lead do you mean?"))
        # A name inside another object's name ("Имплантация" in «Имплантация Москва») is only a
        # hint: good enough for an optional filter, never for a required target.
        top = [m for m in named if not any(o.contains(m) for o in self.c.mentions if o.kind != kind)]
        chosen = top or ([] if required else named)
        if chosen:
            return unique(m.entities[0] for m in chosen)
        if kind == "adset":
            via = self._adsets_of_named_campaign()
            if via:
                return via
        if kind == "direction":
            of_campaign = self._direction_of_named_campaign()
            if of_campaign:
                return [of_campaign]
        items = self.ctx.entities.get(kind, [])
        cue_here = kind == self.c.head or any(k == kind for k, *_ in self.c.cues)
        if required or cue_here:
            winner, tied = pick(self.partial(kind))
            if winner:
                return [winner]
            if tied:
                raise Missing(q_ambiguous(kind, tied, self.lang), kind, tied)
        if kind in self.c.unknown and (required or cue_here):
            raise Missing(q_not_found(kind, self.c.unknown[kind], items, self.lang))
        if required and self.c.loose_name and not self.c.pronoun:
            # A name was given and matched nothing: never fall back to the object in focus.
            raise Missing(q_not_found(kind, self.c.loose_name, items, self.lang))
        if not required and not self.c.pronoun:
            return []
        others = unique(m.entities[0] for m in top_level(self.ctx.mentions) if m.kind == kind and not m.ambiguous)
        if len(others) == 1:
            return others
        found, remembered = self._from_context(kind)
        if found and remembered and TOOLS[self.tool].write and not self.c.pronoun:
            # Nothing in this message names the target: a remembered object is offered, not written to.
            raise Missing(q_which(kind, [found, *(e for e in items if e.id != found.id)], self.lang), kind,
                          [found, *(e for e in items if e.id != found.id)])
        if found:
            return [found]
        if required:
            raise Missing(q_which(kind, items, self.lang), kind, items)
        return []

    def partial(self, kind: str) -> list[tuple[float, Entity]]:
        """Partial matches in the clause; words of other kinds' names count ("кампанию Имплантация")."""
        own = [(m.start - self.c.start, m.end - self.c.start) for m in self.c.mentions if m.kind == kind]
        # Values are not names: "на 20%" or "$25" never pick «Москва 20-35» or «Москва 25-45».
        taken = "".join("#" if r == "#" and t != "#" else " " for r, t in zip(self.c.values.rest, self.c.text,
                                                                            strict=False))
        values = [(m.start(), m.end()) for m in re.finditer(r"#+", taken)]
        return partial_candidates(self.c.plain, self.ctx.entities.get(kind, []), exclude=own + values)

    def _adsets_of_named_campaign(self) -> list[Entity]:
        """"бюджет кампании Виниры СПб": the campaign's only ad set, or a question listing its ad sets."""
        campaigns = [m.entities[0] for m in self.c.named("campaign") if not m.ambiguous]
        if not campaigns:
            return []
        own = [e for e in self.ctx.entities.get("adset", []) if e.extra.get("campaign_id") == campaigns[0].id]
        if len(own) > 1:
            raise Missing(q_ambiguous("adset", own, self.lang), "adset", own)
        return own

    def _direction_of_named_campaign(self) -> Entity | None:
        """"бюджет кампании Брекеты Москва": the direction that campaign belongs to."""
        campaigns = [m.entities[0] for m in top_level(self.c.mentions) if m.kind == "campaign" and not m.ambiguous]
        ident = campaigns[0].extra.get("direction_id") if campaigns else None
        return next((e for e in self.ctx.entities.get("direction", []) if e.id == ident), None) if ident else None

    def _from_context(self, kind: str) -> tuple[Entity | None, bool]:
        """The object of the previous call (just shown), else the remembered focus (True)."""
        for name, args in self.ctx.calls:
            for a, k in TOOLS[name].entity.items():
                if k == kind and args.get(a):
                    return self._entity(kind, str(args[a])), False
        value = self.ctx.hints.focus.get(FOCUS_KEYS.get(kind, ""))
        return (self._entity(kind, str(value)), True) if value else (None, False)

    def _entity(self, kind: str, ident: str) -> Entity:
        for e in self.ctx.entities.get(kind, []):
            if e.id == ident or (kind == "dialog" and e.extra.get("phone") == ident):
                return e
        return Entity(kind, ident, ident)  # type: ignore[arg-type]

    # values

    def period(self) -> dict[str, Any]:
        p = self.c.values.period or self.ctx.period
        return p.args() if p else {}

    def money(self) -> Money | None:
        money = self.c.values.money
        if not money:
            return None
        m = money[0]
        if m.currency and m.currency != self.ctx.hints.currency.upper():
            raise Missing(say(self.lang,
                               f"Валюта аккаунта — {self.ctx.hints.currency}; укажите сумму в {self.ctx.hints.currency}.",
                               f"The account's currency is {self.ctx.hints.currency}; please give the amount in "
                               f"{self.ctx.hints.currency}."))
        return m

    def query(self) -> str | None:
        """What to search dialogs for: the quoted text, else the clause without command words."""
        if self.c.quoted:
            a, b = self.c.quoted[0]
            return self.c.orig[a:b].strip() or None
        drop = re.compile(
            r"(?<!\w)(?:найди\w*|найти|поищи|ищи|покажи|покажите|show|find|search|look\s+for|list|все|всех|all|"
            r"диалог\w*|переписк\w*|чат\w*|dialog\w*|conversation\w*|chats?|whatsapp|в|in|где|в\s+которых|в\s+каких|"
            r"которые|кто|что|where|which|who|that|the|клиент\w*|clients?|customers?|people|по\s+поиску)(?!\w)")
        text = drop.sub(" ", normalise(self.c.orig))
        text = re.sub(r"^[\s,.:;!?-]+|[\s,.:;!?-]+$", "", re.sub(r"\s+", " ", text))
        if len(text) < 2:
            return None
        # Keep the user's casing for the words that are left.
        idx = normalise(self.c.orig).find(text)
        return self.c.orig[idx: idx + len(text)] if idx >= 0 else text


def _entity_arg(b: Builder, arg: str, *, required: bool | None = None) -> list[Entity]:
    kind = TOOLS[b.tool].entity[arg]
    req = arg in TOOLS[b.tool].required if required is None else required
    return b.entities(kind, required=req)


def entity_id(entity: Entity) -> str:
    """The value a tool takes for the object (a dialog is addressed by its phone)."""
    if entity.kind == "dialog":
        return str(entity.extra.get("phone") or entity.id)
    return entity.id


STATUS_VALUES = {
    "getCampaigns": {"active": "ACTIVE", "paused": "PAUSED"},
    "getDirections": {"active": "active", "paused": "paused"},
    "getCreatives": {"active": "active", "paused": "paused", "draft": "draft"},
    "getCreativeTests": {"active": "running", "completed": "completed", "paused": "stopped"},
}


# ── recipes: one per tool (or family), from the builder to the intents ─────────────────────────

Recipe = Callable[[Builder], list[Intent]]


def _period(b: Builder) -> dict[str, Any]:
    return b.period() if TOOLS[b.tool].period else {}


def _status(b: Builder) -> dict[str, Any]:
    mapping = STATUS_VALUES.get(b.tool, {})
    status = b.c.values.status
    return {"status": mapping[status]} if status in mapping else {}


def _limit(b: Builder, cap: int = 100) -> dict[str, Any]:
    n = b.c.values.count
    return {"limit": max(1, min(cap, n))} if n else {}


def _optional(b: Builder, arg: str) -> dict[str, Any]:
    found = _entity_arg(b, arg, required=False)
    return {arg: entity_id(found[0])} if found else {}


def _each(b: Builder, extra: dict[str, Any] | None = None) -> list[Intent]:
    """One call per named object of the tool's (first) object argument: "pause A and B" → two calls."""
    arg = next(iter(TOOLS[b.tool].entity))
    base = {**_period(b), **(extra or {})}
    found = _entity_arg(b, arg)
    return [Intent(b.tool, {**base, arg: entity_id(e)}) for e in found] or [Intent(b.tool, base)]


def _reason(b: Builder) -> dict[str, Any]:
    return {"reason": b.c.values.reason} if b.c.values.reason else {}


def _filters(b: Builder, *extra: dict[str, Any]) -> list[Intent]:
    merged: dict[str, Any] = {**_period(b)}
    for part in extra:
        merged.update(part)
    return [Intent(b.tool, merged)]


def _ad_sets(b: Builder) -> list[Intent]:
    """The ad sets of a campaign; a named ad set stands for its campaign."""
    if not b.c.named("campaign"):
        adsets = [m.entities[0] for m in b.c.named("adset") if not m.ambiguous]
        if adsets and adsets[0].extra.get("campaign_id"):
            return [Intent(b.tool, {**_period(b), "campaignId": str(adsets[0].extra["campaign_id"])})]
    return _each(b)


def _roi_comparison(b: Builder) -> list[Intent]:
    by = "creative" if b.c.kind("creative") else "direction"
    ids = [entity_id(m.entities[0]) for m in b.c.named(by) if not m.ambiguous]
    return _filters(b, {"compareBy": by}, {"ids": ids} if len(ids) >= 2 else {})


def _compare_creatives(b: Builder) -> list[Intent]:
    found = b.entities("creative", required=False)
    if len(found) < 2:
        items = b.ctx.entities.get("creative", [])
        raise Missing(say(b.lang, f"Назовите 2–5 креативов для сравнения, например: {options(items, b.lang)}.",
                          f"Name 2 to 5 creatives to compare, for example: {options(items, b.lang)}."))
    return _filters(b, {"creativeIds": [entity_id(e) for e in found[:5]]})


def _launch(b: Builder) -> list[Intent]:
    creatives = _entity_arg(b, "creativeId")
    direction = entity_id(_entity_arg(b, "directionId")[0])
    return [Intent(b.tool, {"creativeId": entity_id(e), "directionId": direction}) for e in creatives]


def _start_test(b: Builder) -> list[Intent]:
    money = b.money()
    return _each(b, {"budgetCents": money.cents} if money else {})


def _lead_stage(b: Builder) -> list[Intent]:
    leads = _entity_arg(b, "leadId")
    stage = extract_stage(b.c.text, b.c.orig)
    if not stage:
        names = ", ".join(lexicon.STAGES)
        raise Missing(say(b.lang, f"На какой этап перевести {quote(leads[0].name, b.lang)}? Этапы: {names}.",
                          f"Which stage should {quote(leads[0].name, b.lang)} move to? Stages: {names}."))
    return [Intent(b.tool, {"leadId": entity_id(e), "stage": stage}) for e in leads]


def _dialog(b: Builder) -> list[Intent]:
    phones = list(b.c.values.phones) or [entity_id(e) for e in _entity_arg(b, "phone")]
    extra = _limit(b, cap=200) if b.tool == "getDialogMessages" else {}
    return [Intent(b.tool, {"phone": p, **extra}) for p in phones]


def _search_dialogs(b: Builder) -> list[Intent]:
    query = b.query()
    if not query:
        raise Missing(say(b.lang, "Что искать в диалогах? Например: «жаловались на цену».",
                          "What should I look for in the dialogs? For example: “complained about the price”."))
    tags = {"tags": b.c.values.tags} if b.c.values.tags else {}
    return _filters(b, {"query": query[:200]}, tags, _limit(b, cap=50))


def _broadcast(b: Builder) -> list[Intent]:
    c = b.c
    phones = list(c.values.phones) + [entity_id(m.entities[0]) for m in c.named("dialog") if not m.ambiguous
                                      and entity_id(m.entities[0]) not in c.values.phones]
    segment = _segment(b) if not phones else {}
    if segment:
        if not c.payload:  # the offline model does not write the text itself: it asks for it, word for word
            raise Missing(say(b.lang, "Какой текст отправить? Напишите его после двоеточия, например: "
                                      "«Разошли горячим клиентам: Скидка 10% до пятницы!».",
                              "What text should go out? Write it after a colon, e.g. "
                              "“Send to hot customers: 10% off until Friday!”."))
        return [Intent("sendSegmentMessage", {**segment, "message": c.payload[:1000]})]
    if not phones or not c.payload:
        raise Missing(say(b.lang, "Для рассылки нужны номера получателей и текст, например: "
                                  "«Отправь на +77001234567, +79991234567: Здравствуйте! …».",
                          "A broadcast needs the recipients' numbers and the text, e.g. "
                          "“Send to +77001234567, +79991234567: Hello! …”."))
    return [Intent(b.tool, {"phones": phones, "message": c.payload[:1000]})]


def _segment(b: Builder) -> dict[str, Any]:
    """A broadcast's audience named by lead temperature, funnel stage or direction («всем горячим»)."""
    c, segment = b.c, {}
    if c.values.temperature:
        segment["temperature"] = c.values.temperature
    stage = extract_stage(c.text, c.orig)
    if stage:
        segment["stage"] = stage
    found = b.entities("direction", required=False)
    if found:
        segment["directionId"] = entity_id(found[0])
    if segment and re.search(r"инстаграм|instagram|директ\b|direct\b", c.text):
        segment["channel"] = "instagram"  # a channel narrows a segment; alone it is not one
    return segment


def _v(name: str, arg: str) -> Callable[[Builder], dict[str, Any]]:
    """An argument straight from an extracted value (None → not given)."""
    return lambda b: {arg: getattr(b.c.values, name)} if getattr(b.c.values, name) is not None else {}


RECIPES: dict[str, Recipe] = {
    "getCampaigns": lambda b: _filters(b, _status(b)),
    "getDirections": lambda b: _filters(b, _status(b)),
    "getSpendReport": lambda b: _spend_report(b),
    "getAdSets": _ad_sets,
    "getROIReport": lambda b: _filters(b, _optional(b, "directionId")),
    "getROIComparison": _roi_comparison,
    "getActionHistory": _filters,
    "updateBudget": lambda b: _money_write(b),  # defined below: late-bound
    "updateDirectionBudget": lambda b: _money_write(b),
    "updateDirectionTargetCPL": lambda b: _money_write(b),
    "pauseCampaign": lambda b: _each(b, _reason(b)),
    "resumeCampaign": lambda b: _each(b, _reason(b)),
    "pauseAdSet": lambda b: _each(b, _reason(b)),
    "resumeAdSet": lambda b: _each(b, _reason(b)),
    "pauseDirection": lambda b: _each(b, _reason(b)),
    "resumeDirection": lambda b: _each(b, _reason(b)),
    "getCreatives": lambda b: _filters(b, _status(b), _v("media", "mediaType")(b), _optional(b, "directionId")),
    "getTopCreatives": lambda b: _filters(b, _v("metric", "metric")(b), _limit(b, cap=20),
                                          _optional(b, "directionId")),
    "getWorstCreatives": lambda b: _filters(b, _limit(b, cap=20), _optional(b, "directionId")),
    "compareCreatives": _compare_creatives,
    "getCreativeScores": lambda b: _filters(b, _optional(b, "creativeId"), _v("risk", "riskLevel")(b) or (
        {"riskLevel": "high"} if b.c.has("fatigue") else {})),
    "getCreativeTests": lambda b: _filters(b, _optional(b, "creativeId"), _status(b)),
    "launchCreative": _launch,
    "startCreativeTest": _start_test,
    "getLeads": lambda b: [Intent(b.tool, _lead_filters(b, _period(b)))],
    "getInboundStats": lambda b: _filters(b),
    "getFunnelStats": lambda b: _filters(b, _optional(b, "directionId")),
    "getRevenueStats": lambda b: _filters(b, _optional(b, "directionId")),
    "updateLeadStage": _lead_stage,
    "getDialogs": lambda b: _filters(b, _v("temperature", "interestLevel")(b), _limit(b),
                                     {"awaitingReply": True} if b.c.has("awaiting") else {}),
    "getDialogMessages": _dialog,
    "analyzeDialog": _dialog,
    "searchDialogSummaries": _search_dialogs,
    "sendBulkMessage": _broadcast,
}


def build_args(b: Builder) -> list[Intent]:
    """The intents for the clause's tool (one per named object where the tool takes one object).

    Tools without a recipe of their own take their object(s) and, if they report over time, the period.
    """
    return RECIPES.get(b.tool, _each)(b)


def _spend_report(b: Builder) -> list[Intent]:
    """Spend, or a ranking ("самая дорогая по лиду кампания"): broken down by the kind asked about,
    with a note for the writer to name the best or worst one."""
    c = b.c
    kind = ranked_kind(c) if c.has("worst", "top") else None
    group = c.values.group_by or kind
    args = {**_period(b), **({"groupBy": group} if group else {})}
    note = {"rank": "worst" if c.has("worst") else "best", "by": "spend" if c.has("spend") and not c.has("cpl")
            else "cpl", "kind": kind} if kind else None
    return [Intent(b.tool, args, note)]


def _lead_filters(b: Builder, base: dict[str, Any]) -> dict[str, Any]:
    v, c = b.c.values, b.c
    args = dict(base)
    if v.temperature:
        args["temperature"] = v.temperature
    stage = extract_stage(c.text, c.orig)
    if stage:
        args["stage"] = stage
    if v.min_score is not None:
        args["minScore"] = v.min_score
    if v.max_score is not None:
        args["maxScore"] = v.max_score
    args.update(_limit(b))
    found = b.entities("direction", required=False)
    if found:
        args["directionId"] = entity_id(found[0])
    if v.phones:
        args["search"] = v.phones[0]
    elif c.has("search"):
        name = _leftover(c)
        if name:
            args["search"] = name[:100]
    return args


def _leftover(c: Clause) -> str | None:
    """The clause's words that are neither vocabulary, values nor function words: a name to search for."""
    lex = lexicon.lexical_pattern()
    kept = []
    for m in re.finditer(r"\w+", c.values.rest):
        w = m.group()
        if len(w) < 3 or w.isdigit() or lex.fullmatch(w) or w in FUNCTION_WORDS or w in _SEARCH_NOISE:
            continue
        kept.append(c.orig[m.start():m.end()] if len(c.orig) == len(c.text) else w)
    return " ".join(kept) or None


_SEARCH_NOISE = word_set("покажи покажите show list дай give с именем имени фамилии named по with called")

_MONEY_FIELD = {"updateBudget": ("dailyBudgetCents", "daily_budget_cents"),
                "updateDirectionBudget": ("dailyBudgetCents", "daily_budget_cents"),
                "updateDirectionTargetCPL": ("targetCplCents", "target_cpl_cents")}


def _money_write(b: Builder) -> list[Intent]:
    """A budget / target CPL change: an absolute amount, or a relative one computed from the current value.

    Relative changes ("+20%", "на $10 больше") need the current value. The resolver's entity may
    carry it (`extra["daily_budget_cents"]`); otherwise the current value is read first and the
    reply proposes the new figure for the user to confirm in words — a write is never derived
    from a tool result.
    """
    tool, c = b.tool, b.c
    arg, field_name = _MONEY_FIELD[tool]
    entity_arg = next(iter(TOOLS[tool].entity))
    targets = _entity_arg(b, entity_arg)
    money = b.money()
    sign = 1 if c.has("increase") else -1 if c.has("decrease") else 0
    percent = c.values.percent
    if sign < 0 and percent == 100.0:  # "уменьши вдвое" halves, it does not zero
        percent = -50.0
    absolute = money is not None and (money.relation != "by" or not sign) and percent is None
    if money is None and percent is None:
        what = say(b.lang, "целевой CPL" if tool == "updateDirectionTargetCPL" else "дневной бюджет",
                    "target CPL" if tool == "updateDirectionTargetCPL" else "daily budget")
        example = format_money(6000, b.ctx.hints.currency)
        raise Missing(say(b.lang, f"Какой новый {what} поставить для {quote(targets[0].name, b.lang)}? "
                                   f"Например: {example}.",
                           f"What should the new {what} of {quote(targets[0].name, b.lang)} be? "
                           f"For example: {example}."))
    if not absolute and not sign and percent is not None and percent > 0:
        raise Missing(say(b.lang, f"Увеличить или уменьшить на {percent:g}%?",
                           f"Increase or decrease by {percent:g}%?"))
    intents = []
    for target in targets:
        if absolute:
            assert money is not None
            intents.append(Intent(tool, {entity_arg: entity_id(target), arg: money.cents}))
            continue
        change = {"percent": (percent if percent is not None and percent < 0 else sign * (percent or 0))}
        if percent is None and money is not None:
            change = {"delta_cents": sign * money.cents}
        current = target.extra.get(field_name)
        if isinstance(current, int):
            intents.append(Intent(tool, {entity_arg: entity_id(target), arg: apply_change(current, change)},
                                  note={"relative": change, "current": current}))
            continue
        read = _read_for_current(b, target)
        note = {"relative": change, "field": field_name, "target_id": entity_id(target), "target_name": target.name,
                "tool": tool, "entity_arg": entity_arg}
        intents.append(Intent(read[0], read[1], note=note))
    return intents


def apply_change(current: int, change: dict[str, Any]) -> int:
    if "delta_cents" in change:
        return max(0, current + int(change["delta_cents"]))
    return max(0, round(current * (1 + float(change["percent"]) / 100)))


def _read_for_current(b: Builder, target: Entity) -> tuple[str, dict[str, Any]]:
    if target.kind == "direction":
        return "getDirectionDetails", {"directionId": entity_id(target)}
    campaign = target.extra.get("campaign_id")
    if campaign:
        return "getAdSets", {"campaignId": str(campaign)}
    raise Missing(say(b.lang, f"Назовите новый бюджет {quote(target.name, b.lang)} суммой, например $60.",
                       f"Please give the new budget of {quote(target.name, b.lang)} as an amount, e.g. $60."))


def build_safely(c: Clause, ctx: Ctx, tool: str) -> tuple[list[Intent], list[str]]:
    try:
        return build_args(Builder(c, ctx, tool)), []
    except Missing as exc:
        ctx.asked.append(exc)
        return [], [exc.question]

"""Clarifying questions that remember themselves: candidates told apart by human attributes, offered
as buttons, and an answer («второй», «тот, у которого телефон …», a name, a click) read in the
context of the question — the same agent and the same request, with the chosen object.

The open question lives in the conversation's focus entities (`focus["clarify"]`): the agent,
the message that was asked about, the kind of object and the candidates (id, name, extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent_brain.llm.base import Choice, Entity
from agent_brain.llm.offline import lexicon
from agent_brain.llm.offline.extract import Scan, extract_phones
from agent_brain.llm.offline.resolve import find_mentions
from agent_brain.llm.offline.text import normalise
from agent_brain.money import format_money

MAX_CHOICES = 5

_ORDINALS = (
    ("перв*", "first", "1", "1-й", "1-ый", "one"),
    ("втор*", "second", "2", "2-й", "2-ой", "two"),
    ("трет*", "third", "3", "3-й", "3-ий", "three"),
    ("четверт*", "fourth", "4", "4-й", "four"),
    ("пят*", "fifth", "5", "5-й", "five"),
)
_ORDINAL = [lexicon.pattern(alts) for alts in _ORDINALS]
_LAST = lexicon.pattern(("последн*", "last"))
# Words of a short answer ("тот, у которого телефон …", "the one with …"): not a new request.
_ANSWER_WORDS = lexicon.pattern(("тот", "та", "то", "того", "ту", "вот", "который", "которая", "у которого",
                                 "у которой", "с телефоном", "с номером", "номер", "телефон", "вариант", "the one",
                                 "one", "option", "with", "phone", "number", "that", "this", "да", "yes", "его",
                                 "ее", "её", "этот", "эту", "этого", "этой"))


def state(agent: str | None, message: str, kind: str, candidates: Sequence[Entity], lang: str) -> dict[str, Any]:
    """What is kept in the focus while the question is open."""
    return {"agent": agent, "message": message, "kind": kind, "language": lang,
            "candidates": [{"id": e.id, "name": e.name, "extra": _plain(e.extra)} for e in candidates[:MAX_CHOICES]]}


def _plain(extra: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if isinstance(v, str | int | float | bool)}


def candidates_of(clarify: dict[str, Any]) -> list[Entity]:
    kind = clarify.get("kind")
    return [Entity(kind, str(c["id"]), str(c.get("name") or c["id"]), dict(c.get("extra") or {}))  # type: ignore[arg-type]
            for c in clarify.get("candidates") or [] if isinstance(c, dict) and c.get("id")]


def describe(entity: Entity, lang: str, currency: str = "USD") -> str:
    """A candidate with what tells it apart: phone, stage, direction, budget, status."""
    extra = entity.extra
    parts = [entity.name]
    if extra.get("phone") and entity.kind != "dialog":
        parts.append(str(extra["phone"]))
    if entity.kind == "dialog" and entity.id != entity.name:
        parts.append(entity.id)
    if extra.get("stage"):
        parts.append(str(extra["stage"]))
    if extra.get("direction") and entity.kind != "direction":
        parts.append(str(extra["direction"]))
    if isinstance(extra.get("daily_budget_cents"), int):
        budget = format_money(extra["daily_budget_cents"], currency)
        parts.append(f"{budget}/день" if lang == "ru" else f"{budget}/day")
    if extra.get("status") and entity.kind in ("campaign", "adset"):
        status = str(extra["status"])
        parts.append({"ACTIVE": "активна", "PAUSED": "на паузе"}.get(status, status.lower()) if lang == "ru"
                     else status.lower())
    return " · ".join(parts)


def choices(candidates: Sequence[Entity], lang: str, currency: str = "USD") -> tuple[Choice, ...]:
    """Buttons: the label tells the candidates apart; the reply names exactly one of them."""
    out = []
    for e in candidates[:MAX_CHOICES]:
        label = describe(e, lang, currency)
        phone = e.extra.get("phone") if e.kind != "dialog" else e.id
        reply = f"{e.name}, {phone}" if phone else e.name
        twins = sum(1 for o in candidates if o.name == e.name and (o.extra.get("phone") if o.kind != "dialog"
                                                                    else o.id) == phone)
        if twins > 1:  # same name and phone: only the id tells them apart
            reply = f"{reply} ({e.id})"
        out.append(Choice(label=label, reply_text=reply))
    return tuple(out)


def answer(message: str, clarify: dict[str, Any]) -> Entity | None:
    """The candidate a message picks, when it reads as an answer to the open question (else None)."""
    candidates = candidates_of(clarify)
    if not candidates:
        return None
    text = normalise(message).strip()
    if _is_new_request(text):
        return None
    by_id = [e for e in candidates if e.id.lower() in text]
    if len(by_id) == 1:
        return by_id[0]
    pool = candidates
    phones = extract_phones(Scan(text))
    if phones:  # a phone narrows the candidates; a name may still be needed when they share it
        pool = [e for e in candidates if e.extra.get("phone") in phones or e.id in phones]
        if len(pool) <= 1:
            return pool[0] if pool else None
    named = [m for m in find_mentions(text, {candidates[0].kind: pool}) if not m.ambiguous]
    picked = {m.entities[0].id: m.entities[0] for m in named}
    if len(picked) == 1:
        return next(iter(picked.values()))
    if pool is not candidates:
        return None
    if len(text.split()) <= 4:
        for i, rx in enumerate(_ORDINAL):
            if rx.search(text) and i < len(candidates):
                return candidates[i]
        if _LAST.search(text):
            return candidates[-1]
    return None


def _is_new_request(text: str) -> bool:
    """A message with an action or topic of its own is a new request, not an answer."""
    words = _ANSWER_WORDS.sub(" ", text)
    actions = lexicon.compiled("ACTIONS")
    topics = lexicon.compiled("TOPICS")
    return any(rx.search(words) for key, rx in actions.items() if key != "show") or any(
        rx.search(words) for key, rx in topics.items() if key not in ("details", "help"))


def looks_like_answer(message: str, clarify: Any) -> bool:
    """For routing: does this message answer the conversation's open question?"""
    return isinstance(clarify, dict) and bool(clarify.get("candidates")) and answer(message, clarify) is not None

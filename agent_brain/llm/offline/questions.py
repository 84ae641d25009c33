"""Questions the offline model asks instead of guessing: which object, which of several, not found."""

from __future__ import annotations

from collections.abc import Sequence

from agent_brain.llm.base import Entity
from agent_brain.llm.offline.lexicon import KIND_WORDS

MAX_OPTIONS = 5


def quote(name: str, lang: str) -> str:
    return f"«{name}»" if lang == "ru" else f"“{name}”"


def _label(entity: Entity, lang: str, duplicates: bool) -> str:
    label = quote(entity.name, lang)
    if duplicates:  # two leads called «Елена Кузнецова»: show what tells them apart
        hint = entity.extra.get("phone") or entity.extra.get("stage") or entity.id[:8]
        label += f" ({hint})"
    return label


def options(entities: Sequence[Entity], lang: str) -> str:
    names = [e.name for e in entities[:MAX_OPTIONS]]
    dup = len(set(names)) < len(names)
    labels = [_label(e, lang, dup and names.count(e.name) > 1) for e in entities[:MAX_OPTIONS]]
    if len(entities) > MAX_OPTIONS:
        labels.append("…")
    return ", ".join(labels)


def q_which(kind: str, entities: Sequence[Entity], lang: str) -> str:
    w = KIND_WORDS[kind]
    if lang == "ru":
        tail = f" Например: {options(entities, lang)}." if entities else ""
        return f"Уточните, {w['ru']}?{tail}"
    tail = f" For example: {options(entities, lang)}." if entities else ""
    return f"Which {w['en']}?{tail}"


def q_ambiguous(kind: str, entities: Sequence[Entity], lang: str) -> str:
    w = KIND_WORDS[kind]
    if lang == "ru":
        return f"Нашлось несколько вариантов — {w['ru']} вы имеете в виду: {options(entities, lang)}?"
    return f"Several match — which {w['en']} do you mean: {options(entities, lang)}?"


def q_not_found(kind: str, name: str, entities: Sequence[Entity], lang: str) -> str:
    """Not found is still a question: the user is asked which one they meant."""
    w = KIND_WORDS[kind]
    if lang == "ru":
        # KIND_WORDS carries the agreeing interrogative: «какую кампанию», «какое направление».
        tail = (f" {w['ru'].capitalize()} из этих вы имели в виду: {options(entities, lang)}?" if entities
                else " Уточните название?")
        return f"Не нашёл {w['ru_noun']} {quote(name, lang)}.{tail}"
    tail = f" Did you mean one of these: {options(entities, lang)}?" if entities else " Could you check the name?"
    return f"I couldn't find the {w['en']} {quote(name, lang)}.{tail}"


def say(lang: str, ru: str, en: str) -> str:
    return ru if lang == "ru" else en

"""Grounded targets: a write changes the object the user meant, or it waits for the user to confirm it.

A WRITE's target (campaignId, adsetId, directionId, creativeId, leadId, testId, phone/phones) is
*grounded* when the user's current message names it — its name (fuzzy, case-insensitive, tolerant
of Russian endings), its id or its phone — or when it was shown in the immediately preceding
assistant message ("this campaign", «её», «эту») and the current message names no other object of
that kind (an explicit identifier always wins over what was shown or focused). An ungrounded call
never runs directly: the policy turns it into a plan step whose description names the object in
human words. Names come from the turn's `TurnEntityResolver` cache: no extra query per call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agent_brain.llm.base import Entity, EntityKind, EntityResolver
from agent_brain.memory.notes import matches_query

log = logging.getLogger(__name__)

TARGET_ARGS: dict[str, EntityKind] = {
    "campaignId": "campaign", "adsetId": "adset", "directionId": "direction", "creativeId": "creative",
    "leadId": "lead", "testId": "test", "phone": "dialog", "phones": "dialog",
}
_KIND_WORDS: dict[str, tuple[str, str]] = {
    "campaign": ("кампания", "campaign"), "adset": ("группа объявлений", "ad set"),
    "direction": ("направление", "direction"), "creative": ("креатив", "creative"), "lead": ("лид", "lead"),
    "test": ("тест креатива", "creative test"), "dialog": ("диалог", "dialog"),
}
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Target:
    kind: EntityKind
    id: str
    entity: Entity | None
    grounded: bool

    def label(self, language: str) -> str:
        """The object in human words: кампания «Брекеты Москва», lead “Сергей Никитин” (+79706508848, Новый)."""
        ru = language == "ru"
        word = _KIND_WORDS[self.kind][0 if ru else 1]
        if self.entity is None:
            return f"{word} {self.id} " + ("(не найден)" if ru else "(not found)")
        name = f"«{self.entity.name}»" if ru else f"“{self.entity.name}”"
        # What tells equal names apart, where the resolver knows it.
        attributes = [str(self.entity.extra[k]) for k in ("phone", "stage", "direction") if self.entity.extra.get(k)]
        return f"{word} {name}" + (f" ({', '.join(attributes)})" if attributes else "")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.entity.name if self.entity else None,
                "grounded": self.grounded}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phones_in(text: str) -> set[str]:
    return {d for d in (_digits(m) for m in re.findall(r"\+?\d[\d\s()-]{5,}\d", text)) if len(d) >= MIN_PHONE_DIGITS}


def identifies(entity: Entity, text: str) -> bool:
    """Whether `text` holds the object's explicit identifier: its id or its phone."""
    if not text:
        return False
    if re.search(rf"(?<![\w-]){re.escape(entity.id)}(?![\w-])", text, re.IGNORECASE):
        return True
    phone = _digits(str(entity.extra.get("phone") or (entity.id if entity.kind == "dialog" else "")))
    return len(phone) >= MIN_PHONE_DIGITS and phone in _phones_in(text)


def names(entity: Entity, text: str) -> bool:
    """Whether `text` names the object: its identifier, or its name (fuzzy, word endings tolerated)."""
    return identifies(entity, text) or (bool(text) and entity.name != entity.id and matches_query(entity.name, text))


class TargetGrounding:
    """The gate's view of one turn: the user's message, the message before it, the user's objects."""

    def __init__(self, *, user_text: str, shown_text: str, resolver: EntityResolver | None) -> None:
        self.user_text = user_text
        self.shown_text = shown_text
        self.resolver = resolver

    async def targets(self, params: dict[str, Any]) -> list[Target]:
        found: list[Target] = []
        for arg, kind in TARGET_ARGS.items():
            value = params.get(arg)
            if value is None:
                continue
            for ident in value if isinstance(value, list) else [value]:
                found.append(await self._target(kind, str(ident)))
        return found

    async def _target(self, kind: EntityKind, ident: str) -> Target:
        try:
            if self.resolver:  # the names this message could mean, and the target itself
                await self.resolver.narrow(texts=[self.user_text], ids=[ident])
            entities: Sequence[Entity] = await self.resolver.entities(kind) if self.resolver else ()
        except Exception:  # names unavailable (platform down): the object cannot be confirmed, so it is asked
            log.warning("grounding: %s entities failed to load", kind, exc_info=True)
            entities = ()
        entity = next((e for e in entities if e.id == ident or (
            kind == "dialog" and _digits(e.id) == _digits(ident) and _digits(ident))), None)
        if entity is None:
            return Target(kind, ident, None, grounded=False)
        others = [e for e in entities if e.id != entity.id]
        # An explicit identifier (id, phone) in the message wins over names, focus and what was shown.
        if identifies(entity, self.user_text):
            return Target(kind, ident, entity, grounded=True)
        if any(identifies(other, self.user_text) for other in others):
            return Target(kind, ident, entity, grounded=False)
        if names(entity, self.user_text):
            return Target(kind, ident, entity, grounded=True)
        # The user named another object of this kind: what was shown or focused before does not count.
        if any(names(other, self.user_text) for other in others):
            return Target(kind, ident, entity, grounded=False)
        return Target(kind, ident, entity, grounded=names(entity, self.shown_text))

"""Finding the user's objects in a message by name: "кампанию Имплантация Москва", "направления
Виниры", "креатив «Белоснежная улыбка»", "Анну Иванову", "+77001234567", a pasted id.

Names are compared word by word with `text.similarity` (inflection and small typos), in order,
allowing one filler word between them; person names may come surname first. A mention is
*strong* when every word of a name matched; a *partial* one (some words) is only used when a
tool needs that kind of object and nothing strong was found, and two equally good candidates
are never guessed between: the parser asks instead.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agent_brain.llm.base import Entity, EntityKind, EntityResolver
from agent_brain.llm.offline import lexicon
from agent_brain.llm.offline.text import STOPWORDS, Token, normalise, similarity, tokens

log = logging.getLogger(__name__)

KINDS: tuple[EntityKind, ...] = ("campaign", "adset", "direction", "creative", "lead", "dialog", "test")
WORD_MATCH = 0.8  # least similarity for two words to count as the same word
STRONG = 0.84  # least average similarity of a fully matched name
TIE = 0.02  # candidates this close are equally good
_EXTRA_STOP = frozenset({"под", "над", "про"})
_ID = re.compile(r"(?<![\w-])(\d{15,20}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![\w-])")


class StaticResolver:
    """An in-memory `EntityResolver` (tests, demos, anything that already has the lists)."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self._by_kind: dict[str, list[Entity]] = {}
        for e in entities:
            self._by_kind.setdefault(e.kind, []).append(e)

    async def entities(self, kind: EntityKind) -> Sequence[Entity]:
        return self._by_kind.get(kind, [])

    async def narrow(self, *, texts: Iterable[str] = (), ids: Iterable[Any] = ()) -> None:
        """Everything is in memory already: nothing to narrow."""


async def load(resolver: EntityResolver | None, kinds: Iterable[EntityKind] = KINDS, *, texts: Iterable[str] = (),
               ids: Iterable[Any] = ()) -> dict[str, list[Entity]]:
    """Each kind's entities the texts could name (plus the ones with these ids, and a few examples; a
    resolver that holds everything returns everything); a kind that fails to load is empty (resolution
    must not break a turn)."""
    out: dict[str, list[Entity]] = {}
    if resolver is not None:
        try:
            await resolver.narrow(texts=texts, ids=ids)
        except Exception:
            log.warning("entity resolver failed to narrow", exc_info=True)
    for kind in kinds:
        if resolver is None:
            out[kind] = []
            continue
        try:
            out[kind] = list(await resolver.entities(kind))
        except Exception:
            log.warning("entity resolver failed for %s", kind, exc_info=True)
            out[kind] = []
    return out


def ids_in(value: Any) -> list[str]:
    """Every string in a nested structure (focus, tool-call arguments, JSON text of them): the resolver
    looks up the ones that are ids."""
    if isinstance(value, str):
        if value[:1] in "{[":
            try:
                return ids_in(json.loads(value))
            except ValueError:
                return [value]
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in ids_in(v)]
    if isinstance(value, list | tuple | set):
        return [s for v in value for s in ids_in(v)]
    return []


def call_ids(messages: Sequence[dict[str, Any]]) -> list[str]:
    """The strings in the arguments of the tool calls of `messages`."""
    return [s for m in messages for call in m.get("tool_calls") or []
            for s in ids_in((call.get("function", call) or {}).get("arguments") or "")]


@lru_cache(maxsize=65536)
def _sim(a: str, b: str) -> float:
    # A typo in the first letter is rare; checking it first keeps long lists fast.
    if a[:1] != b[:1]:
        return 0.0
    return similarity(a, b)


@lru_cache(maxsize=8192)
def _name_words(name: str) -> tuple[str, ...]:
    return tuple(t.text for t in tokens(normalise(name)) if t.text not in STOPWORDS and t.text not in _EXTRA_STOP)


def _is_lexical(word: str) -> bool:
    return bool(lexicon.lexical_pattern().fullmatch(word))


@lru_cache(maxsize=8192)
def _all_lexical(name: str) -> bool:
    """A name made only of vocabulary ("Тесты креативов") is a name only when quoted or introduced."""
    return all(_is_lexical(w) or w.isdigit() for w in _name_words(name))


@dataclass(frozen=True)
class Mention:
    """A stretch of the message that names one object of a kind (several when equally good)."""

    kind: str
    entities: tuple[Entity, ...]
    start: int
    end: int
    score: float
    coverage: float  # share of the name's words found

    @property
    def entity(self) -> Entity | None:
        return self.entities[0] if len(self.entities) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.entities) > 1

    def contains(self, other: Mention) -> bool:
        return self.start <= other.start and other.end <= self.end and (self.start, self.end) != (other.start,
                                                                                                    other.end)


def _align(words: list[Token], name: tuple[str, ...]) -> tuple[float, int, int, int] | None:
    """Best in-order match of the name's words in the message: (score, matched, start, end)."""
    best: tuple[float, int, int, int] | None = None
    n = len(name)
    for i, w in enumerate(words):
        for j0, part in enumerate(name):
            s = _sim(w.text, part)
            if s < WORD_MATCH:
                continue
            total, matched, k = s, 1, i
            for j in range(j0 + 1, n):
                nxt = None
                for k2 in (k + 1, k + 2):  # one filler word ("за", "в", a quote) may sit between
                    if k2 >= len(words) or (k2 == k + 2 and words[k + 1].text not in STOPWORDS
                                            and words[k + 1].text not in _EXTRA_STOP):
                        break
                    s2 = _sim(words[k2].text, name[j])
                    if s2 >= WORD_MATCH:
                        nxt = (k2, s2)
                        break
                if nxt is None:
                    break
                k, total, matched = nxt[0], total + nxt[1], matched + 1
            cand = (total / n, matched, words[i].start, words[k].end)
            if best is None or cand[:2] > best[:2]:
                best = cand
    return best


def _match(words: list[Token], entity: Entity) -> tuple[float, float, int, int] | None:
    """(score, coverage, start, end) of the entity's name in the words, or None."""
    name = _name_words(entity.name)
    if not name:
        return None
    found = _align(words, name)
    if entity.kind in ("lead", "dialog") and len(name) == 2:  # "Иванова Анна"
        rev = _align(words, name[::-1])
        if rev and (found is None or rev[:2] > found[:2]):
            found = rev
    if found is None:
        return None
    score, matched, start, end = found
    return score, matched / len(name), start, end


def find_mentions(text: str, entities: dict[str, list[Entity]], *, introduced: Sequence[tuple[int, int]] = ()
                  ) -> list[Mention]:
    """Strong mentions in a normalised text: fully named objects, pasted ids, and phones of dialogs.

    `introduced`: spans (quotes, or the words right after a kind cue) where a name made only of
    vocabulary words still counts as a name.
    """
    words = tokens(text)
    raw: list[tuple[str, Entity, float, int, int]] = []
    for kind, items in entities.items():
        for entity in items:
            m = _match(words, entity)
            if m is None or m[1] < 1.0 or m[0] < STRONG:
                continue
            score, _, start, end = m
            if _all_lexical(entity.name) and not any(a <= start and end <= b for a, b in introduced):
                continue
            raw.append((kind, entity, score, start, end))
    raw = _drop_vocabulary_extensions(raw, words)
    for m in _ID.finditer(text):
        for kind, items in entities.items():
            for entity in items:
                if entity.id.lower() == m.group(1):
                    raw.append((kind, entity, 1.0, m.start(), m.end()))
    return _group(raw)


def _drop_vocabulary_extensions(raw: list[tuple[str, Entity, float, int, int]], words: list[Token]
                                ) -> list[tuple[str, Entity, float, int, int]]:
    """A name that only adds vocabulary to another object's name loses to it: in "останови тест
    Элайнеры вместо брекетов" the ad set «Тест: Элайнеры вместо брекетов» yields to the creative,
    and "тест" stays a word of the request."""
    def extra_is_vocabulary(long: tuple[Any, ...], short: tuple[Any, ...]) -> bool:
        extra = [w.text for w in words if long[3] <= w.start < long[4] and not short[3] <= w.start < short[4]]
        return bool(extra) and all(_is_lexical(w) or w in STOPWORDS for w in extra)

    return [r for r in raw if not any(o[0] != r[0] and r[3] <= o[3] and o[4] <= r[4] and (o[3], o[4]) != (r[3], r[4])
                                      and extra_is_vocabulary(r, o) for o in raw)]


def phone_mentions(phones: Sequence[str], entities: dict[str, list[Entity]]) -> dict[str, list[Entity]]:
    """Dialogs and leads whose phone is one of `phones` (by id for dialogs, `extra["phone"]` otherwise)."""
    out: dict[str, list[Entity]] = {}
    for kind in ("dialog", "lead"):
        for entity in entities.get(kind, []):
            phone = entity.extra.get("phone") or (entity.id if kind == "dialog" else None)
            if phone in phones:
                out.setdefault(kind, []).append(entity)
    return out


def _group(raw: list[tuple[str, Entity, float, int, int]]) -> list[Mention]:
    """One mention per (kind, span); equally good entities on a span stay together (ambiguous)."""
    by_key: dict[tuple[str, int, int], list[tuple[float, Entity]]] = {}
    for kind, entity, score, start, end in raw:
        by_key.setdefault((kind, start, end), []).append((score, entity))
    mentions = []
    for (kind, start, end), scored in by_key.items():
        top = max(s for s, _ in scored)
        best = tuple(unique(e for s, e in sorted(scored, key=lambda x: (-x[0], x[1].name)) if s >= top - TIE))
        mentions.append(Mention(kind, best, start, end, top, 1.0))
    # Within a kind, a longer span wins over the shorter one it contains ("Виниры СПб" over "Виниры"
    # only matters across kinds; a kind's own shorter match inside a longer one is the same name).
    mentions.sort(key=lambda m: (m.start, -(m.end - m.start), m.kind))
    kept: list[Mention] = []
    for m in mentions:
        if any(k.kind == m.kind and k.contains(m) for k in mentions):
            continue
        kept.append(m)
    return kept


def unique(entities: Iterable[Entity]) -> list[Entity]:
    """Entities without repeats, in order (entities are not hashable: their `extra` is a dict)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for e in entities:
        if (e.kind, e.id) not in seen:
            seen.add((e.kind, e.id))
            out.append(e)
    return out


def top_level(mentions: Sequence[Mention]) -> list[Mention]:
    """Mentions not inside a longer one ("Имплантация" inside "Имплантация Москва" is nested)."""
    return [m for m in mentions if not any(o.contains(m) for o in mentions)]


def partial_candidates(text: str, items: Sequence[Entity], *, exclude: Sequence[tuple[int, int]] = ()
                       ) -> list[tuple[float, Entity]]:
    """Objects some of whose name words appear in the text ("кампанию Москва"), best first.

    Ranked by how many words matched (then how well), not by the share of the name: "улыбка"
    fits «Белоснежная улыбка» and «Улыбка за 2 визита» equally. Only distinctive words count:
    vocabulary ("тест", "креатив") and short words never do.
    """
    words = [t for t in tokens(text) if not any(a <= t.start < b for a, b in exclude)
             and not _is_lexical(t.text) and (len(t.text) >= 4 or t.text.isdigit())]
    scored = []
    for entity in items:
        m = _match(words, entity)
        if m is None:
            continue
        score, coverage, _, _ = m
        n = len(_name_words(entity.name))
        matched = round(coverage * n)
        scored.append((matched + score * n / matched / 10, entity))  # count first, similarity breaks ties
    scored.sort(key=lambda x: (-x[0], x[1].name))
    return scored


def pick(candidates: Sequence[tuple[float, Entity]]) -> tuple[Entity | None, list[Entity]]:
    """(the clear winner or None, the equally good runners-up to ask about)."""
    if not candidates:
        return None, []
    top = candidates[0][0]
    tied = [e for s, e in candidates if s >= top - 0.009]
    if len(tied) == 1:
        return tied[0], []
    return None, tied

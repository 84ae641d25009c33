"""What a turn's texts could name, as indexed lookups: a bounded candidate set, not every name.

Entity resolution (the offline parser's fuzzy matching, the write gate's grounding) only ever needs
the objects a message could mean. `Terms` pulls from the texts what can name an object — words,
phones, pasted ids — and `candidates_query` turns them into ONE statement whose parts each use an
index and carry a LIMIT, so its cost follows the message, not the size of the business:

* names: the heads (first three letters) of the words of each name are a `simple` tsvector
  (`name_heads`, GIN; migration 0015), looked up by the heads of the message's words — every
  word the parser's `similarity` can accept shares its head (an inflection, a stem, a typo after
  the third letter). A typo within the first letters («Вениры», "Snith") is found through the
  words' typo keys (`name_typos`, GIN; migration 0017: the first four letters and the first four
  left after deleting any one of them — one edit there leaves a key in common). Per kind, four
  tiers, each its own indexed scan with a LIMIT, so a turn reads at most 4 × PER_KIND names of a
  kind however many share the message's words: names the message spells out whole, in any
  inflection (`name_key`, the heads in order, btree — so an exactly named object is never crowded
  out by its longer namesakes); names holding two neighbouring words of the message; names holding
  one distinctive word (not vocabulary: "покажи", "кампанию" name nothing alone); names holding a
  word one typo away. Then the best tier first, shortest first within it; creative tests are
  those of the creatives found;
* phones (leads, dialogs) and ids (pasted uuids, the focus, the previous calls) by equality;
* a few of the most recent objects of each kind, for the examples a "which one?" question offers;
* directions whole: they are the business's few product lines, and campaigns map onto them.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    String,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.sql import Select

from agent_brain.db.models import Creative, CreativeTest, Direction, FunnelStage, Lead, WhatsAppDialog
from agent_brain.llm.offline import lexicon
from agent_brain.llm.offline.text import STOPWORDS, normalise, tokens

PREFIX = 3  # letters of a word a name word must start with
TYPO_KEY = 4  # letters of a typo key (migration 0017's entity_name_typo_keys)
TYPO_MIN = 5  # shorter words are matched exactly or by their head (as the parser's `similarity`)
SPAN_MAX = 6  # words of a name looked up whole
WORDS_MAX = 24  # words of a message looked up (a pasted essay does not widen the search)
PER_KIND = 50  # name candidates per kind
SAMPLE = 6  # examples per kind for a question (MAX_OPTIONS + 1, so "…" shows there are more)
_PHONE = re.compile(r"\+?\d[\d\s()\-]{5,18}\d")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Terms:
    """What the texts can name an object by."""

    words: list[str] = field(default_factory=list)  # tsquery lexemes ("'ива'", "'57'") of distinctive words
    pairs: list[str] = field(default_factory=list)  # neighbouring words (vocabulary too), both required
    phones: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    spans: list[str] = field(default_factory=list)  # runs of the message's word heads: whole names ("анн ива")
    typos: list[str] = field(default_factory=list)  # typo keys ("'вени'", "'вниры'") of distinctive words

    def add_text(self, text: str) -> None:
        low = normalise(text)
        self.ids.update(_UUID.findall(low))
        for m in _PHONE.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            if 7 <= len(digits) <= 15:
                self.phones.add("+" + digits)
                if len(digits) == 11 and digits.startswith("8"):
                    self.phones.add("+7" + digits[1:])
        previous: str | None = None
        heads: list[tuple[str, bool]] = []  # every word's head (names hold short words too), distinctive or not
        for token in tokens(_PHONE.sub(" ", _UUID.sub(" ", low))):  # ids and phones are not name words
            word = token.text.replace("_", "")
            # Alone, only a distinctive word counts (as for the parser's partial matches): vocabulary
            # ("покажи", "кампанию") and short words name an object only next to another word.
            distinctive = (len(word) >= PREFIX or word.isdigit()) and not lexicon.lexical_pattern().fullmatch(word)
            if word:
                heads.append((word[:PREFIX], distinctive and word not in STOPWORDS))
            if not word or word in STOPWORDS:
                continue
            lexeme = f"'{word[:PREFIX]}'"
            if distinctive and lexeme not in self.words and len(self.words) < WORDS_MAX:
                self.words.append(lexeme)
                if len(word) >= TYPO_MIN and word.isalpha():
                    self.typos += [k for k in typo_keys(word) if k not in self.typos]
            if previous is not None and previous != lexeme and len(self.pairs) < WORDS_MAX:
                pair = f"({previous} & {lexeme})"
                if pair not in self.pairs:
                    self.pairs.append(pair)
            previous = lexeme
        for start in range(min(len(heads), WORDS_MAX)):
            for end in range(start + 1, min(len(heads), start + SPAN_MAX) + 1):
                span = " ".join(head for head, _ in heads[start:end])
                # A run of vocabulary alone ("покажи расходы") spells out no name worth a lookup of its own.
                if any(d for _, d in heads[start:end]) and span not in self.spans:
                    self.spans.append(span)

    def add_ids(self, values: Iterable[Any]) -> None:
        for value in values:
            text = str(value).strip().lower()
            if _UUID.fullmatch(text):
                self.ids.add(text)
            elif re.fullmatch(r"\+\d{7,15}", text):
                self.phones.add(text)

    def minus(self, done: Terms) -> Terms:
        """The terms not looked up yet."""
        return Terms([w for w in self.words if w not in done.words], [p for p in self.pairs if p not in done.pairs],
                     self.phones - done.phones, self.ids - done.ids, [s for s in self.spans if s not in done.spans],
                     [t for t in self.typos if t not in done.typos])

    def merge(self, other: Terms) -> None:
        self.words += [w for w in other.words if w not in self.words]
        self.pairs += [p for p in other.pairs if p not in self.pairs]
        self.phones |= other.phones
        self.ids |= other.ids
        self.spans += [s for s in other.spans if s not in self.spans]
        self.typos += [t for t in other.typos if t not in self.typos]

    def __bool__(self) -> bool:
        return bool(self.words or self.pairs or self.phones or self.ids or self.spans or self.typos)


def typo_keys(word: str) -> list[str]:
    """A word's typo keys as tsquery lexemes, as `entity_name_typo_keys` makes them in SQL: its first four
    letters and the first four left after deleting any one of them. Two words one substitution,
    insertion, deletion or swap apart within their first letters share one (the same letter deleted
    from both, or the extra one from the longer)."""
    keys = [word[:TYPO_KEY]] + [(word[:i] + word[i + 1:])[:TYPO_KEY] for i in range(TYPO_KEY)]
    return [f"'{k}'" for k in dict.fromkeys(keys)]


_NONE = cast(null(), String)


def _row(kind: str, ident: Any, name: Any, a: Any = _NONE, b: Any = _NONE, c: Any = _NONE) -> list[Any]:
    return [literal(kind).label("kind"), cast(ident, String).label("id"), cast(name, String).label("name"),
            cast(a, String).label("a"), cast(b, String).label("b"), cast(c, String).label("c")]


def _matches(words: Any, query: str) -> Any:
    return words.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), bindparam(query, type_=String)))


def _best(kind: str, tiers: list[Select[Any]], name: Any) -> Select[Any]:
    """The first PER_KIND of the tiers' names: each object once, in its best tier, shortest name first
    within a tier («Анна Иванова» before «Анна Иванова-Петрова» when many share the words).

    Each tier is a MATERIALIZED CTE read through a LIMIT: PostgreSQL plans it for all its rows (so a
    rare word gets the index, not a sequential scan it expects to end early after PER_KIND matches —
    that estimate is a guess of 0.5 % per absent word, and a scan for a word no name holds reads the
    whole table) and runs it only until the LIMIT is met (so a common word reads PER_KIND names, not
    every name holding it)."""
    found = union_all(*[select(cte).limit(PER_KIND) for cte in (
        t.add_columns(literal(i).label("tier"), func.length(name).label("length")).cte(f"{kind}_{i}")
        .prefix_with("MATERIALIZED") for i, t in enumerate(tiers))]).subquery()
    once = select(found).ext(distinct_on(found.c.id)).order_by(found.c.id, found.c.tier).subquery()
    return (select(once.c.kind, once.c.id, once.c.name, once.c.a, once.c.b, once.c.c)
            .order_by(once.c.tier, once.c.length).limit(PER_KIND))


def candidates_query(user_id: uuid.UUID, terms: Terms, *, first: bool) -> tuple[Any, dict[str, Any]] | None:
    """One UNION ALL over the kinds and its parameters; `first`: also the directions and the examples
    (once per turn). None when there is nothing to look up."""
    shape = _Shape(first, bool(terms.spans), bool(terms.pairs), bool(terms.words), bool(terms.typos),
                   bool(terms.ids), bool(terms.phones))
    statement = _statement(shape)
    if statement is None:
        return None
    return statement, {"user_id": user_id, "spans": terms.spans, "pairs": " | ".join(terms.pairs),
                       "words": " | ".join(terms.words), "typos": " | ".join(terms.typos),
                       "ids": [uuid.UUID(i) for i in sorted(terms.ids)], "phones": sorted(terms.phones)}


@dataclass(frozen=True)
class _Shape:
    first: bool
    spans: bool
    pairs: bool
    words: bool
    typos: bool
    ids: bool
    phones: bool


@functools.lru_cache(maxsize=128)
def _statement(shape: _Shape) -> Any:
    """The statement for one shape of terms, built once: building it costs more than running it."""
    user_id = bindparam("user_id", type_=PG_UUID(as_uuid=True))
    lead_direction = Direction.__table__.alias("lead_direction")

    def lead(*where: Any) -> Select[Any]:
        return (select(*_row("lead", Lead.id, Lead.name, Lead.phone, FunnelStage.name, lead_direction.c.name))
                .join(FunnelStage, FunnelStage.id == Lead.stage_id)
                .outerjoin(lead_direction, lead_direction.c.id == Lead.direction_id)
                .where(Lead.user_id == user_id, *where))

    def creative(*where: Any) -> Select[Any]:
        return select(*_row("creative", Creative.id, Creative.title)).where(Creative.user_id == user_id, *where)

    def dialog(*where: Any) -> Select[Any]:
        # A WhatsApp dialog by its phone, an Instagram one as ig:<id> (what the dialog tools take).
        ident = func.coalesce(WhatsAppDialog.phone, "ig:" + WhatsAppDialog.instagram_id)
        return select(*_row("dialog", ident, WhatsAppDialog.contact_name)).where(
            WhatsAppDialog.user_id == user_id, *where)

    def test(*where: Any) -> Select[Any]:
        return (select(*_row("test", CreativeTest.id, Creative.title)).join(Creative, Creative.id == CreativeTest.creative_id)
                .where(Creative.user_id == user_id, *where))

    parts: list[Select[Any]] = []
    if shape.first:
        parts.append(select(*_row("direction", Direction.id, Direction.name, Direction.daily_budget_cents,
                                  Direction.target_cpl_cents, Direction.fb_campaign_id))
                     .where(Direction.user_id == user_id))
        parts += [lead().order_by(Lead.created_at.desc()).limit(SAMPLE), creative().limit(SAMPLE),
                  dialog().order_by(WhatsAppDialog.last_message_at.desc()).limit(SAMPLE),
                  test().order_by(CreativeTest.started_at.desc()).limit(SAMPLE)]
    named = (("lead", lead, Lead, Lead.name), ("creative", creative, Creative, Creative.title),
             ("dialog", dialog, WhatsAppDialog, WhatsAppDialog.contact_name))
    for kind, build, table, name in named:
        # Each tier one indexed scan with its own LIMIT (never every name sharing a common word).
        tiers: list[Select[Any]] = []
        if shape.spans:
            tiers.append(build(table.name_key == any_(bindparam("spans", type_=ARRAY(Text)))))
        tiers += [build(_matches(table.name_heads, tier)) for tier, on in (("pairs", shape.pairs),
                                                                           ("words", shape.words)) if on]
        if shape.typos:
            tiers.append(build(_matches(table.name_typos, "typos")))
        if not tiers:
            continue
        if kind != "creative":
            parts.append(_best(kind, tiers, name))
            continue
        # A creative test is named by its creative's title: the tests of the creatives found.
        creatives = _best(kind, tiers, name).cte("creative_found")
        parts.append(select(creatives))
        parts.append(select(*_row("test", CreativeTest.id, creatives.c.name))
                     .join(creatives, CreativeTest.creative_id == cast(creatives.c.id, PG_UUID(as_uuid=True))))
    if shape.ids:
        ids = any_(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True))))
        parts += [lead(Lead.id == ids), creative(Creative.id == ids), test(CreativeTest.id == ids)]
    if shape.phones:
        phones = any_(bindparam("phones", type_=ARRAY(String)))
        parts += [lead(Lead.phone == phones), dialog(WhatsAppDialog.phone == phones)]
    if not parts:
        return None
    return union_all(*[p.subquery().select() if p._limit_clause is not None else p for p in parts]) \
        if len(parts) > 1 else parts[0]

"""What a turn's texts could name, as indexed lookups: a bounded candidate set, not every name.

Entity resolution (the offline parser's fuzzy matching, the write gate's grounding) only ever needs
the objects a message could mean. `Terms` pulls from the texts what can name an object — words,
phones, pasted ids — and `candidates_query` turns them into ONE statement whose parts each use an
index and carry a LIMIT, so its cost follows the message, not the size of the business:

* names: the heads (first three letters) of the words of each name are a `simple` tsvector
  (`name_heads`, GIN; migration 0012), looked up by the heads of the message's words — every
  word the parser's `similarity` can accept shares its head (an inflection, a stem, a typo after
  the third letter; a typo within it is the one thing not found). Exact lexemes, so PostgreSQL's
  statistics see how rare a head is and use the index. One scan per kind, bounded: names holding
  two neighbouring words of the message first (a full name in any inflection), then names holding
  one distinctive word (not vocabulary: "покажи", "кампанию" name nothing alone), shortest first
  within each (so an exactly named object is not crowded out by longer namesakes). A scan reads
  what its heads match, so a turn reads rows for the objects its message could name, never for
  the rest of the business;
* phones (leads, dialogs) and ids (pasted uuids, the focus, the previous calls) by equality;
* a few of the most recent objects of each kind, for the examples a "which one?" question offers;
* directions whole: they are the business's few product lines, and campaigns map onto them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, func, literal, literal_column, null, select, union_all
from sqlalchemy.sql import Select

from agent_brain.db.models import Creative, CreativeTest, Direction, FunnelStage, Lead, WhatsAppDialog
from agent_brain.llm.offline import lexicon
from agent_brain.llm.offline.text import STOPWORDS, normalise, tokens

PREFIX = 3  # letters of a word a name word must start with
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
        for token in tokens(_PHONE.sub(" ", _UUID.sub(" ", low))):  # ids and phones are not name words
            word = token.text.replace("_", "")
            if not word or word in STOPWORDS:
                continue
            lexeme = f"'{word[:PREFIX]}'"
            # Alone, only a distinctive word counts (as for the parser's partial matches): vocabulary
            # ("покажи", "кампанию") and short words name an object only next to another word.
            distinctive = (len(word) >= PREFIX or word.isdigit()) and not lexicon.lexical_pattern().fullmatch(word)
            if distinctive and lexeme not in self.words and len(self.words) < WORDS_MAX:
                self.words.append(lexeme)
            if previous is not None and previous != lexeme and len(self.pairs) < WORDS_MAX:
                pair = f"({previous} & {lexeme})"
                if pair not in self.pairs:
                    self.pairs.append(pair)
            previous = lexeme

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
                     self.phones - done.phones, self.ids - done.ids)

    def merge(self, other: Terms) -> None:
        self.words += [w for w in other.words if w not in self.words]
        self.pairs += [p for p in other.pairs if p not in self.pairs]
        self.phones |= other.phones
        self.ids |= other.ids

    def __bool__(self) -> bool:
        return bool(self.words or self.pairs or self.phones or self.ids)


_NONE = cast(null(), String)


def _row(kind: str, ident: Any, name: Any, a: Any = _NONE, b: Any = _NONE, c: Any = _NONE) -> list[Any]:
    return [literal(kind).label("kind"), cast(ident, String).label("id"), cast(name, String).label("name"),
            cast(a, String).label("a"), cast(b, String).label("b"), cast(c, String).label("c")]


def _matches(words: Any, query: str) -> Any:
    return words.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), query))


def candidates_query(user_id: uuid.UUID, terms: Terms, *, first: bool) -> Any:
    """One UNION ALL over the kinds; `first`: also the directions and the examples (once per turn)."""
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

    named = ((lead, Lead.name_heads, Lead.name), (creative, Creative.name_heads, Creative.title),
             (dialog, WhatsAppDialog.name_heads, WhatsAppDialog.contact_name), (test, Creative.name_heads, Creative.title))
    parts: list[Select[Any]] = []
    if first:
        parts.append(select(*_row("direction", Direction.id, Direction.name, Direction.daily_budget_cents,
                                  Direction.target_cpl_cents, Direction.fb_campaign_id))
                     .where(Direction.user_id == user_id))
        parts += [lead().order_by(Lead.created_at.desc()).limit(SAMPLE), creative().limit(SAMPLE),
                  dialog().order_by(WhatsAppDialog.last_message_at.desc()).limit(SAMPLE),
                  test().order_by(CreativeTest.started_at.desc()).limit(SAMPLE)]
    query = " | ".join(terms.pairs + terms.words)
    for build, words, name in named:
        if not query:
            break
        # One index scan per kind: names with two neighbouring words first, then shortest first
        # («Анна Иванова» before «Анна Иванова-Петрова» when many share the words).
        in_pair = _matches(words, " | ".join(terms.pairs)) if terms.pairs else literal(False)
        parts.append(build(_matches(words, query)).order_by(in_pair.desc(), func.length(name)).limit(PER_KIND))
    ids = sorted(terms.ids)
    if ids:
        uuids = [uuid.UUID(i) for i in ids]
        parts += [lead(Lead.id.in_(uuids)), creative(Creative.id.in_(uuids)), test(CreativeTest.id.in_(uuids))]
    if terms.phones:
        phones = sorted(terms.phones)
        parts += [lead(Lead.phone.in_(phones)), dialog(WhatsAppDialog.phone.in_(phones))]
    if not parts:
        return None
    return union_all(*[p.subquery().select() if p._limit_clause is not None else p for p in parts]) \
        if len(parts) > 1 else parts[0]

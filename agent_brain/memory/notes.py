"""Mid-term memory: agent notes per (user, ad account, domain) — at most 20 each, de-duplicated, ranked.

A note is one short observation ("High CPL: direction «Виниры» — $41.20 vs target $25.00") or a
fact the user asked to remember. Notes are keyed by `dedup_key`: writing the same observation
again refreshes the note instead of adding a second one, so auto-capture can run after every
tool call. When a domain is full, the least important (then the least recently confirmed) note
makes room.

Visibility: a conversation bound to an ad account sees that account's notes plus the user's
account-independent ones (ad_account_id NULL), like the business snapshot does; a conversation
without an account sees only the latter. Writes always go to the exact (user, account) scope.

Reads and deletes are single statements on an autocommit engine; `add` is one short
transaction, serialised per (user, account, domain) by an advisory lock so concurrent writers
can never leave more than MAX_NOTES_PER_DOMAIN notes behind.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import re
import uuid
from collections.abc import Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, case, delete, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.db.models import AgentNote

Domain = Literal["ads", "creative", "crm", "whatsapp", "general"]
# 'user': said by the user («Запомни: …»); 'tool:<name>': captured from that tool's result; 'auto': an
# observation of older or seeded origin. Everything but 'user' is outside data, never an instruction.
NoteSource = str
TOOL_SOURCE_PREFIX = "tool:"
NOTE_DOMAINS: tuple[str, ...] = get_args(Domain)

MAX_NOTES_PER_DOMAIN = 20
MAX_NOTE_CHARS = 500
DEDUP_KEY_CHARS = 200  # the width of agent_notes.dedup_key
FUZZY_RATIO = 0.8
MIN_QUERY_CHARS = 3
DIGEST_HEADER = "Notes (most important first):"

# Words that carry no meaning in a "forget …" query ("забудь про мой бюджет" → «бюджет»).
_QUERY_STOPWORDS = frozenset({
    "про", "что", "это", "этот", "эта", "эти", "этом", "мой", "моя", "мое", "мои", "наш", "наша", "наше",
    "наши", "все", "the", "my", "our", "this", "that", "these", "those", "about", "all",
})
# Numbers keep their decimal part ("12.50" ≠ "1250"); everything else splits into letter runs.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")


class NoteRecord(BaseModel):
    """A stored note. `evicted` is set by `add` when the new note was itself the least important."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: uuid.UUID
    user_id: uuid.UUID
    ad_account_id: uuid.UUID | None
    domain: Domain
    text: str
    dedup_key: str
    source: NoteSource
    importance: float
    created_at: dt.datetime
    updated_at: dt.datetime
    evicted: bool = False


# ── text helpers (also used by the chat commands and auto-capture) ─────────────────────────────


def normalize_text(text: str) -> str:
    """Lower-case, ё→е, punctuation and whitespace collapsed to single spaces, numbers kept.

    "Бюджет — НЕ больше $50,5!" → "бюджет не больше 50.5".
    """
    folded = text.casefold().replace("ё", "е")
    return " ".join(token.replace(",", ".") for token in _TOKEN.findall(folded))


def fit_key(key: str) -> str:
    """A key that fits the column; long ones keep a readable prefix plus a hash of the whole."""
    key = key.strip()
    if len(key) <= DEDUP_KEY_CHARS:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: DEDUP_KEY_CHARS - 17]}#{digest}"


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed: a note can never forge structure in a prompt."""
    return " ".join(text.split())


def matches_query(query: str, text: str) -> bool:
    """Whether a note's text matches a "forget" query (both normalised by the caller or not).

    A match is: the query as a substring starting at a word of the note; or a difflib ratio of
    at least 0.8 between the two; or every meaningful query word close (ratio ≥ 0.8, or a prefix)
    to some word of the note, which tolerates Russian endings («имплантацию» ~ «имплантация»).
    """
    needle, hay = normalize_text(query), normalize_text(text)
    if len(needle) < MIN_QUERY_CHARS or not hay:
        return False
    if f" {needle}" in f" {hay}":
        return True
    if difflib.SequenceMatcher(None, needle, hay).ratio() >= FUZZY_RATIO:
        return True
    words = [w for w in needle.split() if len(w) >= MIN_QUERY_CHARS and w not in _QUERY_STOPWORDS]
    hay_words = hay.split()
    return bool(words) and all(any(_close(w, h) for h in hay_words) for w in words)


def _close(word: str, other: str) -> bool:
    """Same word up to its ending: a prefix, or similar and starting alike (so «инир» ≁ «виниры»)."""
    if len(word) >= 4 and other.startswith(word):
        return True
    return word[0] == other[0] and difflib.SequenceMatcher(None, word, other).ratio() >= FUZZY_RATIO


def is_user_note(note: NoteRecord) -> bool:
    """What the user told us; anything else came from outside (tool results) and is data only."""
    return note.source == "user"


def format_digest(notes: Sequence[NoteRecord], *, tag_domains: bool, max_chars: int) -> str:
    """The prompt block: header and one line per note, whole lines only, within `max_chars`."""
    lines = [DIGEST_HEADER]
    used = len(DIGEST_HEADER)
    for note in notes:
        tags = ([note.domain] if tag_domains else []) + (["user"] if note.source == "user" else [])
        line = f"- [{' · '.join(tags)}] {one_line(note.text)}" if tags else f"- {one_line(note.text)}"
        room = max_chars - used - 1  # 1 for the newline
        if len(line) > room:
            # The most important note is worth a cut; later ones are dropped whole.
            if len(lines) == 1 and room > 20:
                lines.append(line[: room - 1].rstrip() + "…")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines) if len(lines) > 1 else ""


# ── the store ───────────────────────────────────────────────────────────────────────────────


def _visible(user_id: uuid.UUID, ad_account_id: uuid.UUID | None) -> list[Any]:
    """Notes a conversation sees: its account's and the user's account-independent ones."""
    if ad_account_id is None:
        return [AgentNote.user_id == user_id, AgentNote.ad_account_id.is_(None)]
    return [AgentNote.user_id == user_id,
            or_(AgentNote.ad_account_id == ad_account_id, AgentNote.ad_account_id.is_(None))]


def _exact(user_id: uuid.UUID, ad_account_id: uuid.UUID | None, domain: str) -> list[Any]:
    column = AgentNote.ad_account_id
    account = column.is_(None) if ad_account_id is None else column == ad_account_id
    return [AgentNote.user_id == user_id, account, AgentNote.domain == domain]


_RANKING = (AgentNote.importance.desc(), AgentNote.updated_at.desc(), AgentNote.id)


@functools.cache
def _list_statement(with_account: bool, with_domain: bool) -> Any:
    """`list`'s statement, built once per shape (every turn lists notes); values are parameters."""
    account = (or_(AgentNote.ad_account_id == bindparam("ad_account_id"), AgentNote.ad_account_id.is_(None))
               if with_account else AgentNote.ad_account_id.is_(None))
    stmt = select(AgentNote).where(AgentNote.user_id == bindparam("user_id"), account)
    if with_domain:
        stmt = stmt.where(AgentNote.domain == bindparam("domain"))
    return stmt.order_by(*_RANKING)


def _lock_key(user_id: uuid.UUID, ad_account_id: uuid.UUID | None, domain: str) -> int:
    """A signed 64-bit advisory lock id for one (user, account, domain); collisions only serialise."""
    digest = hashlib.sha256(f"agent_notes:{user_id}:{ad_account_id}:{domain}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _validated(domain: str, text: str, importance: float, source: str) -> str:
    if domain not in NOTE_DOMAINS:
        raise ValueError(f"unknown note domain {domain!r}; expected one of {', '.join(NOTE_DOMAINS)}")
    if source not in ("auto", "user") and not (source.startswith(TOOL_SOURCE_PREFIX) and len(source) <= 64):
        raise ValueError(f"unknown note source {source!r}; expected 'auto', 'user' or 'tool:<name>'")
    if not 0.0 <= importance <= 1.0:
        raise ValueError(f"note importance must be within 0..1, got {importance}")
    clean = one_line(text)
    if not clean:
        raise ValueError("a note needs some text")
    if len(clean) > MAX_NOTE_CHARS:
        raise ValueError(f"a note is at most {MAX_NOTE_CHARS} characters, got {len(clean)}")
    return clean


class NotesStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine  # transactions (add)
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def _rows(self, stmt: Any, params: dict[str, Any] | None = None) -> list[NoteRecord]:
        async with self._autocommit.connect() as conn:
            rows = (await conn.execute(stmt, params)).all()
        return [NoteRecord.model_validate(r._mapping) for r in rows]

    async def add(
        self,
        user_id: uuid.UUID,
        ad_account_id: uuid.UUID | None,
        domain: str,
        text: str,
        *,
        importance: float = 0.5,
        source: str = "auto",
        dedup_key: str | None = None,
    ) -> NoteRecord:
        """Store a note, or refresh the note with the same key (new text, the higher importance).

        Then the domain is cut back to MAX_NOTES_PER_DOMAIN, evicting the least important notes,
        the least recently written first among equals — possibly the new note itself, which the
        returned record then says (`evicted=True`).

        Raises:
            ValueError: unknown domain/source, importance outside 0..1, empty or too long text.
        """
        clean = _validated(domain, text, importance, source)
        key = fit_key(dedup_key if dedup_key and dedup_key.strip() else normalize_text(clean))
        if not key:
            raise ValueError("a note needs some letters or digits")
        now = clock.now()  # the product's clock orders notes (the snapshot and the ranking read it)
        ins = pg_insert(AgentNote).values(
            user_id=user_id, ad_account_id=ad_account_id, domain=domain, text=clean, dedup_key=key,
            source=source, importance=importance, created_at=now, updated_at=now,
        )
        upsert = ins.on_conflict_do_update(
            constraint="uq_agent_notes_dedup",
            set_={
                "text": ins.excluded.text,
                "importance": func.greatest(AgentNote.importance, ins.excluded.importance),
                # What the user told us stays the user's, even when an agent re-observes it.
                "source": case((AgentNote.source == "user", "user"), else_=ins.excluded.source),
                "updated_at": now,
            },
        ).returning(AgentNote, literal_column("(xmax = 0)").label("inserted"))
        async with self._autocommit.connect() as conn:
            row = (await conn.execute(upsert)).one()
        record = NoteRecord.model_validate({k: v for k, v in row._mapping.items() if k != "inserted"})
        if not row.inserted:
            return record  # a refresh (the common case: a re-observed fact) adds no row: nothing to evict
        overflow = (select(AgentNote.id).where(*_exact(user_id, ad_account_id, domain))
                    .order_by(*_RANKING).offset(MAX_NOTES_PER_DOMAIN))
        evict = delete(AgentNote).where(AgentNote.id.in_(overflow)).returning(AgentNote.id)
        async with self._engine.begin() as conn:
            # Serialised per domain: each adder evicts after the adds before it committed, so the
            # last one sees every row and two concurrent adds cannot both leave 21.
            await conn.execute(select(func.pg_advisory_xact_lock(_lock_key(user_id, ad_account_id, domain))))
            evicted = set((await conn.execute(evict)).scalars())
        return record.model_copy(update={"evicted": True}) if record.id in evicted else record

    async def forget(self, user_id: uuid.UUID, ad_account_id: uuid.UUID | None, query: str) -> list[NoteRecord]:
        """Delete the visible notes matching `query` (see `matches_query`); returns what was deleted.

        Two statements, not one: the fuzzy match (difflib) runs in Python over the ≤ 100 notes of
        the scope, then the matches are deleted by id.
        """
        if len(normalize_text(query)) < MIN_QUERY_CHARS:
            return []
        async with self._autocommit.connect() as conn:
            rows = (await conn.execute(select(AgentNote.id, AgentNote.text)
                                       .where(*_visible(user_id, ad_account_id)))).all()
            ids = [r.id for r in rows if matches_query(query, r.text)]
            if not ids:
                return []
            deleted = (await conn.execute(
                delete(AgentNote).where(AgentNote.id.in_(ids), AgentNote.user_id == user_id).returning(AgentNote)
            )).all()
        records = [NoteRecord.model_validate(r._mapping) for r in deleted]
        return sorted(records, key=lambda n: (-n.importance, -n.updated_at.timestamp(), str(n.id)))

    async def list(
        self, user_id: uuid.UUID, ad_account_id: uuid.UUID | None, domain: str | None = None
    ) -> list[NoteRecord]:
        """Visible notes, most important first, then the most recently written."""
        return await self._rows(_list_statement(ad_account_id is not None, domain is not None),
                                {"user_id": user_id, "ad_account_id": ad_account_id, "domain": domain})

    async def digest(
        self,
        user_id: uuid.UUID,
        ad_account_id: uuid.UUID | None,
        domains: Sequence[str],
        *,
        limit: int = 10,
        max_chars: int = 1200,
    ) -> str:
        """A compact block for an agent's system prompt, or "" when there is nothing to say.

        An agent usually passes its own domain and "general". Lines are tagged with the domain
        when several domains are asked for, and with "user" for what the user said.
        """
        wanted = list(dict.fromkeys(domains))
        if not wanted or limit <= 0:
            return ""
        stmt = (select(AgentNote).where(*_visible(user_id, ad_account_id), AgentNote.domain.in_(wanted))
                .order_by(*_RANKING).limit(limit))
        return format_digest(await self._rows(stmt), tag_domains=len(wanted) > 1, max_chars=max_chars)

"""NotesStore against a real PostgreSQL: dedup, the 20-per-domain cap, forget, list, digest, scoping."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from agent_brain.db.models import AgentNote
from agent_brain.memory.notes import (
    DIGEST_HEADER,
    MAX_NOTES_PER_DOMAIN,
    NotesStore,
    fit_key,
    matches_query,
    normalize_text,
)
from agent_brain.stores.users import UserRecord, UserStore


@pytest.fixture
def notes(engine: AsyncEngine) -> NotesStore:
    return NotesStore(engine)


@pytest.fixture
async def account(engine: AsyncEngine, user: UserRecord) -> uuid.UUID:
    record = await UserStore(engine).upsert_ad_account(user.id, external_id="act_1", name="Clinic")
    return record.id


async def count(engine: AsyncEngine, user_id: uuid.UUID, domain: str) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(
            select(func.count()).where(AgentNote.user_id == user_id, AgentNote.domain == domain)
        )


# ── text helpers ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("text", "expected"), [
    ("Бюджет — НЕ больше $50,5!", "бюджет не больше 50.5"),
    ("  Ёлки:\n\tпалки  ", "елки палки"),
    ("CPL 12.50 vs 1250", "cpl 12.50 vs 1250"),
    ("utm_content = ad id", "utm content ad id"),
    ("!!!", ""),
])
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_long_keys_fit_the_column_and_stay_distinct() -> None:
    a, b = fit_key("x" * 300), fit_key("x" * 299 + "y")
    assert len(a) == len(b) == 200
    assert a != b
    assert fit_key("short") == "short"


@pytest.mark.parametrize(("query", "text", "expected"), [
    ("cpl", "Высокий CPL у направления «Виниры»", True),  # word-start substring
    ("виниры", "Высокий CPL у направления «Виниры»", True),
    ("инир", "Высокий CPL у направления «Виниры»", False),  # not at a word start
    ("бюджет не больше 50 долларов", "Бюджет не больше 50 долларов!", True),
    ("бюджет не болше 50 доларов", "Бюджет не больше 50 долларов", True),  # typos: difflib ratio
    ("мой бюджет на имплантацию", "Бюджет на имплантация — $30 в день", True),  # word endings
    ("бюджет креативов", "Бюджет на рекламу $30 в день", False),  # one word unmatched
    ("ок", "ок", False),  # too short to delete anything by
])
def test_matches_query(query: str, text: str, expected: bool) -> None:
    assert matches_query(query, text) is expected


# ── add: dedup and validation ───────────────────────────────────────────────────────────────


async def test_add_and_list_round_trip(notes: NotesStore, user: UserRecord, account: uuid.UUID) -> None:
    note = await notes.add(user.id, account, "ads", "  Целевой CPL —\n$25 ", importance=0.7)
    assert note.text == "Целевой CPL — $25"
    assert note.dedup_key == "целевой cpl 25"
    assert (note.source, note.importance, note.evicted) == ("auto", 0.7, False)
    assert [n.id for n in await notes.list(user.id, account)] == [note.id]


async def test_same_text_refreshes_one_note(notes: NotesStore, user: UserRecord, account: uuid.UUID) -> None:
    first = await notes.add(user.id, account, "ads", "Целевой CPL $25", importance=0.8)
    again = await notes.add(user.id, account, "ads", "целевой cpl — $25!", importance=0.3, source="user")
    assert again.id == first.id
    assert again.text == "целевой cpl — $25!"  # the text is refreshed …
    assert again.importance == 0.8  # … importance only ever goes up
    assert again.source == "user"
    assert again.updated_at > first.updated_at
    # An agent re-observing a user's note does not take it over.
    third = await notes.add(user.id, account, "ads", "Целевой CPL $25", source="auto")
    assert third.source == "user"
    assert len(await notes.list(user.id, account)) == 1


async def test_explicit_key_refreshes_a_changing_observation(
    notes: NotesStore, user: UserRecord, account: uuid.UUID
) -> None:
    await notes.add(user.id, account, "ads", "Лучшее направление: Виниры $12", dedup_key="best_cpl:direction")
    await notes.add(user.id, account, "ads", "Лучшее направление: Брекеты $10", dedup_key="best_cpl:direction")
    [note] = await notes.list(user.id, account)
    assert note.text == "Лучшее направление: Брекеты $10"
    # The same key in another domain is another note.
    await notes.add(user.id, account, "crm", "x", dedup_key="best_cpl:direction")
    assert len(await notes.list(user.id, account)) == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"domain": "mixed"}, "unknown note domain"),
    ({"importance": 1.5}, "within 0..1"),
    ({"source": "agent"}, "unknown note source"),
    ({"text": "  \n "}, "needs some text"),
    ({"text": "?!"}, "letters or digits"),
    ({"text": "x" * 501}, "at most 500"),
])
async def test_add_rejects_bad_input(kwargs: dict, message: str) -> None:
    # Validation comes before any statement: an engine that cannot connect proves it (and is fast).
    notes = NotesStore(create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none"))
    args = {"domain": "ads", "text": "note", **kwargs}
    with pytest.raises(ValueError, match=message):
        await notes.add(uuid.uuid4(), None, args.pop("domain"), args.pop("text"), **args)


# ── the cap ─────────────────────────────────────────────────────────────────────────────────


async def test_the_21st_note_evicts_the_least_important(
    engine: AsyncEngine, notes: NotesStore, user: UserRecord, account: uuid.UUID
) -> None:
    for i in range(MAX_NOTES_PER_DOMAIN):
        await notes.add(user.id, account, "ads", f"note {i}", importance=0.5 if i != 7 else 0.1)
    await notes.add(user.id, account, "crm", "another domain is not counted")
    new = await notes.add(user.id, account, "ads", "note new", importance=0.5)
    assert not new.evicted
    texts = {n.text for n in await notes.list(user.id, account, "ads")}
    assert len(texts) == MAX_NOTES_PER_DOMAIN
    assert "note 7" not in texts
    assert "note new" in texts
    assert await count(engine, user.id, "crm") == 1


async def test_equal_importance_evicts_the_oldest(notes: NotesStore, user: UserRecord) -> None:
    for i in range(MAX_NOTES_PER_DOMAIN + 2):
        await notes.add(user.id, None, "general", f"note {i}")
    texts = {n.text for n in await notes.list(user.id, None)}
    assert texts == {f"note {i}" for i in range(2, MAX_NOTES_PER_DOMAIN + 2)}


async def test_a_refresh_makes_a_note_young_again(notes: NotesStore, user: UserRecord) -> None:
    for i in range(MAX_NOTES_PER_DOMAIN):
        await notes.add(user.id, None, "general", f"note {i}")
    await notes.add(user.id, None, "general", "note 0")  # confirmed again: now the newest
    await notes.add(user.id, None, "general", "note new")
    texts = {n.text for n in await notes.list(user.id, None)}
    assert "note 0" in texts
    assert "note 1" not in texts


async def test_a_new_note_less_important_than_all_others_is_not_kept(notes: NotesStore, user: UserRecord) -> None:
    for i in range(MAX_NOTES_PER_DOMAIN):
        await notes.add(user.id, None, "ads", f"note {i}", importance=0.6)
    weak = await notes.add(user.id, None, "ads", "weak note", importance=0.2)
    assert weak.evicted
    assert "weak note" not in {n.text for n in await notes.list(user.id, None)}


async def test_concurrent_adds_never_exceed_the_cap(
    engine: AsyncEngine, notes: NotesStore, user: UserRecord, account: uuid.UUID
) -> None:
    for i in range(15):
        await notes.add(user.id, account, "ads", f"existing {i}")
    await asyncio.gather(*(notes.add(user.id, account, "ads", f"concurrent {i}", importance=0.6) for i in range(10)))
    assert await count(engine, user.id, "ads") == MAX_NOTES_PER_DOMAIN
    texts = {n.text for n in await notes.list(user.id, account)}
    assert {f"concurrent {i}" for i in range(10)} <= texts  # the more important ones all stayed


# ── forget ──────────────────────────────────────────────────────────────────────────────────


async def test_forget_deletes_fuzzy_matches_and_returns_them(
    notes: NotesStore, user: UserRecord, account: uuid.UUID
) -> None:
    await notes.add(user.id, account, "ads", "Бюджет на имплантацию не больше $30 в день", importance=0.9)
    await notes.add(user.id, account, "ads", "Высокий CPL у направления «Виниры»")
    await notes.add(user.id, None, "general", "Клиника работает без выходных")
    deleted = await notes.forget(user.id, account, "бюджет на имплантация")
    assert [n.text for n in deleted] == ["Бюджет на имплантацию не больше $30 в день"]
    # Typos still match; the user-level note is visible and therefore forgettable in an account.
    deleted = await notes.forget(user.id, account, "клиника работает без выходных!!")
    assert len(deleted) == 1
    assert [n.text for n in await notes.list(user.id, account)] == ["Высокий CPL у направления «Виниры»"]


async def test_forget_nothing_matched(notes: NotesStore, user: UserRecord, other_user: UserRecord) -> None:
    await notes.add(user.id, None, "ads", "Целевой CPL $25")
    assert await notes.forget(user.id, None, "креативы с котиками") == []
    assert await notes.forget(user.id, None, "  ") == []
    assert await notes.forget(other_user.id, None, "целевой cpl") == []  # another user's note is out of reach
    assert len(await notes.list(user.id, None)) == 1


# ── list, digest, scoping ───────────────────────────────────────────────────────────────────


async def test_list_orders_by_importance_then_newest(notes: NotesStore, user: UserRecord) -> None:
    await notes.add(user.id, None, "ads", "a", importance=0.5)
    await notes.add(user.id, None, "crm", "b", importance=0.9)
    await notes.add(user.id, None, "ads", "c", importance=0.5)
    assert [n.text for n in await notes.list(user.id, None)] == ["b", "c", "a"]
    assert [n.text for n in await notes.list(user.id, None, "ads")] == ["c", "a"]


async def test_digest_orders_limits_and_tags(notes: NotesStore, user: UserRecord) -> None:
    assert await notes.digest(user.id, None, ["ads"]) == ""
    await notes.add(user.id, None, "ads", "CPL растёт", importance=0.6)
    await notes.add(user.id, None, "general", "Работаем только в Алматы", importance=0.9, source="user")
    await notes.add(user.id, None, "crm", "Воронка течёт", importance=0.99)
    digest = await notes.digest(user.id, None, ["ads", "general"])
    assert digest == f"{DIGEST_HEADER}\n- [general · user] Работаем только в Алматы\n- [ads] CPL растёт"
    assert await notes.digest(user.id, None, ["ads"]) == f"{DIGEST_HEADER}\n- CPL растёт"
    assert await notes.digest(user.id, None, ["ads", "general"], limit=1) == (
        f"{DIGEST_HEADER}\n- [general · user] Работаем только в Алматы")
    assert await notes.digest(user.id, None, []) == ""


async def test_digest_respects_max_chars(notes: NotesStore, user: UserRecord) -> None:
    for i in range(10):
        await notes.add(user.id, None, "ads", f"Наблюдение номер {i}: " + "x" * 40, importance=i / 10)
    digest = await notes.digest(user.id, None, ["ads"], limit=10, max_chars=200)
    assert len(digest) <= 200
    assert digest.splitlines()[1].startswith("- Наблюдение номер 9")
    assert len(digest.splitlines()) == 3  # header + the two most important that fit whole
    cut = await notes.digest(user.id, None, ["ads"], max_chars=60)
    assert len(cut) <= 60 and cut.endswith("…")  # the top note is cut rather than dropped


async def test_notes_are_scoped_to_user_and_account(
    engine: AsyncEngine, notes: NotesStore, user: UserRecord, other_user: UserRecord, account: uuid.UUID
) -> None:
    other_account = (await UserStore(engine).upsert_ad_account(user.id, external_id="act_2", name="B")).id
    await notes.add(user.id, account, "ads", "account one")
    await notes.add(user.id, other_account, "ads", "account two")
    await notes.add(user.id, None, "ads", "user level")
    await notes.add(other_user.id, None, "ads", "someone else")
    assert {n.text for n in await notes.list(user.id, account)} == {"account one", "user level"}
    assert {n.text for n in await notes.list(user.id, None)} == {"user level"}
    assert {n.text for n in await notes.list(other_user.id, None)} == {"someone else"}
    assert "someone else" not in await notes.digest(user.id, account, ["ads"])
    # Same text, other account: its own note, not a refresh.
    await notes.add(user.id, other_account, "ads", "account one")
    assert len(await notes.list(user.id, account)) == 2

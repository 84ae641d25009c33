"""Business snapshot: figures checked against independent SQL over the demo world, two-stage
source, freshness boundaries, user scoping, statement count and the prompt block."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import (
    AdCreativeMapping,
    AgentNote,
    Creative,
    CreativeMetricsDaily,
    CreativeScore,
    Direction,
)
from agent_brain.memory.snapshot import (
    BusinessSnapshot,
    Note,
    Performer,
    _rank,
    freshness_at,
    load_snapshot,
)
from agent_brain.money import format_money
from agent_brain.stores.users import UserStore
from agent_brain.tokens import count_tokens


class Demo:
    """The demo account and the end of its data, read independently of the snapshot code."""

    def __init__(self, user_id: uuid.UUID, account_id: uuid.UUID, tz: str, latest: date) -> None:
        self.user_id, self.account_id, self.latest = user_id, account_id, latest
        # The last metrics day is complete when the next day starts in the account's time zone.
        self.complete_at = datetime.combine(latest + timedelta(days=1), time(), ZoneInfo(tz))
        self.now = self.complete_at + timedelta(hours=1)  # window = the 7 days ending on `latest`
        self.window = (latest - timedelta(days=6), latest)

    async def load(self, engine: AsyncEngine, now: datetime | None = None) -> BusinessSnapshot:
        return await load_snapshot(engine, user_id=self.user_id, ad_account_id=self.account_id, now=now or self.now)


async def _demo(engine: AsyncEngine) -> Demo:
    async with engine.connect() as conn:
        user_id, account_id, tz = (await conn.execute(text("SELECT user_id, id, timezone FROM ad_accounts"))).one()
        latest = (await conn.execute(text(
            "SELECT max(h.date) FROM creative_metrics_history h JOIN creatives c ON c.id = h.creative_id "
            "WHERE c.ad_account_id = :a"), {"a": account_id})).scalar_one()
    return Demo(user_id, account_id, tz, latest)


async def _rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).all()


async def _history_totals(engine: AsyncEngine, account_id: uuid.UUID, start: date, end: date) -> dict[str, int]:
    (row,) = await _rows(engine, """
        SELECT COALESCE(sum(h.spend_cents), 0) AS spend_cents, COALESCE(sum(h.impressions), 0) AS impressions,
               COALESCE(sum(h.clicks), 0) AS clicks, COALESCE(sum(h.leads), 0) AS leads
        FROM creative_metrics_history h JOIN creatives c ON c.id = h.creative_id
        WHERE c.ad_account_id = :a AND h.date BETWEEN :s AND :e""", a=account_id, s=start, e=end)
    return dict(row._mapping)


def _totals(snapshot: BusinessSnapshot) -> dict[str, int]:
    return snapshot.totals.model_dump(include={"spend_cents", "impressions", "clicks", "leads"})


async def _expected_directions(engine: AsyncEngine, demo: Demo) -> tuple[str, str]:
    """(best, worst) direction names by CPL, straight from the per-ad history."""
    rows = await _rows(engine, """
        SELECT d.name, sum(h.spend_cents)::bigint AS spend, sum(h.leads)::bigint AS leads
        FROM creative_metrics_history h
        JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id
        JOIN directions d ON d.id = m.direction_id
        WHERE d.ad_account_id = :a AND h.date BETWEEN :s AND :e
        GROUP BY d.name HAVING sum(h.spend_cents) > 0""", a=demo.account_id, s=demo.window[0], e=demo.window[1])
    best = min((r for r in rows if r.leads), key=lambda r: Fraction(r.spend, r.leads))
    others = [r for r in rows if r.name != best.name]
    no_leads = [r for r in others if not r.leads]
    worst = (max(no_leads, key=lambda r: r.spend) if no_leads
             else max(others, key=lambda r: Fraction(r.spend, r.leads)))
    return best.name, worst.name


# ── the demo world ──────────────────────────────────────────────────────────────────────────


async def test_demo_snapshot_matches_independent_sql(demo_engine: AsyncEngine) -> None:
    demo = await _demo(demo_engine)
    snapshot = await demo.load(demo_engine)

    assert (snapshot.period_from, snapshot.period_to) == demo.window
    assert snapshot.source == "rollup"
    assert snapshot.freshness == "fresh"
    assert snapshot.data_as_of == demo.latest
    assert snapshot.data_complete_at == demo.complete_at
    assert _totals(snapshot) == await _history_totals(demo_engine, demo.account_id, *demo.window)
    assert snapshot.totals.spend_cents > 0 and snapshot.totals.leads > 0

    best, worst = await _expected_directions(demo_engine, demo)
    assert snapshot.top_direction is not None and snapshot.worst_direction is not None
    assert (snapshot.top_direction.name, snapshot.worst_direction.name) == (best, worst)
    targets = {r.name: r.target_cpl_cents for r in await _rows(demo_engine, "SELECT name, target_cpl_cents FROM directions")}
    assert snapshot.top_direction.target_cpl_cents == targets[best]
    assert snapshot.worst_direction.target_cpl_cents == targets[worst]
    assert snapshot.top_adset is not None and snapshot.worst_adset is not None
    assert snapshot.top_adset.id != snapshot.worst_adset.id

    (counts,) = await _rows(demo_engine, "SELECT count(*) FILTER (WHERE is_active) AS active, "
                                         "count(*) FILTER (WHERE NOT is_active) AS paused FROM directions")
    assert (snapshot.directions_active, snapshot.directions_paused) == (counts.active, counts.paused)
    risky = await _rows(demo_engine, """
        SELECT c.title FROM creatives c
        JOIN LATERAL (SELECT risk_level FROM creative_scores s WHERE s.creative_id = c.id
                      ORDER BY scored_at DESC LIMIT 1) s ON true
        WHERE s.risk_level = 'high' AND c.status <> 'archived'""")
    assert {c.title for c in snapshot.high_risk_creatives} == {r.title for r in risky}
    assert snapshot.high_risk_count == len(risky) > 0
    notes = await _rows(demo_engine, "SELECT text FROM agent_notes ORDER BY importance DESC, updated_at DESC LIMIT 5")
    assert [n.text for n in snapshot.notes] == [n.text for n in notes]

    t = snapshot.totals
    ru, en = snapshot.format("ru", "USD"), snapshot.format("en", "USD")
    for block in (ru, en):
        for figure in (format_money(t.spend_cents), format_money(t.cpl_cents or 0), f"{t.ctr:.2f}%", best, worst):
            assert figure in block
        assert count_tokens(block) <= 600
    assert f"лидов {t.leads}" in ru and f"leads {t.leads}" in en
    assert f"Данные на {demo.latest.isoformat()} (свежие)" in ru
    assert f"Data as of {demo.latest.isoformat()} (fresh)" in en

    stats = snapshot.stats("en")
    assert stats["freshness"] == "fresh" and stats["source"] == "rollup"
    assert stats["data_as_of"] == demo.latest.isoformat()
    assert {"totals", "top_direction", "worst_direction", "high_risk_creatives", "notes"} <= set(stats["figures"])
    assert stats["tokens"] == count_tokens(en)


async def test_history_fallback_gives_the_same_figures(demo_engine: AsyncEngine) -> None:
    demo = await _demo(demo_engine)
    from_rollup = await demo.load(demo_engine)
    async with demo_engine.begin() as conn:
        await conn.execute(text("DELETE FROM direction_metrics_rollup"))
    from_history = await demo.load(demo_engine)

    assert (from_rollup.source, from_history.source) == ("rollup", "history")
    assert from_history.totals == from_rollup.totals
    assert from_history.top_direction == from_rollup.top_direction
    assert from_history.worst_direction == from_rollup.worst_direction
    assert from_history.freshness == "fresh"


async def test_freshness_boundaries_and_account_calendar(demo_engine: AsyncEngine) -> None:
    demo = await _demo(demo_engine)
    end = demo.complete_at
    cases = [
        (timedelta(hours=23, minutes=59, seconds=59), "fresh"),
        (timedelta(hours=24), "stale"),
        (timedelta(hours=47, minutes=59, seconds=59), "stale"),
        (timedelta(hours=48), "outdated"),
    ]
    for age, expected in cases:
        snapshot = await demo.load(demo_engine, now=end + age)
        assert snapshot.freshness == expected, age
    assert "stale — say so" in (await demo.load(demo_engine, now=end + timedelta(hours=30))).format("en")

    # The window follows the account's calendar (Moscow, UTC+3), not UTC: at 22:30 UTC of the last
    # metrics day it is already the next day in Moscow, so that last day is a full day of the window.
    late_evening = datetime.combine(demo.latest, time(22, 30), UTC)
    assert (await demo.load(demo_engine, now=late_evening)).period_to == demo.latest
    early_evening = datetime.combine(demo.latest, time(20, 30), UTC)
    assert (await demo.load(demo_engine, now=early_evening)).period_to == demo.latest - timedelta(days=1)


async def test_sql_statements_per_load(demo_engine: AsyncEngine) -> None:
    demo = await _demo(demo_engine)  # also opens the pool's first connection (dialect setup queries)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(demo_engine.sync_engine, "before_cursor_execute", count)
    try:
        await demo.load(demo_engine)
    finally:
        event.remove(demo_engine.sync_engine, "before_cursor_execute", count)
    print(f"\nSQL statements per snapshot load: {len(statements)}")
    assert len(statements) <= 3


async def test_other_users_data_is_never_included(demo_engine: AsyncEngine) -> None:
    demo = await _demo(demo_engine)
    users = UserStore(demo_engine)
    other, _ = await users.create_user("other-advertiser")
    account = await users.upsert_ad_account(other.id, external_id="act_999", name="Other", timezone="Europe/Moscow")
    direction, creative = uuid.uuid4(), uuid.uuid4()
    async with demo_engine.begin() as conn:
        await conn.execute(insert(Direction).values(id=direction, user_id=other.id, ad_account_id=account.id,
                                                    name="Чужое направление", daily_budget_cents=10_000))
        await conn.execute(insert(Creative).values(id=creative, user_id=other.id, ad_account_id=account.id,
                                                   direction_id=direction, title="Чужой креатив", media_type="image"))
        await conn.execute(insert(AdCreativeMapping).values(ad_account_id=account.id, fb_ad_id="999", fb_adset_id="998",
                                                            fb_campaign_id="997", creative_id=creative,
                                                            direction_id=direction))
        await conn.execute(insert(CreativeMetricsDaily).values(creative_id=creative, fb_ad_id="999", date=demo.latest,
                                                               impressions=1000, clicks=10, spend_cents=99_999_00,
                                                               leads=1))
        await conn.execute(text("SELECT refresh_direction_metrics_rollup(:d, :d)"), {"d": demo.latest})
        await conn.execute(insert(CreativeScore).values(creative_id=creative, risk_score=99, risk_level="high"))
        await conn.execute(insert(AgentNote).values([
            {"user_id": other.id, "ad_account_id": account.id, "domain": "ads", "text": "чужая заметка",
             "dedup_key": "a", "importance": 1.0},
            {"user_id": other.id, "ad_account_id": None, "domain": "general", "text": "чужая общая заметка",
             "dedup_key": "b", "importance": 1.0},
        ]))

    mine = await demo.load(demo_engine)
    assert _totals(mine) == await _history_totals(demo_engine, demo.account_id, *demo.window)
    assert "Чужой креатив" not in {c.title for c in mine.high_risk_creatives}
    assert not {n.text for n in mine.notes} & {"чужая заметка", "чужая общая заметка"}
    assert "Чужое направление" not in {mine.top_direction.name, mine.worst_direction.name}
    assert (mine.directions_active, mine.directions_paused) == (4, 1)

    theirs = await load_snapshot(demo_engine, user_id=other.id, ad_account_id=account.id, now=demo.now)
    assert (theirs.totals.spend_cents, theirs.totals.leads, theirs.directions_active) == (99_999_00, 1, 1)
    assert [c.title for c in theirs.high_risk_creatives] == ["Чужой креатив"]
    assert {n.text for n in theirs.notes} == {"чужая заметка", "чужая общая заметка"}

    # Someone else's account id under one's own user id (and vice versa) yields nothing of theirs.
    crossed = await load_snapshot(demo_engine, user_id=other.id, ad_account_id=demo.account_id, now=demo.now)
    assert (crossed.freshness, crossed.source, crossed.totals.spend_cents) == ("missing", "none", 0)
    assert crossed.top_direction is None and not crossed.high_risk_creatives
    assert {n.text for n in crossed.notes} == {"чужая общая заметка"}  # the user's own account-less note
    crossed = await load_snapshot(demo_engine, user_id=demo.user_id, ad_account_id=account.id, now=demo.now)
    assert (crossed.freshness, crossed.totals.spend_cents, crossed.directions_active) == ("missing", 0, 0)


# ── an empty account ────────────────────────────────────────────────────────────────────────


async def test_empty_account_is_missing_not_an_error(engine: AsyncEngine) -> None:
    users = UserStore(engine)
    user, _ = await users.create_user("newcomer")
    account = await users.upsert_ad_account(user.id, external_id="act_1", name="New", currency="RUB")
    now = datetime(2026, 5, 20, 12, tzinfo=UTC)

    snapshot = await load_snapshot(engine, user_id=user.id, ad_account_id=account.id, now=now)
    assert (snapshot.freshness, snapshot.source, snapshot.data_as_of) == ("missing", "none", None)
    assert (snapshot.period_from, snapshot.period_to) == (date(2026, 5, 13), date(2026, 5, 19))
    assert snapshot.totals.spend_cents == 0 and snapshot.totals.cpl_cents is None and snapshot.totals.ctr is None
    assert snapshot.top_direction is None and snapshot.worst_adset is None and not snapshot.notes
    assert snapshot.currency == "RUB"
    assert "Данных о метриках нет" in snapshot.format("ru")
    assert "No metrics data" in snapshot.format("en")
    assert snapshot.stats()["figures"] == [] and snapshot.stats()["freshness"] == "missing"

    no_account = await load_snapshot(engine, user_id=user.id, ad_account_id=None, now=now)
    assert no_account == BusinessSnapshot.missing()

    # Database errors are the caller's to log: an unknown time zone is refused by PostgreSQL.
    await users.upsert_ad_account(user.id, external_id="act_1", name="New", timezone="Mars/Olympus")
    with pytest.raises(DBAPIError):
        await load_snapshot(engine, user_id=user.id, ad_account_id=account.id, now=now)


# ── pure rules (no database) ────────────────────────────────────────────────────────────────


def test_freshness_rule() -> None:
    end = datetime(2026, 5, 20, tzinfo=UTC)
    assert freshness_at(None, end) == "missing"
    assert freshness_at(end, end - timedelta(hours=3)) == "fresh"  # today's partial data
    assert freshness_at(end, end + timedelta(days=30)) == "outdated"


def test_ranking_rules() -> None:
    def p(id_: str, spend: int, leads: int) -> Performer:
        return Performer(id=id_, name=id_, spend_cents=spend, leads=leads)

    # Spend without leads is the worst; idle items are ignored; ties go to the first id.
    top, worst = _rank([p("b", 1000, 10), p("a", 500, 5), p("c", 300, 0), p("d", 9000, 1), p("e", 0, 0)])
    assert (top.id, worst.id) == ("a", "c")
    top, worst = _rank([p("a", 1000, 10), p("b", 5000, 10)])
    assert (top.id, worst.id) == ("a", "b")
    assert _rank([p("a", 1000, 10)]) == (p("a", 1000, 10), None)  # one candidate: no worst
    assert _rank([p("a", 1000, 0)]) == (None, p("a", 1000, 0))


def test_format_keeps_within_the_token_budget() -> None:
    snapshot = BusinessSnapshot(
        source="history", data_as_of=date(2026, 5, 19), freshness="outdated",
        period_from=date(2026, 5, 13), period_to=date(2026, 5, 19),
        notes=tuple(Note(domain="ads", text=f"заметка {i} " + "очень длинный текст " * 40) for i in range(5)),
    )
    full = snapshot.format("en", max_tokens=10_000)
    short = snapshot.format("en", max_tokens=200)
    assert "outdated" in short and "Data as of 2026-05-19" in short
    assert count_tokens(short) <= 200 < count_tokens(full)
    assert all(len(line) <= 220 for line in full.splitlines())  # notes are clipped

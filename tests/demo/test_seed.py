"""Seeding the demo world into PostgreSQL: counts, idempotency, rollup, full-text search."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.demo.seed import seed_demo
from agent_brain.demo.world import DEMO_TIMEZONE, build_world

TODAY = date(2026, 5, 20)
TABLES = (
    "users", "ad_accounts", "directions", "creatives", "creative_analyses", "creative_scores", "creative_tests",
    "ad_creative_mapping", "creative_metrics_history", "direction_metrics_rollup", "funnel_stages", "leads",
    "lead_stage_changes", "purchases", "whatsapp_dialogs", "whatsapp_messages", "dialog_analysis",
    "business_specs", "agent_notes",
)


async def _snapshot(engine: AsyncEngine) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent checksum of every column of every seeded table."""
    out = {}
    async with engine.connect() as conn:
        for table in TABLES:
            row = (await conn.execute(text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
            ))).one()
            out[table] = (row[0], row[1])
    return out


def _expected_counts(today: date) -> dict[str, int]:
    w = build_world(today)
    ads = list(w.ads())
    return {
        "directions": len(w.directions),
        "creatives": len(w.creatives),
        "creative_analyses": sum(len(c.analyses) for c in w.creatives),
        "creative_scores": len(w.creatives),
        "creative_tests": len(w.creative_tests),
        "ad_creative_mapping": len(ads),
        "creative_metrics_history": sum(len(ad.daily) for *_, ad in ads),
        "funnel_stages": len(w.funnel_stages),
        "leads": len(w.leads),
        "lead_stage_changes": sum(len(lead.history) for lead in w.leads),
        "purchases": len(w.purchases),
        "whatsapp_dialogs": len(w.dialogs),
        "whatsapp_messages": sum(len(d.messages) for d in w.dialogs),
        "dialog_analysis": len(w.dialogs),
        "business_specs": 1,
        "agent_notes": len(w.notes),
    }


async def test_seed_writes_the_whole_world(engine: AsyncEngine) -> None:
    report = await seed_demo(engine, today=TODAY)  # its speed is measured by bench/, never asserted here
    expected = _expected_counts(TODAY)
    counts = {table: n for table, (n, _) in (await _snapshot(engine)).items()}
    for table, n in expected.items():
        assert counts[table] == n == report.inserted[table], table
    assert counts["leads"] >= 200 and counts["whatsapp_dialogs"] >= 50 and counts["creatives"] >= 20
    assert counts["direction_metrics_rollup"] == report.inserted["direction_metrics_rollup"] > 0
    async with engine.connect() as conn:
        account = (await conn.execute(text(
            "SELECT a.external_id, a.is_sandbox, a.currency, u.language FROM ad_accounts a JOIN users u ON u.id = a.user_id "
            "WHERE u.name = 'demo'"
        ))).one()
        assert tuple(account) == ("act_100200300400", True, "USD", "ru")
        kpi = (await conn.execute(text("SELECT kpi->>'target_cpl_cents' FROM business_specs"))).scalar_one()
        assert int(kpi) > 0
        # Named people and their CRM data made it through.
        named = (await conn.execute(text(
            "SELECT l.name, s.name, l.score, l.temperature FROM leads l JOIN funnel_stages s ON s.id = l.stage_id "
            "WHERE l.name IN ('Иван Петров', 'Мария Сидорова') ORDER BY l.name"
        ))).all()
        assert [tuple(r) for r in named] == [("Иван Петров", "Консультация", 85, "hot"),
                                            ("Мария Сидорова", "Записана", 78, "hot")]
        linked = (await conn.execute(text(
            "SELECT l.name FROM whatsapp_dialogs d JOIN leads l ON l.id = d.lead_id WHERE d.phone = '+79991234567'"
        ))).scalar_one()
        assert linked == "Мария Сидорова"


async def test_seeding_twice_changes_nothing(engine: AsyncEngine) -> None:
    await seed_demo(engine, today=TODAY)
    before = await _snapshot(engine)
    again = await seed_demo(engine, today=TODAY)
    assert not again.changed, again.inserted
    assert await _snapshot(engine) == before


async def test_concurrent_seeds_do_not_duplicate(engine: AsyncEngine) -> None:
    first, second = await asyncio.gather(seed_demo(engine, today=TODAY), seed_demo(engine, today=TODAY))
    assert first.changed != second.changed  # exactly one of them wrote the world
    counts = {table: n for table, (n, _) in (await _snapshot(engine)).items()}
    assert all(counts[table] == n for table, n in _expected_counts(TODAY).items())


async def test_a_later_seed_only_tops_up(engine: AsyncEngine) -> None:
    await seed_demo(engine, today=TODAY)
    later = await seed_demo(engine, today=TODAY + timedelta(days=1))
    assert 0 < later.inserted["creative_metrics_history"] < 60
    async with engine.connect() as conn:
        last = (await conn.execute(text("SELECT max(date) FROM creative_metrics_history"))).scalar_one()
        duplicates = (await conn.execute(text(
            "SELECT count(*) FROM (SELECT creative_id FROM creative_tests GROUP BY creative_id HAVING count(*) > 1) x"
        ))).scalar_one()
    assert last == TODAY and duplicates == 0


async def test_rollup_equals_history_per_direction_day(engine: AsyncEngine) -> None:
    await seed_demo(engine, today=TODAY)
    async with engine.connect() as conn:
        mismatches = (await conn.execute(text("""
            WITH h AS (
                SELECT m.direction_id, h.date, sum(h.impressions) AS impressions, sum(h.clicks) AS clicks,
                       sum(h.spend_cents) AS spend_cents, sum(h.leads) AS leads
                FROM creative_metrics_history h
                JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id
                GROUP BY m.direction_id, h.date
            )
            SELECT count(*) FROM h FULL JOIN direction_metrics_rollup r USING (direction_id, date)
            WHERE h.direction_id IS NULL OR r.direction_id IS NULL
               OR (h.impressions, h.clicks, h.spend_cents, h.leads)
                  IS DISTINCT FROM (r.impressions, r.clicks, r.spend_cents, r.leads)
        """))).scalar_one()
        spend = dict((await conn.execute(text(
            "SELECT d.name, sum(r.spend_cents) FROM direction_metrics_rollup r JOIN directions d ON d.id = r.direction_id "
            "GROUP BY d.name"
        ))).all())
    assert mismatches == 0
    expected: dict[str, int] = {}
    for *_, ad in build_world(TODAY).ads():
        expected[ad.direction or ""] = expected.get(ad.direction or "", 0) + sum(s.spend_cents for s in ad.daily)
    assert spend == expected


async def test_dialog_summaries_are_searchable_in_russian(engine: AsyncEngine) -> None:
    await seed_demo(engine, today=TODAY)
    async with engine.connect() as conn:
        found = (await conn.execute(text(
            "SELECT d.phone, a.summary FROM dialog_analysis a JOIN whatsapp_dialogs d ON d.id = a.dialog_id "
            "WHERE a.summary_tsv @@ plainto_tsquery('russian', :q)"
        ), {"q": "жаловались на цену"})).all()
        # Other phrasings of the same objection, and the tag filter, find dialogs too.
        objected = (await conn.execute(text(
            "SELECT count(*) FROM dialog_analysis WHERE summary_tsv @@ plainto_tsquery('russian', 'возражали по цене')"
        ))).scalar_one()
        tagged = (await conn.execute(text(
            "SELECT count(*) FROM dialog_analysis WHERE tags @> ARRAY['цена', 'возражение']"
        ))).scalar_one()
        english = (await conn.execute(text(
            "SELECT count(*) FROM dialog_analysis "
            "WHERE language = 'en' AND summary_tsv @@ plainto_tsquery('english', 'complained about prices')"
        ))).scalar_one()
    assert found and "+79991234567" in {phone for phone, _ in found}
    assert all("цен" in summary for _, summary in found)
    assert objected >= 1 and tagged >= 5 and english >= 1


async def test_demo_template_is_current(demo_engine: AsyncEngine) -> None:
    """The shared demo fixture is seeded with the default `today`: metrics end yesterday in the account's
    calendar (`agent_brain.clock`, which the calendar CI step moves)."""
    async with demo_engine.connect() as conn:
        last = (await conn.execute(text("SELECT max(date) FROM creative_metrics_history"))).scalar_one()
        leads = (await conn.execute(text("SELECT count(*) FROM leads"))).scalar_one()
    today = clock.today_in(DEMO_TIMEZONE)
    assert last in (today - timedelta(days=1), today - timedelta(days=2))  # the session may cross midnight
    assert leads >= 200

"""Metrics sync: the platform's daily ad insights land in our metrics tables, idempotently and logged."""

from __future__ import annotations

import datetime as dt

import pytest
from job_world import World
from sqlalchemy import text

from agent_brain import clock
from agent_brain.jobs.metrics_sync import has_synced, last_synced_at, sync_account, window
from agent_brain.platforms.graph.errors import GraphError

PER_AD_DAY_PLATFORM = """
    SELECT s.ad_id, s.date, s.spend_cents, s.impressions, s.clicks, s.video_p25
    FROM sandbox_ad_stats s JOIN ad_creative_mapping m ON m.fb_ad_id = s.ad_id
    WHERE s.account_id = :acct AND s.date BETWEEN :f AND :t AND (s.impressions > 0 OR s.spend_cents > 0)
    ORDER BY 1, 2"""
PER_AD_DAY_OURS = """
    SELECT h.fb_ad_id, h.date, h.spend_cents, h.impressions, h.clicks, h.video_p25
    FROM creative_metrics_history h JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id
    WHERE h.date BETWEEN :f AND :t AND (h.impressions > 0 OR h.spend_cents > 0) ORDER BY 1, 2"""


async def _rows(world: World, sql: str, f: dt.date, t: dt.date) -> list[tuple]:
    async with world.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql), {"acct": world.account.external_id, "f": f, "t": t})]


async def test_trailing_sync_brings_late_conversions_and_lost_days_into_our_tables(world: World) -> None:
    today = clock.today_in(world.account.timezone)
    f, t = window("trailing", today)
    yesterday = today - dt.timedelta(days=1)
    async with world.engine.begin() as conn:
        # The platform corrects yesterday's spend of an ad; our copy of the day before lost its rows.
        ad = (await conn.execute(text(
            "UPDATE sandbox_ad_stats SET spend_cents = spend_cents + 1234 WHERE (ad_id, date) = (SELECT s.ad_id, s.date "
            "FROM sandbox_ad_stats s JOIN ad_creative_mapping m ON m.fb_ad_id = s.ad_id WHERE s.date = :d "
            "AND s.spend_cents > 0 ORDER BY s.ad_id LIMIT 1) RETURNING ad_id"), {"d": yesterday})).scalar_one()
        await conn.execute(text("DELETE FROM creative_metrics_history WHERE date = :d"),
                           {"d": yesterday - dt.timedelta(days=1)})
    assert await _rows(world, PER_AD_DAY_PLATFORM, f, t) != await _rows(world, PER_AD_DAY_OURS, f, t)

    report = await sync_account(world.engine, world.meta, world.account, "trailing")

    platform = await _rows(world, PER_AD_DAY_PLATFORM, f, t)
    assert platform and await _rows(world, PER_AD_DAY_OURS, f, t) == platform
    assert (report.kind, report.date_from, report.date_to) == ("trailing", f, t)
    assert report.rows_upserted >= len(platform)
    async with world.engine.connect() as conn:
        # The direction rollup of that day is the sum of its ads again (the correction included).
        rollup, history = (await conn.execute(text(
            "SELECT r.spend_cents, (SELECT sum(h.spend_cents) FROM creative_metrics_history h JOIN ad_creative_mapping m2 "
            "ON m2.fb_ad_id = h.fb_ad_id WHERE m2.direction_id = m.direction_id AND h.date = :d) "
            "FROM ad_creative_mapping m JOIN direction_metrics_rollup r ON r.direction_id = m.direction_id "
            "AND r.date = :d WHERE m.fb_ad_id = :ad"), {"d": yesterday, "ad": ad})).one()
    assert rollup == history
    assert await last_synced_at(world.engine, world.account.id) is not None


async def test_a_sync_is_idempotent(world: World) -> None:
    first = await sync_account(world.engine, world.meta, world.account, "trailing")
    async with world.engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*), sum(spend_cents), sum(leads) "
                                          "FROM creative_metrics_history"))).one()
    second = await sync_account(world.engine, world.meta, world.account, "trailing")
    async with world.engine.connect() as conn:
        after = (await conn.execute(text("SELECT count(*), sum(spend_cents), sum(leads) "
                                         "FROM creative_metrics_history"))).one()
    assert before == after and first.rows_upserted == second.rows_upserted


async def test_a_new_account_gets_its_history_first(world: World) -> None:
    assert not await has_synced(world.engine, world.account.id)
    report = await sync_account(world.engine, world.meta, world.account, "recent")  # the long window: async jobs
    today = clock.today_in(world.account.timezone)
    assert (report.kind, report.date_from, report.date_to) == ("backfill", *window("backfill", today))
    again = await sync_account(world.engine, world.meta, world.account, "recent")
    assert (again.kind, again.date_from) == ("recent", today - dt.timedelta(days=1))


async def test_a_platform_outage_is_logged_as_a_failed_run(world: World) -> None:
    world.faults.inject("token_expired", times=1)
    with pytest.raises(GraphError):
        await sync_account(world.engine, world.meta, world.account, "trailing")
    async with world.engine.connect() as conn:
        status, error, finished = (await conn.execute(text(
            "SELECT status, error, finished_at FROM metrics_sync_runs ORDER BY id DESC LIMIT 1"))).one()
    assert status == "failed" and error and finished is not None
    assert await last_synced_at(world.engine, world.account.id) is None

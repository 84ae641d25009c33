"""Scheduled reports in the account's time zone, sent once; alerts deduplicated; figures from the data."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from rules_world import RulesWorld
from sqlalchemy import text

from agent_brain import clock
from agent_brain.automation.alerts import check_alerts
from agent_brain.automation.reports import ReportScheduleSpec, create_schedule, next_run, send_due_reports
from agent_brain.money import format_money

MSK = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(("after", "spec", "expected"), [
    # 05:30 UTC is 08:30 in Moscow: today's 09:00 Moscow is still ahead.
    (dt.datetime(2027, 3, 3, 5, 30, tzinfo=dt.UTC), ReportScheduleSpec("daily", 9), dt.datetime(2027, 3, 3, 6, 0, tzinfo=dt.UTC)),
    (dt.datetime(2027, 3, 3, 6, 0, tzinfo=dt.UTC), ReportScheduleSpec("daily", 9), dt.datetime(2027, 3, 4, 6, 0, tzinfo=dt.UTC)),
    # 2027-03-03 is a Wednesday; the next Monday 10:15 Moscow is 03-08 07:15 UTC.
    (dt.datetime(2027, 3, 3, 5, 30, tzinfo=dt.UTC), ReportScheduleSpec("weekly", 10, 15, 0),
     dt.datetime(2027, 3, 8, 7, 15, tzinfo=dt.UTC)),
])
def test_next_run_is_the_accounts_local_time(after: dt.datetime, spec: ReportScheduleSpec,
                                             expected: dt.datetime) -> None:
    assert next_run(after, "Europe/Moscow", spec) == expected


async def _yesterday_totals(world: RulesWorld) -> tuple[int, int]:
    yesterday = clock.today_in(world.timezone) - dt.timedelta(days=1)
    async with world.engine.connect() as conn:
        spend, leads = (await conn.execute(text(
            "SELECT sum(h.spend_cents), sum(h.leads) FROM creative_metrics_history h JOIN ad_creative_mapping m "
            "ON m.fb_ad_id = h.fb_ad_id WHERE m.ad_account_id = :a AND h.date = :d"),
            {"a": world.account_id, "d": yesterday})).one()
    return int(spend), int(leads)


async def test_a_daily_report_goes_out_once_with_yesterdays_figures(rules_world: RulesWorld) -> None:
    world = rules_world
    await create_schedule(world.engine, world.user_id, world.account_id, ReportScheduleSpec("daily", 9))
    async with world.engine.connect() as conn:
        due = (await conn.execute(text("SELECT next_run_at FROM scheduled_reports"))).scalar_one()
    assert due.astimezone(MSK).time() == dt.time(9, 0)
    delivered: list[tuple[str, dict]] = []

    async def notify(user_id, conversation_id, body, payload):  # type: ignore[no-untyped-def]
        delivered.append((body, payload))

    assert await send_due_reports(world.engine, world.store, now=due - dt.timedelta(minutes=1), notify=notify) == 0
    # Two workers reach the slot at once: one report.
    sent = await asyncio.gather(*(send_due_reports(world.engine, world.store, now=due, notify=notify)
                                  for _ in range(2)))
    assert sum(sent) == 1 and len(delivered) == 1
    spend, leads = await _yesterday_totals(world)
    body, payload = delivered[0]
    assert f"Расход: {format_money(spend)} · лиды (реклама): {leads}" in body
    assert payload["chart"]["total"] == {"spend_cents": spend, "leads": leads}
    async with world.engine.connect() as conn:
        moved = (await conn.execute(text("SELECT next_run_at FROM scheduled_reports"))).scalar_one()
    assert moved == due + dt.timedelta(days=1)


async def test_alerts_fire_once_on_what_the_data_shows(rules_world: RulesWorld) -> None:
    world = rules_world
    yesterday = clock.today_in(world.timezone) - dt.timedelta(days=1)
    async with world.engine.begin() as conn:
        # Yesterday's spend triples; one direction's target is set below what it paid per lead.
        await conn.execute(text("UPDATE creative_metrics_history SET spend_cents = spend_cents * 3 WHERE date = :d"),
                           {"d": yesterday})
        await conn.execute(text("SELECT refresh_direction_metrics_rollup(:d, :d)"), {"d": yesterday})
        direction = (await conn.execute(text(
            "UPDATE directions SET target_cpl_cents = 100 WHERE id = (SELECT direction_id FROM direction_metrics_rollup "
            "WHERE date = :d AND spend_cents > 0 ORDER BY direction_id LIMIT 1) RETURNING name"),
            {"d": yesterday})).scalar_one()
    messages: list[str] = []

    async def notify(user_id, conversation_id, body, payload):  # type: ignore[no-untyped-def]
        messages.append(body)

    first = await check_alerts(world.engine, world.store, notify=notify)
    assert first == len(messages) >= 2
    assert any(m.startswith("⚠️ Расход вчера") for m in messages)
    assert any(f"CPL направления «{direction}» вчера" in m and "выше цели $1.00" in m for m in messages)
    assert await check_alerts(world.engine, world.store, notify=notify) == 0  # deduplicated
    async with world.engine.connect() as conn:
        kinds = set((await conn.execute(text("SELECT kind FROM alert_events"))).scalars())
    assert {"spend_spike", "cpl_over_target"} <= kinds


async def test_no_leads_alert_only_in_working_hours(rules_world: RulesWorld) -> None:
    world = rules_world
    today = clock.today_in(world.timezone)
    local_day = dt.datetime.combine(today, dt.time(), MSK)
    async with world.engine.begin() as conn:  # the ads spent today (hourly sync), the CRM got nothing new
        await conn.execute(text("UPDATE leads SET created_at = created_at - interval '1 day' WHERE created_at >= :t"),
                           {"t": local_day})
        await conn.execute(text(
            "INSERT INTO creative_metrics_history (creative_id, fb_ad_id, date, spend_cents, impressions) "
            "SELECT creative_id, fb_ad_id, :d, 1500, 900 FROM ad_creative_mapping LIMIT 1 "
            "ON CONFLICT (fb_ad_id, date) DO UPDATE SET spend_cents = 1500"), {"d": today})
    async def kinds() -> list[str]:
        async with world.engine.connect() as conn:
            return list((await conn.execute(text("SELECT kind FROM alert_events"))).scalars())

    await check_alerts(world.engine, world.store, now=(local_day + dt.timedelta(hours=7)).astimezone(dt.UTC))
    assert "no_leads" not in await kinds()  # 07:00: outside working hours
    await check_alerts(world.engine, world.store, now=(local_day + dt.timedelta(hours=15)).astimezone(dt.UTC))
    assert (await kinds()).count("no_leads") == 1
    await check_alerts(world.engine, world.store, now=(local_day + dt.timedelta(hours=15, minutes=30)).astimezone(dt.UTC))
    assert (await kinds()).count("no_leads") == 1  # the same 4-hour block: not again

"""Automation measure: evaluating 1,000 rules over 10,000 objects' daily metrics.

Evaluation is set-based: one statement for every due rule, metrics aggregated once per rule shape
(account × level × window). Prints wall time and SQL statements for 1, 10, 100 and 1,000 rules
(statements must stay flat as rules grow); asserts nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import QueryCounter, scratch_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

from agent_brain import clock  # noqa: E402
from agent_brain.automation.evaluate import evaluate_due  # noqa: E402
from agent_brain.stores.users import UserStore  # noqa: E402

ADS, AD_SETS, CAMPAIGNS, DAYS = 10_000, 2_000, 200, 30
LEVELS = ("ad", "adset", "campaign", "direction", "creative")
WINDOWS = (1, 3, 7)
METRICS = ("cpl", "ctr", "cpm", "spend", "leads", "frequency")
# Thresholds a marketer would set: most objects stay under them, some cross.
THRESHOLDS = {"cpl": (6000, 20000), "ctr": (4.0, 7.0), "cpm": (6000, 9000), "spend": (30000, 200000),
              "leads": (20, 60), "frequency": (1.3, 1.6)}


async def seed(engine) -> uuid.UUID:  # type: ignore[no-untyped-def]
    user, _ = await UserStore(engine).create_user("bench")
    account = await UserStore(engine).upsert_ad_account(user.id, external_id="act_1", name="bench", currency="USD",
                                                        timezone="Europe/Moscow")
    today = clock.today_in("Europe/Moscow")
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO directions (id, user_id, ad_account_id, name, daily_budget_cents) "
            "SELECT gen_random_uuid(), :u, :a, 'direction ' || g, 10000 FROM generate_series(1, 20) g"),
            {"u": user.id, "a": account.id})
        await conn.execute(text(
            "INSERT INTO creatives (id, user_id, ad_account_id, direction_id, title, media_type) "
            "SELECT gen_random_uuid(), :u, :a, (SELECT id FROM directions ORDER BY name OFFSET g % 20 LIMIT 1), "
            "'creative ' || g, 'image' FROM generate_series(1, 500) g"), {"u": user.id, "a": account.id})
        await conn.execute(text(
            "INSERT INTO ad_creative_mapping (id, ad_account_id, fb_ad_id, fb_adset_id, fb_campaign_id, creative_id, "
            "direction_id) SELECT gen_random_uuid(), :a, 'ad' || g, 'as' || (g % :sets), 'c' || (g % :camps), c.id, "
            "c.direction_id FROM generate_series(1, :ads) g "
            "JOIN LATERAL (SELECT id, direction_id FROM creatives ORDER BY title OFFSET g % 500 LIMIT 1) c ON true"),
            {"a": account.id, "ads": ADS, "sets": AD_SETS, "camps": CAMPAIGNS})
        await conn.execute(text(
            "INSERT INTO creative_metrics_history (creative_id, fb_ad_id, date, impressions, reach, clicks, "
            "spend_cents, leads) SELECT m.creative_id, m.fb_ad_id, CAST(:today AS date) - d, 1000 + (hashtext(m.fb_ad_id "
            "|| d) & 4095), 800, 10 + (hashtext(m.fb_ad_id || d || 'c') & 63), 500 + (hashtext(m.fb_ad_id || d || 's') "
            "& 8191), (hashtext(m.fb_ad_id || d || 'l') & 7) FROM ad_creative_mapping m, generate_series(0, :days - 1) d"),
            {"today": today, "days": DAYS})
        await conn.execute(text("ANALYZE"))
    return user.id


async def add_rules(engine, user_id: uuid.UUID, n: int) -> None:  # type: ignore[no-untyped-def]
    rnd = random.Random(n)
    async with engine.begin() as conn:
        account = (await conn.execute(text("SELECT id FROM ad_accounts"))).scalar_one()
        await conn.execute(text("DELETE FROM automation_rules"))
        await conn.execute(text(
            "INSERT INTO automation_rules (user_id, ad_account_id, name, scope_level, metric, operator, threshold, "
            "window_days, action) VALUES (:u, :a, :name, :level, :metric, :op, :threshold, :window, 'notify')"),
            [{"u": user_id, "a": account, "name": f"r{i}", "level": rnd.choice(LEVELS), "metric": metric,
              "op": ">", "threshold": rnd.uniform(*THRESHOLDS[metric]), "window": rnd.choice(WINDOWS)}
             for i, metric in enumerate(rnd.choice(METRICS) for _ in range(n))])


async def main() -> None:
    async with scratch_database() as engine:
        started = time.perf_counter()
        user_id = await seed(engine)
        print(f"seeded {ADS:,} ads in {AD_SETS:,} ad sets, {CAMPAIGNS} campaigns, {DAYS} days "
              f"({ADS * DAYS:,} daily rows) in {time.perf_counter() - started:.1f} s")
        counter = QueryCounter()
        counter.attach(engine)
        print(f"{'rules':>6} {'shapes':>7} {'firings':>8} {'statements':>11} {'wall ms (median of 3)':>22}")
        for n in (1, 10, 100, 1000):
            await add_rules(engine, user_id, n)
            async with engine.connect() as conn:
                shapes = (await conn.execute(text(
                    "SELECT count(*) FROM (SELECT DISTINCT scope_level, window_days FROM automation_rules) s"))).scalar_one()
            times, statements, firings = [], [], 0
            for _ in range(3):
                counter.reset()
                t0 = time.perf_counter()
                async with engine.begin() as conn:
                    _, fired = await evaluate_due(conn, clock.now() + dt.timedelta(days=1), force=True)
                times.append((time.perf_counter() - t0) * 1000)
                statements.append(counter.statements)
                firings = len(fired)
            print(f"{n:>6} {shapes:>7} {firings:>8} {max(statements):>11} {statistics.median(times):>22.0f}")


if __name__ == "__main__":
    asyncio.run(main())

"""Metrics sync (ETL): each platform's daily ad insights → `ad_daily_metrics` (every platform, one
schema) and, for ads in the creative catalogue, `creative_metrics_history` → direction rollup.

The ROI, creative, direction and snapshot answers read our own metrics tables; this keeps them
current for every linked ad account, in the account's calendar and currency:

* `recent` — today and yesterday, hourly (today's figures grow through the day);
* `trailing` — the last 7 days, daily (late conversions change past days);
* `backfill` — 90 days, the first time an account is synced.

Rows are upserted by (ad, day), so a sync can run any number of times; ads without a creative
mapping are counted, not stored (they are not in the creative catalogue). Every run is logged in
`metrics_sync_runs`; the latest completed run is how fresh the data is.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from agent_brain import clock
from agent_brain.db.models import (
    AdAccount,
    AdCreativeMapping,
    AdDailyMetrics,
    CreativeMetricsDaily,
    MetricsSyncRun,
)
from agent_brain.platforms.base import Ad, Insight, InsightsQuery, PlatformAdapter

log = logging.getLogger(__name__)

SyncKind = Literal["recent", "trailing", "backfill", "manual"]
WINDOW_DAYS: dict[str, int] = {"recent": 2, "trailing": 7, "backfill": 90}
UPSERT_CHUNK = 1000  # rows per INSERT: 13 columns × 1000 stays under PostgreSQL's 32,767 parameters
ASYNC_REPORT_DAYS = 31  # longer windows go through the platform's async report jobs
_METRICS = ("impressions", "reach", "clicks", "link_clicks", "spend_cents", "leads",
            "video_p25", "video_p50", "video_p75", "video_p95")


@dataclass(frozen=True)
class SyncAccount:
    id: uuid.UUID
    external_id: str
    timezone: str
    currency: str = "USD"
    platform: str = "meta"


@dataclass(frozen=True)
class SyncReport:
    account_id: uuid.UUID
    kind: str
    date_from: dt.date
    date_to: dt.date
    rows_upserted: int
    ads_unmapped: int


def window(kind: SyncKind, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a sync of this kind covers, ending today (the account's calendar)."""
    return today - dt.timedelta(days=WINDOW_DAYS[kind] - 1), today


async def accounts_to_sync(engine: AsyncEngine, platform: str = "meta") -> list[SyncAccount]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(AdAccount.id, AdAccount.external_id, AdAccount.timezone, AdAccount.currency)
                                   .where(AdAccount.platform == platform).order_by(AdAccount.created_at))).all()
    return [SyncAccount(r.id, r.external_id, r.timezone, r.currency, platform) for r in rows]


async def has_synced(engine: AsyncEngine, account_id: uuid.UUID) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(MetricsSyncRun).where(
            MetricsSyncRun.ad_account_id == account_id, MetricsSyncRun.status == "completed"))).scalar_one() > 0


async def last_synced_at(engine: AsyncEngine, account_id: uuid.UUID) -> dt.datetime | None:
    """When this account's metrics were last brought up to date (None: never synced)."""
    async with engine.connect() as conn:
        return (await conn.execute(select(func.max(MetricsSyncRun.finished_at)).where(
            MetricsSyncRun.ad_account_id == account_id, MetricsSyncRun.status == "completed"))).scalar_one()


async def sync_account(engine: AsyncEngine, platform: PlatformAdapter, account: SyncAccount, kind: SyncKind, *,
                       date_from: dt.date | None = None, date_to: dt.date | None = None) -> SyncReport:
    """Bring one account's daily ad metrics for a window into our tables; logged as a sync run."""
    if kind == "recent" and not await has_synced(engine, account.id):
        kind = "backfill"  # a newly linked account gets its history first
    if date_from is None or date_to is None:
        date_from, date_to = window(kind, clock.today_in(account.timezone))
    async with engine.begin() as conn:
        run_id = (await conn.execute(insert(MetricsSyncRun).values(
            ad_account_id=account.id, kind=kind, date_from=date_from, date_to=date_to, started_at=clock.now())
            .returning(MetricsSyncRun.id))).scalar_one()
    try:
        query = InsightsQuery(level="ad", date_preset=None, since=date_from, until=date_to, time_increment=1)
        long_window = (date_to - date_from).days + 1 > ASYNC_REPORT_DAYS
        if hasattr(platform, "attach"):
            platform.attach(account.external_id)
        rows = await (platform.insights_async(account.external_id, query, poll_seconds=0.2) if long_window
                      else platform.insights(account.external_id, query))
        ads = {ad.id: ad for ad in await platform.list_ads(account_id=account.external_id)}
        async with engine.begin() as conn:
            await _upsert_unified(conn, account, rows, ads)
            mapping = dict((await conn.execute(select(AdCreativeMapping.fb_ad_id, AdCreativeMapping.creative_id)
                                               .where(AdCreativeMapping.ad_account_id == account.id))).all())
            values = [{"creative_id": mapping[r.object_id], "fb_ad_id": r.object_id, "date": r.date_start,
                       **{m: getattr(r, m) for m in _METRICS}} for r in rows if r.object_id in mapping]
            unmapped = len({r.object_id for r in rows if r.object_id not in mapping})
            for start in range(0, len(values), UPSERT_CHUNK):  # one statement per chunk: bind-parameter limit
                stmt = pg_insert(CreativeMetricsDaily).values(values[start:start + UPSERT_CHUNK])
                await conn.execute(stmt.on_conflict_do_update(
                    constraint="uq_creative_metrics_history_ad_date",
                    set_={m: getattr(stmt.excluded, m) for m in (*_METRICS, "creative_id")}))
            await conn.execute(text("SELECT refresh_direction_metrics_rollup(:f, :t)"),
                               {"f": date_from, "t": date_to})
            await conn.execute(update(MetricsSyncRun).where(MetricsSyncRun.id == run_id).values(
                status="completed", rows_upserted=len(values), ads_unmapped=unmapped, finished_at=clock.now()))
    except Exception as exc:
        log.warning("metrics sync of %s (%s) failed: %s", account.external_id, kind, exc)
        async with engine.begin() as conn:
            await conn.execute(update(MetricsSyncRun).where(MetricsSyncRun.id == run_id).values(
                status="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=clock.now()))
        raise
    return SyncReport(account.id, kind, date_from, date_to, len(values), unmapped)


async def _upsert_unified(conn: AsyncConnection, account: SyncAccount, rows: list[Insight], ads: dict[str, Ad]) -> None:
    """Every platform's ad-days into `ad_daily_metrics` (one schema, the platform a column)."""
    values = []
    for r in rows:
        ad = ads.get(r.object_id)
        values.append({"ad_account_id": account.id, "ad_id": r.object_id, "date": r.date_start,
                       "platform": account.platform, "currency": account.currency,
                       "campaign_id": ad.campaign_id if ad else None, "adset_id": ad.adset_id if ad else None,
                       "ad_name": r.object_name or (ad.name if ad else None), "spend_cents": r.spend_cents,
                       "impressions": r.impressions, "clicks": r.clicks, "leads": r.leads,
                       "conversion_value_cents": r.conversion_value_cents})
    for start in range(0, len(values), UPSERT_CHUNK):
        stmt = pg_insert(AdDailyMetrics).values(values[start:start + UPSERT_CHUNK])
        await conn.execute(stmt.on_conflict_do_update(
            index_elements=["ad_account_id", "ad_id", "date"],
            set_={c: getattr(stmt.excluded, c) for c in ("campaign_id", "adset_id", "ad_name", "spend_cents",
                                                         "impressions", "clicks", "leads",
                                                         "conversion_value_cents", "currency")}))


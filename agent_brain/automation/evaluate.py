"""Rule evaluation and backtests, set-based: one SQL statement for every due rule at once.

Metrics come from our own tables, kept current by the metrics sync: Meta's from
`creative_metrics_history` through `ad_creative_mapping`, TikTok's and Google Ads' from the unified
`ad_daily_metrics` (campaign, ad set and ad levels; no reach there, so no frequency), aggregated once per distinct rule *shape* (account × level × window),
then joined to the rules of that shape — so the work grows with the shapes and the objects, not
with rules × objects, and the statement count is one however many rules there are.

Metric definitions (money in minor units): cpl = spend / leads, with no leads yet counted as one
(so «CPL above $40» fires once $40 is spent without a lead); ctr = clicks / impressions in %;
cpm = spend per 1000 impressions; frequency = impressions / reach summed over the window (an
approximation: reach does not add up across days); spend; leads. Windows are whole days of the
account's calendar ending today (today's figures so far included).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import Text

from agent_brain.automation.rules import RuleSpec

_OBJECT_KEY = """CASE {level} WHEN 'campaign' THEN m.fb_campaign_id WHEN 'adset' THEN m.fb_adset_id
                 WHEN 'ad' THEN m.fb_ad_id WHEN 'direction' THEN m.direction_id::text
                 WHEN 'creative' THEN m.creative_id::text ELSE 'account' END"""
# The same object key for TikTok / Google Ads ad-days (`u` = ad_daily_metrics); no directions or creatives there.
_UNIFIED_KEY = """CASE {level} WHEN 'campaign' THEN u.campaign_id WHEN 'adset' THEN u.adset_id
                  WHEN 'ad' THEN u.ad_id WHEN 'account' THEN 'account' END"""
_VALUE = """CASE {metric}
              WHEN 'cpl' THEN {spend}::float8 / greatest({leads}, 1)
              WHEN 'ctr' THEN CASE WHEN {imps} > 0 THEN 100.0 * {clicks} / {imps} END
              WHEN 'cpm' THEN CASE WHEN {imps} > 0 THEN 1000.0 * {spend} / {imps} END
              WHEN 'spend' THEN {spend}::float8
              WHEN 'leads' THEN {leads}::float8
              WHEN 'frequency' THEN CASE WHEN {reach} > 0 THEN {imps}::float8 / {reach} END END"""
_CROSSES = """CASE {op} WHEN '>' THEN {v} > {t} WHEN '>=' THEN {v} >= {t}
                        WHEN '<' THEN {v} < {t} WHEN '<=' THEN {v} <= {t} END"""
_NAMES = """CASE {level} WHEN 'direction' THEN (SELECT name FROM directions WHERE id::text = {obj})
                         WHEN 'creative' THEN (SELECT title FROM creatives WHERE id::text = {obj}) END"""

EVALUATE_DUE = text(f"""
WITH due AS (
    SELECT r.*, (CAST(:now AS timestamptz) AT TIME ZONE COALESCE(NULLIF(a.timezone, ''), 'UTC'))::date AS as_of
    FROM automation_rules r JOIN ad_accounts a ON a.id = r.ad_account_id
    WHERE r.enabled AND r.kind = 'metric' AND (CAST(:only AS uuid[]) IS NULL OR r.id = ANY(CAST(:only AS uuid[])))
      AND (CAST(:force AS boolean) OR r.last_evaluated_at IS NULL
           OR r.last_evaluated_at <= CAST(:now AS timestamptz) - make_interval(hours => r.schedule_hours))
), marked AS (
    UPDATE automation_rules SET last_evaluated_at = CAST(:now AS timestamptz)
    WHERE id IN (SELECT id FROM due) RETURNING id
), shapes AS (
    SELECT DISTINCT ad_account_id, scope_level, window_days, as_of FROM due
), facts AS (
    SELECT ad_account_id, scope_level, window_days, as_of, object_id, sum(spend) AS spend, sum(leads) AS leads,
           sum(imps) AS imps, sum(clicks) AS clicks, sum(reach) AS reach
    FROM (
        SELECT s.ad_account_id, s.scope_level, s.window_days, s.as_of,
               {_OBJECT_KEY.format(level="s.scope_level")} AS object_id,
               h.spend_cents AS spend, h.leads, h.impressions AS imps, h.clicks, h.reach
        FROM shapes s
        JOIN ad_creative_mapping m ON m.ad_account_id = s.ad_account_id
        JOIN creative_metrics_history h ON h.fb_ad_id = m.fb_ad_id
             AND h.date BETWEEN s.as_of - (s.window_days - 1) AND s.as_of
        UNION ALL  -- TikTok and Google Ads accounts: their ad-days in the unified table
        SELECT s.ad_account_id, s.scope_level, s.window_days, s.as_of,
               {_UNIFIED_KEY.format(level="s.scope_level")} AS object_id,
               u.spend_cents, u.leads, u.impressions, u.clicks, 0
        FROM shapes s
        JOIN ad_daily_metrics u ON u.ad_account_id = s.ad_account_id AND u.platform <> 'meta'
             AND u.date BETWEEN s.as_of - (s.window_days - 1) AND s.as_of
    ) x
    GROUP BY 1, 2, 3, 4, 5
), named AS (  -- names we keep ourselves, once per object (the platform's names are read when acting)
    SELECT f.*, COALESCE(dn.name, cr.title) AS object_name FROM facts f
    LEFT JOIN directions dn ON f.scope_level = 'direction' AND dn.id::text = f.object_id
    LEFT JOIN creatives cr ON f.scope_level = 'creative' AND cr.id::text = f.object_id
), valued AS (
    SELECT d.id AS rule_id, f.object_id, f.object_name, d.as_of - (d.window_days - 1) AS window_from,
           d.as_of AS window_to, f.spend, d.min_spend_cents, d.operator, d.threshold,
           {_VALUE.format(metric="d.metric", spend="f.spend", leads="f.leads", imps="f.imps",
                          clicks="f.clicks", reach="f.reach")} AS value
    FROM due d JOIN named f USING (ad_account_id, scope_level, window_days, as_of)
    WHERE f.object_id IS NOT NULL AND (d.scope_ids IS NULL OR f.object_id = ANY(d.scope_ids))
)
SELECT rule_id, object_id, object_name, window_from, window_to, value, spend,
       (SELECT count(*) FROM marked) AS evaluated
FROM valued
WHERE spend >= min_spend_cents AND value IS NOT NULL
  AND {_CROSSES.format(op="operator", v="value", t="threshold")}
ORDER BY rule_id, object_id
""").bindparams(bindparam("only", type_=ARRAY(UUID)))

BACKTEST = text(f"""
WITH days AS (
    SELECT generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day')::date AS d
), daily AS (
    SELECT object_id, date, sum(spend) AS spend, sum(leads) AS leads, sum(imps) AS imps,
           sum(clicks) AS clicks, sum(reach) AS reach
    FROM (
        SELECT {_OBJECT_KEY.format(level="CAST(:level AS text)")} AS object_id, h.date,
               h.spend_cents AS spend, h.leads, h.impressions AS imps, h.clicks, h.reach
        FROM ad_creative_mapping m
        JOIN creative_metrics_history h ON h.fb_ad_id = m.fb_ad_id
             AND h.date BETWEEN CAST(:first AS date) - (CAST(:window AS int) - 1) AND CAST(:last AS date)
        WHERE m.ad_account_id = :account
        UNION ALL
        SELECT {_UNIFIED_KEY.format(level="CAST(:level AS text)")}, u.date, u.spend_cents, u.leads,
               u.impressions, u.clicks, 0
        FROM ad_daily_metrics u
        WHERE u.ad_account_id = :account AND u.platform <> 'meta'
          AND u.date BETWEEN CAST(:first AS date) - (CAST(:window AS int) - 1) AND CAST(:last AS date)
    ) x
    GROUP BY 1, 2
), windows AS (
    SELECT days.d, daily.object_id, sum(spend) AS spend, sum(leads) AS leads, sum(imps) AS imps,
           sum(clicks) AS clicks, sum(reach) AS reach
    FROM days JOIN daily ON daily.date BETWEEN days.d - (CAST(:window AS int) - 1) AND days.d
    WHERE daily.object_id IS NOT NULL AND (CAST(:ids AS text[]) IS NULL OR daily.object_id = ANY(CAST(:ids AS text[])))
    GROUP BY days.d, daily.object_id
), fired AS (
    SELECT object_id, d, {_VALUE.format(metric="CAST(:metric AS text)", spend="spend", leads="leads", imps="imps",
                                         clicks="clicks", reach="reach")} AS value, spend
    FROM windows
), hits AS (
    SELECT object_id, d, value FROM fired
    WHERE spend >= CAST(:min_spend AS bigint) AND value IS NOT NULL
      AND {_CROSSES.format(op="CAST(:operator AS text)", v="value", t="CAST(:threshold AS float8)")}
)
SELECT hits.object_id, min(hits.d) AS first_day, count(*) AS days_fired,
       array_agg(hits.d ORDER BY hits.d) AS fired_days,
       (SELECT coalesce(sum(daily.spend), 0) FROM daily WHERE daily.object_id = hits.object_id
          AND daily.date > min(hits.d) AND daily.date <= CAST(:last AS date)) AS spend_after_first,
       {_NAMES.format(level="CAST(:level AS text)", obj="hits.object_id")} AS object_name
FROM hits GROUP BY hits.object_id ORDER BY first_day, hits.object_id
""").bindparams(bindparam("ids", type_=ARRAY(Text)))


@dataclass(frozen=True)
class Firing:
    rule_id: uuid.UUID
    object_id: str
    object_name: str | None
    window_from: dt.date
    window_to: dt.date
    value: float
    spend_cents: int


@dataclass(frozen=True)
class BacktestHit:
    object_id: str
    object_name: str | None
    first_day: dt.date
    days_fired: int
    fired_days: list[dt.date]
    spend_after_first_cents: int  # what pausing at the first firing would have saved


@dataclass(frozen=True)
class Backtest:
    first_day: dt.date
    last_day: dt.date
    hits: list[BacktestHit]

    def effect_cents(self, spec: RuleSpec) -> int:
        """Spend the rule would have saved (negative: added) from each object's first firing on."""
        after = sum(h.spend_after_first_cents for h in self.hits)
        if spec.action == "pause":
            return after
        if spec.action == "budget_pct" and spec.action_value:
            return round(-after * spec.action_value / 100)
        return 0


async def evaluate_due(conn: AsyncConnection, now: dt.datetime, *, only: list[uuid.UUID] | None = None,
                       force: bool = False) -> tuple[int, list[Firing]]:
    """Evaluate every rule that is due (or `only` these), mark them evaluated; (rules evaluated, firings)."""
    rows = (await conn.execute(EVALUATE_DUE, {"now": now, "only": only, "force": force})).all()
    evaluated = rows[0].evaluated if rows else await _count_marked(conn, now, only)
    return evaluated, [Firing(r.rule_id, r.object_id, r.object_name, r.window_from, r.window_to, float(r.value),
                              int(r.spend)) for r in rows]


async def _count_marked(conn: AsyncConnection, now: dt.datetime, only: list[uuid.UUID] | None) -> int:
    """Rules evaluated when none fired (the data-modifying CTE's count only rides on result rows)."""
    return (await conn.execute(text(
        "SELECT count(*) FROM automation_rules WHERE last_evaluated_at = CAST(:now AS timestamptz) "
        "AND (CAST(:only AS uuid[]) IS NULL OR id = ANY(CAST(:only AS uuid[])))"
    ).bindparams(bindparam("only", type_=ARRAY(UUID))), {"now": now, "only": only})).scalar_one()


async def backtest(engine: AsyncEngine, spec: RuleSpec, *, ad_account_id: uuid.UUID, last_day: dt.date,
                   days: int = 30) -> Backtest:
    """What the rule would have done on each of the last `days` days (windows ending each day)."""
    first_day = last_day - dt.timedelta(days=days - 1)
    async with engine.connect() as conn:
        rows = (await conn.execute(BACKTEST, {
            "first": first_day, "last": last_day, "window": spec.window_days, "level": spec.scope_level,
            "account": ad_account_id, "ids": spec.scope_ids, "metric": spec.metric, "operator": spec.operator,
            "threshold": spec.threshold, "min_spend": spec.min_spend_cents})).all()
    return Backtest(first_day, last_day, [
        BacktestHit(r.object_id, r.object_name, r.first_day, r.days_fired, list(r.fired_days),
                    int(r.spend_after_first)) for r in rows])

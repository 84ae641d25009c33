"""The Ads agent's 17 tools: campaigns, ad sets, spend, directions, ROI, and the writes that change them.

Result conventions (a deterministic reply writer and the web chart renderer read them):
money is always an integer `*_cents` field, rates are floats (`ctr` in %, `roi_percent`); period
reports carry `period`; lists are `{"items", "total", "count"}`; one object is `{"item": ...}`;
daily series are `{"series", "chart": "timeseries", "total"}`; direction metrics say where they
came from (`source`: "rollup" | "history"). Writes return what the WriteGuard returns plus
`action`, `target` and, for a write that found nothing to change, `no_change` + `note`.

Platform insights are fetched once per level and joined in Python: one call per object would spend
Meta's rate limit on accounts with hundreds of objects.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Date, Row, and_, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from agent_brain.agents.ads import platforms as ad_platforms
from agent_brain.agents.ads.args import (
    MIN_BUDGET_CENTS,
    AdSetRefArgs,
    CampaignArgs,
    CampaignRefArgs,
    DirectionArgs,
    DirectionRefArgs,
    GetActionHistoryArgs,
    GetCampaignsArgs,
    GetDirectionsArgs,
    GetROIComparisonArgs,
    GetROIReportArgs,
    GetSpendReportArgs,
    UpdateBudgetArgs,
    UpdateDirectionBudgetArgs,
    UpdateDirectionTargetCPLArgs,
)
from agent_brain.db.models import (
    AdCreativeMapping,
    Creative,
    CreativeMetricsDaily,
    Direction,
    DirectionMetricsRollup,
    Lead,
    Purchase,
)
from agent_brain.journal.history import action_history
from agent_brain.journal.records import WriteTarget
from agent_brain.journal.store import ActionJournal
from agent_brain.money import format_money
from agent_brain.platforms.base import AdSet, Campaign, Insight, InsightsQuery, Level, Status
from agent_brain.platforms.write_safety import GuardedWrite
from agent_brain.tools.context import ToolContext
from agent_brain.tools.periods import PeriodArgs
from agent_brain.tools.registry import READ, WRITE, ToolError, ToolRegistry

tools = ToolRegistry("ads")

T = TypeVar("T")

# ── user-facing messages (ru, en) ───────────────────────────────────────────────────────────

_MESSAGES: dict[str, tuple[str, str]] = {
    "campaign_not_found": ("Кампания {id} не найдена в рекламном аккаунте.",
                           "Campaign {id} was not found in the ad account."),
    "adset_not_found": ("Адсет {id} не найден в рекламном аккаунте.", "Ad set {id} was not found in the ad account."),
    "direction_not_found": ("Направление не найдено.", "Direction not found."),
    "directions_not_found": ("Направления не найдены: {ids}.", "Directions not found: {ids}."),
    "creatives_not_found": ("Креативы не найдены: {ids}.", "Creatives not found: {ids}."),
    "not_changeable": ("Объект {name} в статусе {status}: его нельзя включить или поставить на паузу.",
                       "{name} is {status}: it can no longer be paused or resumed."),
    "campaign_budget": (
        "У кампании адсета «{name}» бюджет задан на уровне кампании (CBO): бюджет адсета изменить нельзя, "
        "меняется бюджет кампании.",
        "The campaign of ad set «{name}» uses a campaign budget (CBO): the ad set has no budget of its own; "
        "the campaign's budget is what changes.",
    ),
    "direction_budget_too_low": (
        "Другие активные адсеты направления уже расходуют {others} в день, на адсет «{name}» осталось бы {left} "
        "(минимум {minimum}). Укажите бюджет не меньше {needed} или сначала уменьшите их бюджеты (updateBudget).",
        "The direction's other active ad sets already spend {others} a day, which would leave {left} for "
        "«{name}» (minimum {minimum}). Set at least {needed}, or lower their budgets first (updateBudget).",
    ),
    "direction_no_budget_target": (
        "У направления нет адсета, а у его кампании нет своего бюджета: бюджет на платформе менять негде.",
        "The direction has no ad set and its campaign has no budget of its own: nothing to change on the platform.",
    ),
    "no_change": ("Уже в нужном состоянии — ничего не менялось.", "Already in that state; nothing was changed."),
    "adset_campaign_paused": ("Кампания этого адсета на паузе: показы начнутся, только когда её включат.",
                              "This ad set's campaign is paused: it will deliver only once the campaign is resumed."),
}


def _text(ctx: ToolContext, key: str, **values: Any) -> str:
    ru, en = _MESSAGES[key]
    return (ru if ctx.language == "ru" else en).format(**values)


def _error(ctx: ToolContext, key: str, *, code: str = "not_found", **values: Any) -> ToolError:
    return ToolError(_text(ctx, key, **values), code=code)


# ── metrics ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Counts:
    """Additive delivery counts; every rate is derived from them, so totals stay consistent."""

    spend_cents: int = 0
    impressions: int = 0
    clicks: int = 0
    leads: int = 0

    @classmethod
    def of(cls, row: Any) -> Counts:
        """From anything with these attributes: an Insight or a SQL row."""
        return cls(int(row.spend_cents or 0), int(row.impressions or 0), int(row.clicks or 0), int(row.leads or 0))

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.spend_cents + other.spend_cents, self.impressions + other.impressions,
                      self.clicks + other.clicks, self.leads + other.leads)

    @property
    def empty(self) -> bool:
        return not (self.spend_cents or self.impressions or self.clicks or self.leads)

    def metrics(self) -> dict[str, Any]:
        return {
            "spend_cents": self.spend_cents,
            "impressions": self.impressions,
            "clicks": self.clicks,
            "ctr": round(100 * self.clicks / self.impressions, 2) if self.impressions else 0.0,
            "leads": self.leads,
            "cpl_cents": round(self.spend_cents / self.leads) if self.leads else None,
            "cpm_cents": round(self.spend_cents * 1000 / self.impressions) if self.impressions else None,
        }


def _sum(counts: Iterable[Counts]) -> Counts:
    return sum(counts, Counts())


def _sums(model: Any) -> list[Any]:
    """SUM() of a metrics table's Counts columns, labelled so `Counts.of(row)` reads them."""
    return [func.coalesce(func.sum(getattr(model, name)), 0).label(name)
            for name in ("spend_cents", "impressions", "clicks", "leads")]


def _roi(counts: Counts, revenue_cents: int, conversions: int) -> dict[str, Any]:
    spend = counts.spend_cents
    return {
        **counts.metrics(),
        "revenue_cents": revenue_cents,
        "conversions": conversions,
        "roi_percent": round((revenue_cents - spend) * 100 / spend, 1) if spend else None,
    }


def _by_roi(item: dict[str, Any]) -> tuple[bool, float]:
    """Best ROI first; items without spend (no ROI) last."""
    roi = item["roi_percent"]
    return (roi is None, -(roi or 0.0))


# ── period ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str

    def as_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "label": self.label}

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _period(args: PeriodArgs, ctx: ToolContext) -> Period:
    start, end = args.date_range(ctx.today)
    return Period(start, end, args.label())


def _series(per_day: dict[dt.date, Counts], period: Period) -> list[dict[str, Any]]:
    """One point per day of the period (zeros where nothing was delivered) so charts have no gaps."""
    return [{"date": day.isoformat(), **per_day.get(day, Counts()).metrics()} for day in period.days()]


# ── platform reads ──────────────────────────────────────────────────────────────────────────


async def _gather(*calls: Awaitable[T]) -> list[T]:
    """Run platform calls concurrently; the first failure propagates as itself (not an ExceptionGroup),
    so run_tool still turns a GraphError into the user's message."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]  # type: ignore[arg-type]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


async def _insights(ctx: ToolContext, level: Level, period: Period, *, object_id: str | None = None,
                    daily: bool = False) -> list[Insight]:
    # An explicit time range (not a preset) so the platform and our DB agree on the days.
    query = InsightsQuery(level=level, object_id=object_id, date_preset=None, since=period.start,
                          until=period.end, time_increment=1 if daily else None)
    return await ctx.meta.insights(ctx.require_account(), query)


def _counts_by_object(rows: Iterable[Insight]) -> dict[str, Counts]:
    out: dict[str, Counts] = defaultdict(Counts)
    for row in rows:
        out[row.object_id] += Counts.of(row)
    return out


async def _campaign(ctx: ToolContext, campaign_id: str) -> Campaign:
    """The campaign if it belongs to the user's ad account (the token may reach other accounts)."""
    for campaign in await ctx.meta.list_campaigns(ctx.require_account()):
        if campaign.id == campaign_id:
            return campaign
    raise _error(ctx, "campaign_not_found", id=campaign_id)


async def _ad_set(ctx: ToolContext, ad_set_id: str) -> AdSet:
    for ad_set in await ctx.meta.list_ad_sets(account_id=ctx.require_account()):
        if ad_set.id == ad_set_id:
            return ad_set
    raise _error(ctx, "adset_not_found", id=ad_set_id)


def _campaign_json(campaign: Campaign, ad_sets: Sequence[AdSet]) -> dict[str, Any]:
    # Without a campaign budget (CBO) the campaign spends the sum of its ad sets' budgets.
    cbo = campaign.daily_budget_cents is not None
    budget = campaign.daily_budget_cents if cbo else sum(s.daily_budget_cents or 0 for s in ad_sets) or None
    return {"id": campaign.id, "name": campaign.name, "status": campaign.status,
            "effective_status": campaign.effective_status, "objective": campaign.objective,
            "daily_budget_cents": budget, "budget_level": "campaign" if cbo else "adset"}


def _ad_set_json(ad_set: AdSet) -> dict[str, Any]:
    return {"id": ad_set.id, "name": ad_set.name, "campaign_id": ad_set.campaign_id, "status": ad_set.status,
            "effective_status": ad_set.effective_status, "daily_budget_cents": ad_set.daily_budget_cents}


def _listing(items: list[dict[str, Any]], counts: Iterable[Counts], period: Period, **extra: Any) -> dict[str, Any]:
    return {"period": period.as_json(), **extra, "items": items, "total": _sum(counts).metrics(),
            "count": len(items)}


def _by_spend(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: (-item["spend_cents"], item["name"] or ""))


# ── business data: directions (scoped to the user and the ad account) ───────────────────────


def _directions(ctx: ToolContext) -> Any:
    """SELECT of the user's directions in the current ad account: every direction read starts here."""
    stmt = select(Direction.__table__).where(Direction.user_id == ctx.user_id)
    if ctx.ad_account_id is not None:
        stmt = stmt.where(Direction.ad_account_id == ctx.ad_account_id)
    return stmt


async def _direction(ctx: ToolContext, direction_id: uuid.UUID) -> Row[Any]:
    """The user's direction; another user's id is indistinguishable from an unknown one."""
    async with ctx.engine.connect() as conn:
        row = (await conn.execute(_directions(ctx).where(Direction.id == direction_id))).first()
    if row is None:
        raise _error(ctx, "direction_not_found")
    return row


def _direction_json(row: Row[Any]) -> dict[str, Any]:
    return {"id": str(row.id), "name": row.name, "status": "active" if row.is_active else "paused",
            "is_active": row.is_active, "campaign_status": row.campaign_status, "objective": row.objective,
            "daily_budget_cents": row.daily_budget_cents, "target_cpl_cents": row.target_cpl_cents,
            "fb_campaign_id": row.fb_campaign_id, "fb_adset_id": row.fb_adset_id}


async def _direction_days(
    conn: AsyncConnection, direction_ids: Sequence[uuid.UUID], period: Period
) -> tuple[dict[uuid.UUID, dict[dt.date, Counts]], str]:
    """Two-stage metrics: per direction and day, from the daily rollup; when the rollup has no
    rows for the period at all (not refreshed yet), aggregated from the per-ad history through the
    ad↔creative mapping. The rollup is refreshed for all directions at once, so a direction
    missing from a non-empty rollup simply delivered nothing. Returns the counts and the source.
    """
    days: dict[uuid.UUID, dict[dt.date, Counts]] = defaultdict(dict)
    if not direction_ids:
        return days, "rollup"
    r = DirectionMetricsRollup
    rollup = select(r.direction_id, r.date, r.spend_cents, r.impressions, r.clicks, r.leads).where(
        r.direction_id.in_(direction_ids), r.date.between(period.start, period.end))
    for row in await conn.execute(rollup):
        days[row.direction_id][row.date] = Counts.of(row)
    if days:
        return days, "rollup"
    h, m = CreativeMetricsDaily, AdCreativeMapping
    history = (
        select(m.direction_id, h.date, *_sums(h))
        .select_from(h)
        # The join of refresh_direction_metrics_rollup, so both stages count the same rows.
        .join(m, and_(m.fb_ad_id == h.fb_ad_id, m.creative_id == h.creative_id))
        .where(m.direction_id.in_(direction_ids), h.date.between(period.start, period.end))
        .group_by(m.direction_id, h.date)
    )
    for row in await conn.execute(history):
        days[row.direction_id][row.date] = Counts.of(row)
    return days, "history"


# ── business data: creatives and ROI ────────────────────────────────────────────────────────


def _creatives_scope(ctx: ToolContext) -> list[Any]:
    where = [Creative.user_id == ctx.user_id]
    if ctx.ad_account_id is not None:
        where.append(Creative.ad_account_id == ctx.ad_account_id)
    return where


def _purchase_filter(ctx: ToolContext, period: Period) -> list[Any]:
    """Purchases of the user in the period, by the account's local calendar day, in its currency
    (amounts in another currency cannot be added to spend)."""
    local_day = cast(func.timezone(ctx.timezone, Purchase.purchased_at), Date)
    return [Purchase.user_id == ctx.user_id, Lead.user_id == ctx.user_id, Purchase.currency == ctx.currency,
            local_day.between(period.start, period.end)]


async def _creative_roi(conn: AsyncConnection, ctx: ToolContext, period: Period, *,
                        direction_id: uuid.UUID | None = None,
                        creative_ids: Sequence[uuid.UUID] | None = None) -> list[dict[str, Any]]:
    """Per creative: spend and leads from the per-ad history, revenue and conversions from the
    purchases of the leads attributed to it. Creatives with neither are left out unless asked for."""
    where = _creatives_scope(ctx)
    if direction_id is not None:
        where.append(Creative.direction_id == direction_id)
    if creative_ids is not None:
        where.append(Creative.id.in_(creative_ids))
    h = CreativeMetricsDaily
    spend_stmt = (select(h.creative_id, *_sums(h))
                  .select_from(h).join(Creative, Creative.id == h.creative_id)
                  .where(*where, h.date.between(period.start, period.end)).group_by(h.creative_id))
    revenue_stmt = (select(Lead.creative_id, func.sum(Purchase.amount_cents).label("revenue"),
                           func.count(Purchase.id).label("conversions"))
                    .select_from(Purchase).join(Lead, Lead.id == Purchase.lead_id)
                    .join(Creative, Creative.id == Lead.creative_id)
                    .where(*where, *_purchase_filter(ctx, period)).group_by(Lead.creative_id))
    spend = {row.creative_id: Counts.of(row) for row in await conn.execute(spend_stmt)}
    revenue = {row.creative_id: (int(row.revenue), int(row.conversions)) for row in await conn.execute(revenue_stmt)}
    wanted = set(creative_ids) if creative_ids is not None else set(spend) | set(revenue)
    names = (select(Creative.id, Creative.title, Creative.media_type, Creative.direction_id,
                    Direction.name.label("direction_name"))
             .outerjoin(Direction, Direction.id == Creative.direction_id).where(*where, Creative.id.in_(list(wanted))))
    return [
        {"id": str(row.id), "name": row.title, "media_type": row.media_type,
         "direction_id": str(row.direction_id) if row.direction_id else None, "direction_name": row.direction_name,
         **_roi(spend.get(row.id, Counts()), *revenue.get(row.id, (0, 0)))}
        for row in await conn.execute(names)
    ]


async def _direction_roi(conn: AsyncConnection, ctx: ToolContext, period: Period,
                         directions: Sequence[Row[Any]]) -> tuple[list[dict[str, Any]], str]:
    """Per direction: spend from the two-stage direction metrics (the numbers getDirections shows),
    revenue from purchases of its ad-attributed leads (organic leads did not cost ad spend)."""
    ids = [d.id for d in directions]
    days, source = await _direction_days(conn, ids, period)
    revenue_stmt = (select(Lead.direction_id, func.sum(Purchase.amount_cents).label("revenue"),
                           func.count(Purchase.id).label("conversions"))
                    .select_from(Purchase).join(Lead, Lead.id == Purchase.lead_id)
                    .where(Lead.direction_id.in_(ids), Lead.creative_id.is_not(None), *_purchase_filter(ctx, period))
                    .group_by(Lead.direction_id))
    revenue = {row.direction_id: (int(row.revenue), int(row.conversions)) for row in await conn.execute(revenue_stmt)}
    items = [
        {"id": str(d.id), "name": d.name, "status": "active" if d.is_active else "paused",
         **_roi(_sum(days.get(d.id, {}).values()), *revenue.get(d.id, (0, 0)))}
        for d in directions
    ]
    return items, source


def _roi_total(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    counts = _sum(Counts(i["spend_cents"], i["impressions"], i["clicks"], i["leads"]) for i in items)
    return _roi(counts, sum(i["revenue_cents"] for i in items), sum(i["conversions"] for i in items))


def _missing(wanted: Sequence[uuid.UUID], found: Iterable[Any]) -> list[str]:
    have = {str(f) for f in found}
    return [str(w) for w in wanted if str(w) not in have]


# ═════════════════════════════════════ READ tools ═════════════════════════════════════════


@tools.tool(kind=READ)
async def getCampaigns(args: GetCampaignsArgs, ctx: ToolContext) -> dict[str, Any]:
    """List the ad account's campaigns with their delivery over the period: status, daily budget
    (cents), spend_cents, impressions, clicks, ctr (%), leads, cpl_cents; sorted by spend, with
    totals. Use it for "how are my campaigns doing" and to find a campaign's id by its name
    before any other campaign tool. Covers every linked ad platform (Meta, TikTok, Google Ads) with
    a per-platform breakdown unless `platform` names one."""
    parts, caveats = await ad_platforms.gather(ctx, args.platform, lambda sub: _campaigns_on(args, sub))
    return ad_platforms.merge(ctx, parts, caveats, title=("Кампании по площадкам", "Campaigns by platform"))


async def _campaigns_on(args: GetCampaignsArgs, ctx: ToolContext) -> dict[str, Any]:
    period = _period(args, ctx)
    account = ctx.require_account()
    campaigns, ad_sets, rows = await _gather(
        ctx.meta.list_campaigns(account), ctx.meta.list_ad_sets(account_id=account), _insights(ctx, "campaign", period)
    )
    if args.status != "all":
        campaigns = [c for c in campaigns if c.status == args.status]
    counts = _counts_by_object(rows)
    sets_by_campaign: dict[str, list[AdSet]] = defaultdict(list)
    for ad_set in ad_sets:
        sets_by_campaign[ad_set.campaign_id].append(ad_set)
    items = [{**_campaign_json(c, sets_by_campaign[c.id]), **counts[c.id].metrics()} for c in campaigns]
    return _listing(_by_spend(items), (counts[c.id] for c in campaigns), period)


@tools.tool(kind=READ)
async def getCampaignDetails(args: CampaignArgs, ctx: ToolContext) -> dict[str, Any]:
    """One campaign in detail over the period: its status, budget and metrics, plus its ad sets
    (budget, status, metrics) and ads (status, metrics). Money in cents, ctr in %. Needs the
    campaign's platform id (get it from getCampaigns)."""
    ctx = await ad_platforms.owner(ctx, args.platform, lambda sub: _campaign(sub, args.campaignId))
    period = _period(args, ctx)
    campaign = await _campaign(ctx, args.campaignId)
    ad_sets, ads, set_rows, ad_rows = await _gather(
        ctx.meta.list_ad_sets(campaign_id=campaign.id), ctx.meta.list_ads(account_id=ctx.require_account()),
        _insights(ctx, "adset", period, object_id=campaign.id), _insights(ctx, "ad", period, object_id=campaign.id),
    )
    set_counts, ad_counts = _counts_by_object(set_rows), _counts_by_object(ad_rows)
    ads = [ad for ad in ads if ad.campaign_id == campaign.id]
    item = {
        **_campaign_json(campaign, ad_sets),
        **_sum(set_counts.values()).metrics(),
        "ad_sets": _by_spend([{**_ad_set_json(s), **set_counts[s.id].metrics()} for s in ad_sets]),
        "ads": _by_spend([
            {"id": ad.id, "name": ad.name, "adset_id": ad.adset_id, "status": ad.status,
             "effective_status": ad.effective_status, **ad_counts[ad.id].metrics()}
            for ad in ads
        ]),
    }
    return {"period": period.as_json(), "item": item}


@tools.tool(kind=READ)
async def getAdSets(args: CampaignArgs, ctx: ToolContext) -> dict[str, Any]:
    """The ad sets of one campaign with daily budget (cents), status and metrics over the period
    (spend_cents, impressions, clicks, ctr %, leads, cpl_cents), sorted by spend. Use it before
    changing an ad set's budget or status, to get its id and current budget."""
    ctx = await ad_platforms.owner(ctx, args.platform, lambda sub: _campaign(sub, args.campaignId))
    period = _period(args, ctx)
    campaign = await _campaign(ctx, args.campaignId)
    ad_sets, rows = await _gather(ctx.meta.list_ad_sets(campaign_id=campaign.id),
                                  _insights(ctx, "adset", period, object_id=campaign.id))
    counts = _counts_by_object(rows)
    items = [{**_ad_set_json(s), **counts[s.id].metrics()} for s in ad_sets]
    return _listing(_by_spend(items), (counts[s.id] for s in ad_sets), period,
                    campaign={"id": campaign.id, "name": campaign.name})


@tools.tool(kind=READ, timeout=30)
async def getSpendReport(args: GetSpendReportArgs, ctx: ToolContext) -> dict[str, Any]:
    """Spend report over the period, broken down by day (a chartable daily series), campaign,
    adset or direction: spend_cents, impressions, clicks, ctr %, leads, cpl_cents per row and a
    total that equals the sum of the rows. Use it for "how much did we spend", "spend by day",
    "which campaign spends most". `groupBy=platform` compares Meta, TikTok and Google Ads (ROAS
    included); any other grouping covers every linked platform unless `platform` names one."""
    period = _period(args, ctx)
    if args.groupBy == "platform":
        return await ad_platforms.by_platform(ctx, args.platform, period)
    if args.groupBy == "direction":  # directions are the business's Meta campaigns
        return await _spend_on(args, ctx, period)
    parts, caveats = await ad_platforms.gather(ctx, args.platform, lambda sub: _spend_on(args, sub, _period(args, sub)))
    return ad_platforms.merge(ctx, parts, caveats, title=("Расходы по площадкам", "Spend by platform"))


async def _spend_on(args: GetSpendReportArgs, ctx: ToolContext, period: Period) -> dict[str, Any]:
    if args.groupBy == "day":
        per_day = {row.date_start: Counts.of(row) for row in await _insights(ctx, "account", period, daily=True)}
        return {"period": period.as_json(), "group_by": "day", "series": _series(per_day, period),
                "chart": "timeseries", "total": _sum(per_day.values()).metrics()}
    if args.groupBy == "direction":
        async with ctx.engine.connect() as conn:
            directions = (await conn.execute(_directions(ctx).order_by(Direction.name))).all()
            days, source = await _direction_days(conn, [d.id for d in directions], period)
        counts = {d.id: _sum(days.get(d.id, {}).values()) for d in directions}
        spent = [d for d in directions if not counts[d.id].empty]
        items = [{"id": str(d.id), "name": d.name, **counts[d.id].metrics()} for d in spent]
        return _listing(_by_spend(items), (counts[d.id] for d in spent), period, group_by="direction", source=source)
    rows = await _insights(ctx, args.groupBy, period)
    items = [{"id": row.object_id, "name": row.object_name, **Counts.of(row).metrics()} for row in rows]
    return _listing(_by_spend(items), (Counts.of(row) for row in rows), period, group_by=args.groupBy)


@tools.tool(kind=READ)
async def getDirections(args: GetDirectionsArgs, ctx: ToolContext) -> dict[str, Any]:
    """The business's advertising directions (e.g. «Имплантация», «Виниры») with status, daily
    budget and target CPL (cents) and their metrics over the period (spend_cents, leads,
    cpl_cents, ctr %), sorted by spend. Use it for questions about directions and to find a
    direction's id by its name before any other direction tool."""
    period = _period(args, ctx)
    stmt = _directions(ctx).order_by(Direction.name)
    if args.status != "all":
        stmt = stmt.where(Direction.is_active.is_(args.status == "active"))
    async with ctx.engine.connect() as conn:
        directions = (await conn.execute(stmt)).all()
        days, source = await _direction_days(conn, [d.id for d in directions], period)
    counts = {d.id: _sum(days.get(d.id, {}).values()) for d in directions}
    items = [{**_direction_json(d), **counts[d.id].metrics()} for d in directions]
    return _listing(_by_spend(items), counts.values(), period, source=source)


@tools.tool(kind=READ)
async def getDirectionDetails(args: DirectionArgs, ctx: ToolContext) -> dict[str, Any]:
    """One direction in detail: settings (budget, target CPL, status), metrics over the period,
    its creatives with their spend/leads/CPL in this direction, and its Facebook ad set (status,
    daily budget). Needs the direction id from getDirections."""
    period = _period(args, ctx)
    direction = await _direction(ctx, args.directionId)
    h, m = CreativeMetricsDaily, AdCreativeMapping
    per_creative = (select(h.creative_id, *_sums(h))
                    .select_from(h).join(m, and_(m.fb_ad_id == h.fb_ad_id, m.creative_id == h.creative_id))
                    .where(m.direction_id == direction.id, h.date.between(period.start, period.end))
                    .group_by(h.creative_id))
    async with ctx.engine.connect() as conn:
        days, source = await _direction_days(conn, [direction.id], period)
        creative_counts = {row.creative_id: Counts.of(row) for row in await conn.execute(per_creative)}
        creatives = (await conn.execute(
            select(Creative.id, Creative.title, Creative.media_type, Creative.status)
            .where(*_creatives_scope(ctx),
                   or_(Creative.direction_id == direction.id, Creative.id.in_(list(creative_counts))))
        )).all()
    ad_set = None
    if direction.fb_adset_id and ctx.platform_account_id:
        ad_set = _ad_set_json(await ctx.meta.get_ad_set(direction.fb_adset_id))
    item = {
        **_direction_json(direction),
        **_sum(days.get(direction.id, {}).values()).metrics(),
        "source": source,
        "creatives": _by_spend([
            {"id": str(c.id), "name": c.title, "media_type": c.media_type, "status": c.status,
             **creative_counts.get(c.id, Counts()).metrics()}
            for c in creatives
        ]),
        "adset": ad_set,
    }
    return {"period": period.as_json(), "item": item}


@tools.tool(kind=READ)
async def getDirectionMetrics(args: DirectionArgs, ctx: ToolContext) -> dict[str, Any]:
    """A direction's metrics day by day over the period (a chartable series of spend_cents,
    leads, cpl_cents, ctr %, …) with the period total and the direction's target CPL. Use it for
    trends: "how has CPL of «Виниры» changed this month"."""
    period = _period(args, ctx)
    direction = await _direction(ctx, args.directionId)
    async with ctx.engine.connect() as conn:
        days, source = await _direction_days(conn, [direction.id], period)
    per_day = days.get(direction.id, {})
    return {"period": period.as_json(),
            "direction": {"id": str(direction.id), "name": direction.name,
                          "target_cpl_cents": direction.target_cpl_cents},
            "series": _series(per_day, period), "chart": "timeseries", "total": _sum(per_day.values()).metrics(),
            "source": source}


@tools.tool(kind=READ)
async def getROIReport(args: GetROIReportArgs, ctx: ToolContext) -> dict[str, Any]:
    """Return on ad spend per creative over the period: spend_cents, revenue_cents (purchases of
    the leads the creative brought, by purchase date), roi_percent = (revenue − spend) / spend ×
    100, leads, conversions (purchases), sorted by spend, with totals. Optionally only the
    creatives of one direction. Use it for "what is our ROI", "which ads pay off"."""
    period = _period(args, ctx)
    if args.directionId is not None:
        await _direction(ctx, args.directionId)
    async with ctx.engine.connect() as conn:
        items = await _creative_roi(conn, ctx, period, direction_id=args.directionId)
    return {"period": period.as_json(), "items": _by_spend(items), "total": _roi_total(items), "count": len(items)}


@tools.tool(kind=READ)
async def getROIComparison(args: GetROIComparisonArgs, ctx: ToolContext) -> dict[str, Any]:
    """Compare ROI across directions (default) or creatives over the period, best first: per item
    spend_cents, revenue_cents, roi_percent, leads, conversions, cpl_cents. Pass ids to compare
    only those (from getDirections / getROIReport); all are compared when omitted."""
    period = _period(args, ctx)
    source: str | None = None
    async with ctx.engine.connect() as conn:
        if args.compareBy == "direction":
            stmt = _directions(ctx)
            if args.ids:
                stmt = stmt.where(Direction.id.in_(args.ids))
            directions = (await conn.execute(stmt)).all()
            if args.ids and (missing := _missing(args.ids, (d.id for d in directions))):
                raise _error(ctx, "directions_not_found", ids=", ".join(missing))
            items, source = await _direction_roi(conn, ctx, period, directions)
        else:
            if args.ids:
                found = (await conn.execute(
                    select(Creative.id).where(*_creatives_scope(ctx), Creative.id.in_(args.ids)))).scalars()
                if missing := _missing(args.ids, found):
                    raise _error(ctx, "creatives_not_found", ids=", ".join(missing))
            items = await _creative_roi(conn, ctx, period, creative_ids=args.ids or None)
    items.sort(key=_by_roi)
    result = {"period": period.as_json(), "compare_by": args.compareBy, "sorted_by": "roi_percent",
              "items": items, "total": _roi_total(items), "count": len(items)}
    if source is not None:
        result["source"] = source
    return result


@tools.tool(kind=READ)
async def getActionHistory(args: GetActionHistoryArgs, ctx: ToolContext) -> dict[str, Any]:
    """What the assistant changed (from the action journal): every write with its time, object,
    before → after state and how it ended (verified, not applied, outcome unknown), newest first.
    Use it for "what did you change yesterday / this week", "history of changes". The period's
    days are the ad account's calendar; "last N days" includes today."""
    return await action_history(ActionJournal(ctx.engine), user_id=ctx.user_id, period=args, today=ctx.today,
                                timezone=ctx.timezone, language=ctx.language, tool=args.tool, limit=args.limit)


# ═════════════════════════════════════ WRITE tools ════════════════════════════════════════

State = dict[str, Any]


def _already(expected: State, current: State) -> bool:
    # Exact, unlike the post-check's 1 % budget tolerance: a small budget change is still a change.
    return all(current.get(k) == v for k, v in expected.items())


async def _guarded(
    ctx: ToolContext, args: Any, *, action: str, target: dict[str, Any], expected: State,
    read: Callable[[], Awaitable[State]], write: Callable[[bool, State], Awaitable[Any]],
    version: Any, extra: dict[str, Any] | None = None, locator: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one write through the WriteGuard (dry run, journal, exactly once, post-check).

    The idempotency key covers the arguments AND the object as found: its state ("from") and its
    version (last-modified time). A duplicate of a write (double click, re-delivered approval,
    concurrent call) sees the same object and replays the stored result; pause → resume → pause
    within the guard's 24 h sees a newer version each time, so the third pause really pauses
    instead of replaying the first one's "verified" result while the campaign keeps spending.
    A write whose target state already holds changes nothing on the platform (`no_change`).
    """
    before = await read()

    async def apply(validate_only: bool) -> Any:
        current = await read()
        if _already(expected, current):
            return {"no_change": True}
        return await write(validate_only, current)

    key_args = {**args.model_dump(mode="json", exclude={"reason"}), "from": before, "version": version}
    outcome = await ctx.writes.run(
        GuardedWrite(tool=action, args=key_args, account_id=ctx.platform_account_id or str(ctx.ad_account_id),
                     platform=ctx.platform,
                     expected=expected, read=read, apply=apply,
                     target=WriteTarget(_TARGET_TYPES[action], str(target["id"]), target.get("name"), locator or {})),
        user_id=ctx.user_id, dry_run=ctx.dry_run,
    )
    result = {**outcome, "action": action, "target": target, **(extra or {})}
    if getattr(args, "reason", None):
        result["reason"] = args.reason
    if _already(expected, before):
        result.update(no_change=True, note=_text(ctx, "no_change"))
    return result


_TARGET_TYPES = {"pauseCampaign": "campaign", "resumeCampaign": "campaign", "pauseAdSet": "adset",
                 "resumeAdSet": "adset", "updateBudget": "adset", "updateDirectionBudget": "direction",
                 "updateDirectionTargetCPL": "direction", "pauseDirection": "direction",
                 "resumeDirection": "direction"}


async def _platform_version(ctx: ToolContext, object_id: str) -> str | None:
    """The platform's last-modified time of a campaign or ad set (the unified models do not carry it):
    Meta's `updated_time`, TikTok's `modify_time`, Google Ads' last change."""
    if ctx.platform != "meta":
        return await ctx.meta.object_version(object_id)
    return (await ctx.meta.client.get(object_id, {"fields": "updated_time"})).get("updated_time")


def _refuse_final(ctx: ToolContext, name: str, status: str) -> None:
    if status in ("ARCHIVED", "DELETED"):
        raise _error(ctx, "not_changeable", code="invalid_state", name=name, status=status)


async def _set_campaign_status(args: CampaignRefArgs, ctx: ToolContext, status: Status, action: str) -> dict[str, Any]:
    ctx = await ad_platforms.owner(ctx, args.platform, lambda sub: _campaign(sub, args.campaignId))
    campaign = await _campaign(ctx, args.campaignId)
    _refuse_final(ctx, campaign.name, campaign.status)

    async def read() -> State:
        return {"status": (await ctx.meta.get_campaign(campaign.id)).status}

    async def write(validate_only: bool, current: State) -> Any:
        return await ctx.meta.set_status(campaign.id, status, validate_only=validate_only)

    return await _guarded(ctx, args, action=action, target={"id": campaign.id, "name": campaign.name},
                          expected={"status": status}, read=read, write=write,
                          version=await _platform_version(ctx, campaign.id))


async def _set_ad_set_status(args: AdSetRefArgs, ctx: ToolContext, status: Status, action: str) -> dict[str, Any]:
    ctx = await ad_platforms.owner(ctx, args.platform, lambda sub: _ad_set(sub, args.adsetId))
    ad_set = await _ad_set(ctx, args.adsetId)
    _refuse_final(ctx, ad_set.name, ad_set.status)
    extra: dict[str, Any] = {}
    if status == "ACTIVE" and (await ctx.meta.get_campaign(ad_set.campaign_id)).status != "ACTIVE":
        extra["warning"] = _text(ctx, "adset_campaign_paused")

    async def read() -> State:
        return {"status": (await ctx.meta.get_ad_set(ad_set.id)).status}

    async def write(validate_only: bool, current: State) -> Any:
        return await ctx.meta.set_status(ad_set.id, status, validate_only=validate_only)

    return await _guarded(ctx, args, action=action,
                          target={"id": ad_set.id, "name": ad_set.name, "campaign_id": ad_set.campaign_id},
                          expected={"status": status}, read=read, write=write,
                          version=await _platform_version(ctx, ad_set.id), extra=extra)


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def pauseCampaign(args: CampaignRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """Pause a campaign: all its ad sets and ads stop delivering. Always confirmed by the user.
    Returns the verified before/after status. Pausing an already paused campaign changes nothing."""
    return await _set_campaign_status(args, ctx, "PAUSED", "pauseCampaign")


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def resumeCampaign(args: CampaignRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """Resume (activate) a paused campaign, so it starts spending again. Always confirmed by the
    user. Returns the verified before/after status."""
    return await _set_campaign_status(args, ctx, "ACTIVE", "resumeCampaign")


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def pauseAdSet(args: AdSetRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """Pause one ad set (its ads stop delivering; the rest of the campaign keeps running). Always
    confirmed by the user. Get the ad set id from getAdSets."""
    return await _set_ad_set_status(args, ctx, "PAUSED", "pauseAdSet")


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def resumeAdSet(args: AdSetRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """Resume (activate) a paused ad set. Always confirmed by the user. Warns when the ad set's
    campaign is itself paused (then it still will not deliver)."""
    return await _set_ad_set_status(args, ctx, "ACTIVE", "resumeAdSet")


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def updateBudget(args: UpdateBudgetArgs, ctx: ToolContext) -> dict[str, Any]:
    """Set an ad set's daily budget, in cents of the account currency ($50/day = 5000). Always
    confirmed by the user. Returns the verified before/after budget. Meta allows about 4 budget
    changes per ad set per hour. Get the ad set id and current budget from getAdSets. On Google Ads
    an ad group has no budget: its campaign's budget is set (the result says so)."""
    ctx = await ad_platforms.owner(ctx, args.platform, lambda sub: _ad_set(sub, args.adsetId))
    ad_set = await _ad_set(ctx, args.adsetId)
    campaign = await ctx.meta.get_campaign(ad_set.campaign_id)
    if ctx.platform == "google":
        return await ad_platforms.campaign_budget(ctx, args, campaign, ad_set, _guarded)
    # Under a campaign budget (CBO) Meta refuses ad-set budgets; say so instead of a Graph error.
    if ad_set.daily_budget_cents is None or campaign.daily_budget_cents is not None:
        raise _error(ctx, "campaign_budget", code="campaign_budget", name=ad_set.name)

    async def read() -> State:
        return {"daily_budget": (await ctx.meta.get_ad_set(ad_set.id)).daily_budget_cents}

    async def write(validate_only: bool, current: State) -> Any:
        return await ctx.meta.update_daily_budget(ad_set.id, args.dailyBudgetCents, validate_only=validate_only)

    return await _guarded(ctx, args, action="updateBudget",
                          target={"id": ad_set.id, "name": ad_set.name, "campaign_id": ad_set.campaign_id},
                          expected={"daily_budget": args.dailyBudgetCents}, read=read, write=write,
                          version=await _platform_version(ctx, ad_set.id))


async def _update_direction(ctx: ToolContext, direction_id: uuid.UUID, *, validate_only: bool,
                            **values: Any) -> None:
    """UPDATE the user's direction. validate_only runs it and rolls back, so the database's own
    constraints validate a dry run without changing anything."""
    stmt = (update(Direction).where(Direction.id == direction_id, Direction.user_id == ctx.user_id)
            .values(**values, updated_at=func.now()).returning(Direction.id))
    async with ctx.engine.connect() as conn, conn.begin() as transaction:
        if (await conn.execute(stmt)).first() is None:
            raise _error(ctx, "direction_not_found")  # leaving the block rolls back
        if validate_only:
            await transaction.rollback()


async def _direction_state(ctx: ToolContext, direction_id: uuid.UUID, *columns: str) -> State:
    row = await _direction(ctx, direction_id)
    return {name: getattr(row, name) for name in columns}


@dataclass(frozen=True)
class BudgetTarget:
    """Where a direction's budget lives on the platform, and the amount that object must get."""

    level: str  # "adset" | "campaign"
    id: str
    name: str
    daily_budget_cents: int
    other_adsets_daily_budget_cents: int

    async def read(self, ctx: ToolContext) -> int | None:
        if self.level == "campaign":
            return (await ctx.meta.get_campaign(self.id)).daily_budget_cents
        return (await ctx.meta.get_ad_set(self.id)).daily_budget_cents

    def as_json(self) -> dict[str, Any]:
        return {"level": self.level, "id": self.id, "name": self.name, "daily_budget_cents": self.daily_budget_cents,
                "other_adsets_daily_budget_cents": self.other_adsets_daily_budget_cents}


async def _budget_target(ctx: ToolContext, direction: Row[Any], budget_cents: int) -> BudgetTarget | None:
    """The platform object that carries a direction's daily budget.

    The direction's budget is its campaign's total daily spend. A campaign budget (CBO) is set to
    it directly (Meta refuses ad-set budgets there). Otherwise the direction's ad set (fb_adset_id)
    gets what the campaign's other active ad sets do not already take, so the platform total
    equals the direction budget; only that one ad set changes.
    """
    if not (direction.fb_adset_id or direction.fb_campaign_id):
        return None
    campaign_id = direction.fb_campaign_id or (await ctx.meta.get_ad_set(direction.fb_adset_id)).campaign_id
    campaign = await ctx.meta.get_campaign(campaign_id)
    if campaign.daily_budget_cents is not None:
        return BudgetTarget("campaign", campaign.id, campaign.name, budget_cents, 0)
    if not direction.fb_adset_id:
        raise _error(ctx, "direction_no_budget_target", code="no_budget_target")
    ad_sets = await ctx.meta.list_ad_sets(campaign_id=campaign_id)
    main = next((s for s in ad_sets if s.id == direction.fb_adset_id), None)
    if main is None:
        main = await ctx.meta.get_ad_set(direction.fb_adset_id)
    others = sum(s.daily_budget_cents or 0 for s in ad_sets if s.id != main.id and s.status == "ACTIVE")
    own = budget_cents - others
    if own < MIN_BUDGET_CENTS:
        money = {k: format_money(v, ctx.currency) for k, v in
                 {"others": others, "left": max(own, 0), "minimum": MIN_BUDGET_CENTS,
                  "needed": others + MIN_BUDGET_CENTS}.items()}
        raise _error(ctx, "direction_budget_too_low", code="budget_too_low", name=main.name, **money)
    return BudgetTarget("adset", main.id, main.name, own, others)


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def updateDirectionBudget(args: UpdateDirectionBudgetArgs, ctx: ToolContext) -> dict[str, Any]:
    """Set a direction's daily budget in cents ($100/day = 10000): updates the direction and its
    budget on Facebook — the campaign budget when the campaign has one (CBO), otherwise the
    direction's ad set, sized so the campaign's active ad sets add up to the new budget. Always
    confirmed by the user. The result's `platform` says which object got which amount."""
    direction = await _direction(ctx, args.directionId)
    target = await _budget_target(ctx, direction, args.dailyBudgetCents)
    expected: State = {"daily_budget_cents": args.dailyBudgetCents}
    if target is not None:
        expected["platform_daily_budget"] = target.daily_budget_cents

    async def read() -> State:
        state = await _direction_state(ctx, direction.id, "daily_budget_cents")
        if target is not None:
            state["platform_daily_budget"] = await target.read(ctx)
        return state

    async def write(validate_only: bool, current: State) -> Any:
        platform = None
        # Platform first: if Meta refuses, the direction keeps its old budget and both still agree.
        if target is not None and current.get("platform_daily_budget") != target.daily_budget_cents:
            platform = await ctx.meta.update_daily_budget(target.id, target.daily_budget_cents,
                                                          validate_only=validate_only)
        await _update_direction(ctx, direction.id, validate_only=validate_only, daily_budget_cents=args.dailyBudgetCents)
        return {"platform": platform.model_dump(mode="json") if platform else None,
                "direction": {"daily_budget_cents": args.dailyBudgetCents}}

    return await _guarded(ctx, args, action="updateDirectionBudget",
                          target={"id": str(direction.id), "name": direction.name}, expected=expected,
                          read=read, write=write, version=direction.updated_at.isoformat(),
                          extra={"platform": target.as_json() if target else None},
                          locator={"platform": target.as_json()} if target else None)


@tools.tool(kind=WRITE, timeout=15)
async def updateDirectionTargetCPL(args: UpdateDirectionTargetCPLArgs, ctx: ToolContext) -> dict[str, Any]:
    """Set a direction's target cost per lead, in cents ($15 = 1500). Changes only our settings
    (used to judge CPL in reports and recommendations), not Facebook delivery."""
    direction = await _direction(ctx, args.directionId)

    async def read() -> State:
        return await _direction_state(ctx, direction.id, "target_cpl_cents")

    async def write(validate_only: bool, current: State) -> Any:
        await _update_direction(ctx, direction.id, validate_only=validate_only, target_cpl_cents=args.targetCplCents)
        return {"direction": {"target_cpl_cents": args.targetCplCents}}

    return await _guarded(ctx, args, action="updateDirectionTargetCPL",
                          target={"id": str(direction.id), "name": direction.name},
                          expected={"target_cpl_cents": args.targetCplCents}, read=read, write=write,
                          version=direction.updated_at.isoformat())


async def _switch_ad_sets(ctx: ToolContext, ad_set_ids: Sequence[str], status: str, current: State, *,
                          validate_only: bool) -> list[str]:
    """Set `status` on those of a direction's ad sets the read-back `current` state does not show in it yet."""
    switched = []
    for ad_set_id in ad_set_ids:
        if current.get("adsets", {}).get(ad_set_id) != status:
            await ctx.meta.set_status(ad_set_id, status, validate_only=validate_only)
            switched.append(ad_set_id)
    return switched


def _direction_reader(ctx: ToolContext, direction: Row[Any], ad_set_ids: Sequence[str]) -> Callable[[], Awaitable[State]]:
    """The verification read of a direction pause or resume: its flags and the statuses of `ad_set_ids`."""
    async def read() -> State:
        state = await _direction_state(ctx, direction.id, "is_active", "campaign_status")
        if ad_set_ids:
            state["adsets"] = {s.id: s.status for s in await _direction_ad_sets(ctx, direction) if s.id in ad_set_ids}
        return state

    return read


async def _direction_ad_sets(ctx: ToolContext, direction: Row[Any]) -> list[AdSet]:
    if direction.fb_campaign_id:
        return await ctx.meta.list_ad_sets(campaign_id=direction.fb_campaign_id)
    if direction.fb_adset_id:
        return [await ctx.meta.get_ad_set(direction.fb_adset_id)]
    return []


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def pauseDirection(args: DirectionRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """Pause a direction: marks it inactive and pauses its Facebook ad set together with the other
    active ad sets of its campaign (they deliver the same direction, so pausing one would leave
    it spending). Always confirmed by the user. Returns the verified before/after state."""
    direction = await _direction(ctx, args.directionId)
    ad_sets = await _direction_ad_sets(ctx, direction)
    to_pause = sorted(s.id for s in ad_sets if s.id == direction.fb_adset_id or s.status == "ACTIVE")
    expected: State = {"is_active": False, "campaign_status": "PAUSED"}
    if to_pause:
        expected["adsets"] = dict.fromkeys(to_pause, "PAUSED")

    read = _direction_reader(ctx, direction, to_pause)

    async def write(validate_only: bool, current: State) -> Any:
        # Platform first: a direction marked paused while its ads still spend is the worse mismatch.
        paused = await _switch_ad_sets(ctx, to_pause, "PAUSED", current, validate_only=validate_only)
        await _update_direction(ctx, direction.id, validate_only=validate_only, is_active=False,
                                campaign_status="PAUSED")
        return {"paused_adsets": paused, "direction": {"is_active": False, "campaign_status": "PAUSED"}}

    names = {s.id: s.name for s in ad_sets}
    return await _guarded(ctx, args, action="pauseDirection",
                          target={"id": str(direction.id), "name": direction.name}, expected=expected,
                          read=read, write=write, version=direction.updated_at.isoformat(),
                          extra={"adsets": [{"id": i, "name": names.get(i)} for i in to_pause]})

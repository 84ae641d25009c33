"""Targeting and delivery settings of an existing ad set, each previewed and then changed by a plan.

`previewTargetingChange` («Поменяй таргетинг адсета Москва 25-45 на 30-50, только женщины») reads the
ad set's targeting, applies the asked changes (cities through the platform's targeting search),
estimates the reach before and after (`reachestimate`, which also validates the spec) and proposes
`updateAdSetTargeting`. `previewAdSetSettings` («бид кап $5», «cost cap $20», «до 31 декабря»,
«бюджет на весь срок $500») checks the change with `validate_only` and proposes `updateAdSetSettings`.
Both writes are plan-only, go through the write path with a read-back of the changed fields, and are
undone by restoring the journalled before-state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from agent_brain.agents.ads.structure import CityRef, _city
from agent_brain.agents.ads.tools import tools
from agent_brain.journal.records import WriteTarget
from agent_brain.money import format_money
from agent_brain.platforms.base import Targeting
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.write_safety import GuardedWrite
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError

BidStrategy = Literal["LOWEST_COST_WITHOUT_CAP", "LOWEST_COST_WITH_BID_CAP", "COST_CAP"]
_SETTINGS_FIELDS = "name,targeting,end_time,start_time,bid_strategy,bid_amount,lifetime_budget,daily_budget,status"


class AdSetArgs(BaseModel):
    adsetId: str = Field(min_length=1, max_length=32, description="The ad set's platform id")


class PreviewTargetingArgs(AdSetArgs):
    ageMin: int | None = Field(default=None, ge=18, le=65)
    ageMax: int | None = Field(default=None, ge=18, le=65)
    gender: Literal["all", "female", "male"] | None = None
    cities: list[str] = Field(default_factory=list, max_length=5, description="Replace the cities with these")


class TargetingState(BaseModel):
    ageMin: int = Field(ge=13, le=65)
    ageMax: int = Field(ge=13, le=65)
    genders: list[int] = Field(default_factory=list)
    cities: list[CityRef] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)


class UpdateTargetingArgs(AdSetArgs, TargetingState):
    pass


class PreviewSettingsArgs(AdSetArgs):
    endDate: dt.date | None = Field(default=None, description="Stop delivering after this day (account time)")
    startDate: dt.date | None = Field(default=None, description="Start delivering on this day (account time)")
    bidStrategy: BidStrategy | None = None
    bidAmountCents: int | None = Field(default=None, gt=0, description="Bid cap or cost cap, minor units")
    lifetimeBudgetCents: int | None = Field(default=None, gt=0, description="Budget for the whole run, minor units")


class UpdateSettingsArgs(AdSetArgs):
    endDate: dt.date | None = None
    startDate: dt.date | None = None
    bidStrategy: BidStrategy | None = None
    bidAmountCents: int | None = Field(default=None, gt=0)
    lifetimeBudgetCents: int | None = Field(default=None, gt=0)


# ── targeting ───────────────────────────────────────────────────────────────────────────────


def _state(targeting: Targeting | None) -> TargetingState:
    t = targeting or Targeting()
    return TargetingState(ageMin=t.age_min or 18, ageMax=t.age_max or 65, genders=list(t.genders),
                          cities=[CityRef(key=str(c.get("key")), name=str(c.get("name") or c.get("key")))
                                  for c in t.cities], countries=list(t.countries))


def _graph_targeting(state: TargetingState, current: Targeting | None) -> Targeting:
    """The new spec: the ad set's other settings (interests, placements, audiences) are kept."""
    base = current or Targeting()
    radius = {str(c.get("key")): c for c in base.cities}
    cities = [{**{k: v for k, v in radius.get(c.key, {}).items() if k in ("radius", "distance_unit")},
               "key": c.key, "name": c.name} for c in state.cities]
    return base.model_copy(update={"age_min": state.ageMin, "age_max": state.ageMax, "genders": state.genders,
                                   "cities": cities, "countries": state.countries})


def _describe(ctx: ToolContext, s: TargetingState) -> str:
    gender = {(2,): say(ctx, "женщины", "women"), (1,): say(ctx, "мужчины", "men")}.get(tuple(s.genders),
                                                                                      say(ctx, "все", "all"))
    places = ", ".join([c.name for c in s.cities] + s.countries) or "—"
    return f"{places}, {s.ageMin}-{s.ageMax}, {gender}"


def _reach(r: dict[str, int]) -> str:
    return f"{r['users_lower_bound']:,}–{r['users_upper_bound']:,}".replace(",", " ")


@tools.tool(kind=READ, timeout=40)
async def previewTargetingChange(args: PreviewTargetingArgs, ctx: ToolContext) -> dict[str, Any]:
    """Preview a change of an ad set's targeting (age range, gender, cities): the current and the new
    targeting with the platform's reach estimate for each, and ONE proposed plan step that applies it.
    Changes nothing itself."""
    account = ctx.require_account()
    ad_set = await ctx.meta.get_ad_set(args.adsetId)
    before = _state(ad_set.targeting)
    after = before.model_copy(deep=True)
    if args.ageMin is not None:
        after.ageMin = args.ageMin
    if args.ageMax is not None:
        after.ageMax = args.ageMax
    if after.ageMin > after.ageMax:
        after.ageMin, after.ageMax = after.ageMax, after.ageMin
    if args.gender is not None:
        after.genders = {"all": [], "female": [2], "male": [1]}[args.gender]
    if args.cities:
        after.cities = [await _city(ctx, c) for c in dict.fromkeys(args.cities)]
        after.countries = []
    if after == before:
        raise ToolError(say(ctx, f"Таргетинг адсета «{ad_set.name}» уже такой: {_describe(ctx, before)}.",
                            f"The ad set “{ad_set.name}” already targets {_describe(ctx, before)}."), code="no_change")
    try:
        reach_before = await ctx.meta.validate_targeting(account, _graph_targeting(before, ad_set.targeting))
        reach_after = await ctx.meta.validate_targeting(account, _graph_targeting(after, ad_set.targeting))
    except GraphError as exc:
        raise ToolError(say(ctx, f"Площадка отклонила таргетинг: {exc.user_text or exc.message}",
                            f"The platform rejected the targeting: {exc.user_text or exc.message}"),
                        code="platform_rejected") from exc
    description = say(
        ctx, f"Таргетинг адсета «{ad_set.name}»: {_describe(ctx, before)} → {_describe(ctx, after)}; охват "
             f"{_reach(reach_before)} → {_reach(reach_after)}",
        f"Targeting of “{ad_set.name}”: {_describe(ctx, before)} → {_describe(ctx, after)}; reach "
        f"{_reach(reach_before)} → {_reach(reach_after)}")
    params = {"adsetId": ad_set.id, **after.model_dump(mode="json")}
    return {"adset": {"id": ad_set.id, "name": ad_set.name}, "before": before.model_dump(mode="json"),
            "after": after.model_dump(mode="json"), "reach_before": reach_before, "reach_after": reach_after,
            "message": description + say(ctx, ". Подтвердите план.", ". Please approve the plan."),
            "proposed_steps": [{"action": "updateAdSetTargeting", "params": params, "description": description}]}


@tools.tool(kind=WRITE, dangerous=True, timeout=40, plan_only=True)
async def updateAdSetTargeting(args: UpdateTargetingArgs, ctx: ToolContext) -> dict[str, Any]:
    """Set an ad set's age range, genders, cities and countries as previewed by previewTargetingChange
    (other targeting is kept). Always confirmed by the user."""
    ctx.require_account()
    ad_set = await ctx.meta.get_ad_set(args.adsetId)
    wanted = TargetingState.model_validate(args.model_dump(exclude={"adsetId"}))

    async def read() -> dict[str, Any]:
        return _state((await ctx.meta.get_ad_set(ad_set.id)).targeting).model_dump(mode="json")

    async def apply(validate_only: bool) -> Any:
        current = await ctx.meta.get_ad_set(ad_set.id)
        return await ctx.meta.update_ad_set(ad_set.id, targeting=_graph_targeting(wanted, current.targeting),
                                            validate_only=validate_only)

    outcome = await ctx.writes.run(
        GuardedWrite(tool="updateAdSetTargeting", args=args.model_dump(mode="json"),
                     account_id=ctx.platform_account_id or str(ctx.ad_account_id),
                     expected=wanted.model_dump(mode="json"), read=read, apply=apply,
                     target=WriteTarget("adset_targeting", ad_set.id, ad_set.name)),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    return {**outcome, "action": "updateAdSetTargeting", "target": {"id": ad_set.id, "name": ad_set.name},
            "message": say(ctx, f"Таргетинг адсета «{ad_set.name}»: {_describe(ctx, wanted)}.",
                           f"Targeting of “{ad_set.name}”: {_describe(ctx, wanted)}.")}


# ── dates, bids, lifetime budgets ───────────────────────────────────────────────────────────


def _settings_state(raw: dict[str, Any]) -> dict[str, Any]:
    return {"endDate": (raw.get("end_time") or "")[:10] or None, "startDate": (raw.get("start_time") or "")[:10] or None,
            "bidStrategy": raw.get("bid_strategy"),
            "bidAmountCents": int(raw["bid_amount"]) if raw.get("bid_amount") not in (None, "") else None,
            "lifetimeBudgetCents": int(raw["lifetime_budget"]) if raw.get("lifetime_budget") not in (None, "", "0")
            else None}


def _graph_settings(args: UpdateSettingsArgs | PreviewSettingsArgs, tz: str) -> dict[str, Any]:
    zone = ZoneInfo(tz)
    out: dict[str, Any] = {}
    if args.endDate is not None:
        out["end_time"] = dt.datetime.combine(args.endDate, dt.time(23, 59), zone).strftime("%Y-%m-%dT%H:%M:%S%z")
    if args.startDate is not None:
        out["start_time"] = dt.datetime.combine(args.startDate, dt.time(0, 0), zone).strftime("%Y-%m-%dT%H:%M:%S%z")
    if args.bidStrategy is not None:
        out["bid_strategy"] = args.bidStrategy
    if args.bidAmountCents is not None:
        out["bid_amount"] = args.bidAmountCents
    if args.lifetimeBudgetCents is not None:
        out["lifetime_budget"] = args.lifetimeBudgetCents
    return out


def _wanted(args: UpdateSettingsArgs | PreviewSettingsArgs) -> dict[str, Any]:
    data = args.model_dump(mode="json", exclude={"adsetId"}, exclude_none=True)
    if "bidAmountCents" in data and "bidStrategy" not in data:
        data["bidStrategy"] = "LOWEST_COST_WITH_BID_CAP"
    return data


def _settings_text(ctx: ToolContext, state: dict[str, Any]) -> str:
    names = {"endDate": say(ctx, "окончание", "end"), "startDate": say(ctx, "начало", "start"),
             "bidStrategy": say(ctx, "стратегия ставок", "bid strategy"), "bidAmountCents": say(ctx, "ставка", "bid"),
             "lifetimeBudgetCents": say(ctx, "бюджет на весь срок", "lifetime budget")}
    parts = []
    for key, value in state.items():
        shown = format_money(int(value), ctx.currency) if key in ("bidAmountCents", "lifetimeBudgetCents") and \
            value is not None else (value or "—")
        parts.append(f"{names[key]} {shown}")
    return ", ".join(parts)


@tools.tool(kind=READ, timeout=40)
async def previewAdSetSettings(args: PreviewSettingsArgs, ctx: ToolContext) -> dict[str, Any]:
    """Preview an ad set's delivery settings change: end/start dates, bid strategy with a bid cap or cost
    cap, a lifetime budget. Validated by the platform (validate_only); proposes ONE plan step. Money in
    minor units."""
    ctx.require_account()
    raw = await ctx.meta.client.get(args.adsetId, {"fields": _SETTINGS_FIELDS})
    name = str(raw.get("name", args.adsetId))
    wanted = _wanted(args)
    if not wanted:
        raise ToolError(say(ctx, "Что поменять: дату окончания, ставку (bid cap / cost cap) или бюджет на весь срок?",
                            "What should change: the end date, the bid (bid cap / cost cap) or the lifetime budget?"),
                        code="missing")
    if args.lifetimeBudgetCents is not None and raw.get("lifetime_budget") in (None, "", "0"):
        # Meta does not switch an ad set between a daily and a lifetime budget once it exists.
        raise ToolError(say(ctx, f"У адсета «{name}» дневной бюджет: площадка не переводит его на бюджет на весь срок. "
                                 "Можно задать дату окончания или создать новый адсет.",
                            f"“{name}” has a daily budget: the platform does not switch it to a lifetime budget. "
                            "You can set an end date or create a new ad set."), code="budget_type")
    assert ctx.today is not None
    if args.endDate is not None and args.endDate < ctx.today:
        raise ToolError(say(ctx, f"Дата окончания {args.endDate} уже прошла.", f"The end date {args.endDate} has passed."),
                        code="past_date")
    before = {k: _settings_state(raw).get(k) for k in wanted}
    try:
        await ctx.meta.update_ad_set(args.adsetId, validate_only=True,
                                     **_graph_settings(UpdateSettingsArgs(adsetId=args.adsetId, **wanted),
                                                       ctx.timezone))
    except GraphError as exc:
        raise ToolError(say(ctx, f"Площадка отклонила изменение: {exc.user_text or exc.message}",
                            f"The platform rejected the change: {exc.user_text or exc.message}"),
                        code="platform_rejected") from exc
    description = say(ctx, f"Адсет «{name}»: {_settings_text(ctx, before)} → {_settings_text(ctx, wanted)} "
                           "(проверено площадкой, validate_only)",
                      f"Ad set “{name}”: {_settings_text(ctx, before)} → {_settings_text(ctx, wanted)} "
                      "(checked by the platform, validate_only)")
    return {"adset": {"id": args.adsetId, "name": name}, "before": before, "after": wanted,
            "message": description + say(ctx, ". Подтвердите план.", ". Please approve the plan."),
            "proposed_steps": [{"action": "updateAdSetSettings", "params": {"adsetId": args.adsetId, **wanted},
                                "description": description}]}


@tools.tool(kind=WRITE, dangerous=True, timeout=40, plan_only=True)
async def updateAdSetSettings(args: UpdateSettingsArgs, ctx: ToolContext) -> dict[str, Any]:
    """Set an ad set's end/start dates, bid strategy and bid/cost cap or lifetime budget as previewed by
    previewAdSetSettings. Always confirmed by the user. Money in minor units."""
    ctx.require_account()
    name = str((await ctx.meta.client.get(args.adsetId, {"fields": "name"})).get("name", args.adsetId))
    wanted = _wanted(args)

    async def read() -> dict[str, Any]:
        state = _settings_state(await ctx.meta.client.get(args.adsetId, {"fields": _SETTINGS_FIELDS}))
        return {k: state.get(k) for k in wanted}

    async def apply(validate_only: bool) -> Any:
        return await ctx.meta.update_ad_set(args.adsetId, validate_only=validate_only,
                                            **_graph_settings(UpdateSettingsArgs(adsetId=args.adsetId, **wanted),
                                                              ctx.timezone))

    outcome = await ctx.writes.run(
        GuardedWrite(tool="updateAdSetSettings", args=args.model_dump(mode="json"),
                     account_id=ctx.platform_account_id or str(ctx.ad_account_id), expected=wanted, read=read,
                     apply=apply, target=WriteTarget("adset_settings", args.adsetId, name)),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    return {**outcome, "action": "updateAdSetSettings", "target": {"id": args.adsetId, "name": name},
            "message": say(ctx, f"Адсет «{name}»: {_settings_text(ctx, wanted)}.",
                           f"Ad set “{name}”: {_settings_text(ctx, wanted)}.")}

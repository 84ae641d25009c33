"""«Создай кампанию на направление Виниры в Казани, $50 в день, женщины 25-45, креативы …»: structure generation.

Two tools. `planCampaignStructure` (and `planCampaignCopy`, «скопируй Виниры СПб на Казань») reads
and checks: the direction, the creatives by title (uploaded ones only), the city through the
platform's targeting search (`GET /search?type=adgeolocation`), the budget against the account's
floor, then asks the platform to validate the campaign (`validate_only`) and estimates each ad
set's reach. It writes nothing: it proposes ONE plan step, `createCampaignStructure`, whose
arguments are the fully resolved structure. That write creates the campaign PAUSED, one ad set per
audience (city) with its targeting and an equal share of the daily budget, one ad per creative,
through the write path (journal, exactly once, read-back of the campaign and its children); a
failure half way deletes what it created. «Запусти кампанию …» is then `resumeCampaign`; undo is
`archiveCampaign`.

Names follow `NAMING` (campaign «Виниры Казань», ad set «Казань 25-45 женщины», ad = creative title), or the
user's own convention in the business specs (`tracking.naming`, e.g. {"campaign": "{direction} | {city} |
{date}"}; placeholders {direction} {city} {age_min} {age_max} {gender} {creative} {date}); a name the user
gives for the campaign wins.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select

from agent_brain.agents.ads.tools import tools
from agent_brain.db.models import Creative, Direction
from agent_brain.journal.records import WriteTarget
from agent_brain.memory.specs import BusinessSpecsStore
from agent_brain.money import format_money
from agent_brain.platforms.base import Targeting
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.write_safety import GuardedWrite
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError

NAMING = {"campaign": "{direction} {city}", "adset": "{city} {age_min}-{age_max}{gender}", "ad": "{creative}"}
_GENDER_WORDS = {"female": (" женщины", " women"), "male": (" мужчины", " men"), "all": ("", "")}
_GENDER_CODES = {"female": [2], "male": [1], "all": []}
# The direction's lead channel decides the objective and the ad sets' optimisation goal (as in the demo).
_OBJECTIVES = {"whatsapp": ("OUTCOME_ENGAGEMENT", "CONVERSATIONS")}
_DEFAULT_OBJECTIVE = ("OUTCOME_LEADS", "OFFSITE_CONVERSIONS")
_CITY_SHORT = {"Санкт-Петербург": ("СПб", "Питер", "SPb"), "Москва": ("Мск", "MSK"), "Saint Petersburg": ("SPb",)}


# ── arguments ───────────────────────────────────────────────────────────────────────────────


class HighDemandPeriod(BaseModel):
    start: dt.date = Field(description="First day of the period")
    end: dt.date = Field(description="Last day of the period")
    extraDailyBudgetCents: int = Field(gt=0, description="How much more a day during the period (minor units), "
                                                         "for the whole campaign")


class PlanStructureArgs(BaseModel):
    direction: str | None = Field(default=None, max_length=200, description="The direction's name, e.g. «Виниры»")
    cities: list[str] = Field(default_factory=list, max_length=5,
                              description="Cities to target, one ad set each, as the user wrote them")
    dailyBudgetCents: int | None = Field(default=None, gt=0, description="Daily budget of the whole campaign in "
                                                                         "minor units, split equally across ad sets")
    lifetimeBudgetCents: int | None = Field(default=None, gt=0, description="Instead of a daily budget: the budget "
                                            "for the whole run (minor units), split equally; needs endDate")
    startDate: dt.date | None = Field(default=None, description="When the ad sets start (default: on launch)")
    endDate: dt.date | None = Field(default=None, description="When the ad sets stop; required with a lifetime budget")
    highDemandPeriods: list[HighDemandPeriod] = Field(default_factory=list, max_length=10,
                                                      description="Budget schedules: days with a higher daily budget")
    ageMin: int | None = Field(default=None, ge=18, le=65)
    ageMax: int | None = Field(default=None, ge=18, le=65)
    gender: Literal["all", "female", "male"] = "all"
    creatives: list[str] = Field(default_factory=list, max_length=10,
                                 description="Creative titles (or the start of them), one ad each in every ad set")
    campaignName: str | None = Field(default=None, max_length=200, description="Only if the user named the campaign")


class PlanCopyArgs(BaseModel):
    campaign: str = Field(min_length=1, max_length=200, description="The source campaign's name or id")
    city: str = Field(min_length=1, max_length=100, description="The city the copy targets instead")
    dailyBudgetCents: int | None = Field(default=None, gt=0, description="A new total daily budget (minor units)")


class CityRef(BaseModel):
    key: str = Field(max_length=32)
    name: str = Field(max_length=100)


class AdSpec(BaseModel):
    name: str = Field(max_length=300)
    creativeId: str = Field(max_length=32, description="The platform creative id")


class BudgetSchedule(BaseModel):
    timeStart: str = Field(max_length=40, description="ISO 8601 in the account's time zone")
    timeEnd: str = Field(max_length=40, description="ISO 8601 in the account's time zone")
    extraCents: int = Field(gt=0, description="The daily budget's increase in the period (minor units)")

    def to_graph(self) -> dict[str, Any]:
        """Graph's `budget_schedule_specs` entry: UNIX seconds, an ABSOLUTE increase, once."""
        return {"time_start": int(dt.datetime.fromisoformat(self.timeStart).timestamp()),
                "time_end": int(dt.datetime.fromisoformat(self.timeEnd).timestamp()),
                "budget_value": self.extraCents, "budget_value_type": "ABSOLUTE", "recurrence_type": "ONE_TIME"}


class AdSetSpec(BaseModel):
    name: str = Field(max_length=300)
    cities: list[CityRef] = Field(min_length=1, max_length=5)
    ageMin: int = Field(ge=18, le=65)
    ageMax: int = Field(ge=18, le=65)
    genders: list[int] = Field(default_factory=list, description="1 male, 2 female, empty all")
    dailyBudgetCents: int | None = Field(default=None, gt=0)
    lifetimeBudgetCents: int | None = Field(default=None, gt=0, description="For the whole run; needs endTime")
    startTime: str | None = Field(default=None, max_length=40, description="ISO 8601 in the account's time zone")
    endTime: str | None = Field(default=None, max_length=40, description="ISO 8601 in the account's time zone")
    budgetSchedules: list[BudgetSchedule] = Field(default_factory=list, max_length=10)
    ads: list[AdSpec] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _one_budget(self) -> AdSetSpec:
        # As the platform: an ad set has a daily or a lifetime budget, and a lifetime one has an end.
        if (self.dailyBudgetCents is None) == (self.lifetimeBudgetCents is None):
            raise ValueError("an ad set has either dailyBudgetCents or lifetimeBudgetCents")
        if self.lifetimeBudgetCents is not None and not self.endTime:
            raise ValueError("a lifetime budget needs endTime")
        if self.budgetSchedules and self.dailyBudgetCents is None:
            raise ValueError("budget schedules need a daily budget")
        return self

    def per_day_cents(self, today: dt.date) -> int:
        if self.dailyBudgetCents is not None:
            return self.dailyBudgetCents
        assert self.lifetimeBudgetCents is not None and self.endTime
        start = dt.datetime.fromisoformat(self.startTime).date() if self.startTime else today
        days = max(1, (dt.datetime.fromisoformat(self.endTime).date() - start).days + 1)
        return self.lifetimeBudgetCents // days

    def targeting(self) -> Targeting:
        return Targeting(cities=[{"key": c.key, "radius": 20, "distance_unit": "kilometer"} for c in self.cities],
                         age_min=self.ageMin, age_max=self.ageMax, genders=self.genders)


class CreateStructureArgs(BaseModel):
    campaignName: str = Field(min_length=1, max_length=300)
    objective: Literal["OUTCOME_LEADS", "OUTCOME_ENGAGEMENT", "OUTCOME_TRAFFIC", "OUTCOME_SALES"]
    optimizationGoal: str = Field(max_length=40)
    specialAdCategories: list[str] = Field(default_factory=list)
    adSets: list[AdSetSpec] = Field(min_length=1, max_length=10)


class CampaignIdArgs(BaseModel):
    campaignId: str = Field(min_length=1, max_length=32)


# ── reading what the user named ─────────────────────────────────────────────────────────────


def _stem(word: str) -> str:
    return word.casefold().strip()[: max(4, len(word.strip()) - 2)]


async def _direction(ctx: ToolContext, name: str) -> Any:
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(select(Direction.id, Direction.name, Direction.objective).where(
            Direction.user_id == ctx.user_id, Direction.ad_account_id == ctx.ad_account_id))).all()
    wanted = name.casefold().strip()
    found = [r for r in rows if r.name.casefold() == wanted] or \
        [r for r in rows if r.name.casefold().startswith(_stem(wanted)) or wanted.startswith(_stem(r.name))]
    if len(found) != 1:
        names = ", ".join(f"«{r.name}»" for r in (found or rows))
        raise ToolError(say(ctx, f"Уточните направление: {names}.", f"Which direction? {names}."),
                        code="ambiguous" if found else "not_found")
    return found[0]


async def _creatives(ctx: ToolContext, titles: list[str], direction_id: uuid.UUID | None) -> list[Any]:
    async with ctx.engine.connect() as conn:
        rows = (await conn.execute(select(Creative.id, Creative.title, Creative.fb_creative_id, Creative.direction_id)
                                   .where(Creative.user_id == ctx.user_id,
                                          Creative.ad_account_id == ctx.ad_account_id))).all()
    chosen = []
    for title in titles:
        wanted = title.casefold().strip(" «»\"'")
        found = [r for r in rows if r.title.casefold() == wanted] or \
            [r for r in rows if r.title.casefold().startswith(wanted)] or \
            [r for r in rows if wanted in r.title.casefold()]
        if len(found) > 1 and direction_id is not None:
            found = [r for r in found if r.direction_id == direction_id] or found
        if len(found) != 1:
            options = ", ".join(f"«{r.title}»" for r in found[:6]) or "—"
            raise ToolError(say(ctx, f"Не нашёл однозначно креатив «{title}». Подходят: {options}.",
                                f"I can't tell which creative “{title}” is. Candidates: {options}."),
                            code="ambiguous" if found else "not_found")
        if not found[0].fb_creative_id:
            raise ToolError(say(ctx, f"Креатив «{found[0].title}» не загружен в рекламный кабинет.",
                                f"The creative “{found[0].title}” is not uploaded to the ad account."),
                            code="not_uploaded")
        chosen.append(found[0])
    return chosen


async def _city(ctx: ToolContext, name: str) -> CityRef:
    """The city's targeting key from the platform's targeting search (never guessed)."""
    query = name.strip()
    hits = await ctx.meta.search_locations(query, location_types=["city"])
    # «в Казани», «на Казань»: Russian case endings — search by the word's stem, as a user would type it.
    for cut in (1, 2):
        if hits or len(query) - cut < 4:
            break
        hits = await ctx.meta.search_locations(query[:-cut], location_types=["city"])
    if len(hits) > 1 and not any(str(h["name"]).casefold() == query.casefold() for h in hits):
        options = ", ".join(f"{h['name']} ({h.get('region') or h.get('country_code')})" for h in hits[:6])
        raise ToolError(say(ctx, f"Какой город имеется в виду: {options}?", f"Which city do you mean: {options}?"),
                        code="ambiguous_geo")
    hits = [h for h in hits if str(h["name"]).casefold() == query.casefold()] or hits
    if not hits:
        raise ToolError(say(ctx, f"Площадка не знает город «{name}». Уточните название.",
                            f"The platform does not know the city “{name}”. Please check the name."), code="no_geo")
    return CityRef(key=str(hits[0]["key"]), name=str(hits[0]["name"]))


def _missing(ctx: ToolContext, args: PlanStructureArgs) -> list[str]:
    parts = [(args.direction, "направление", "the direction"), (args.cities, "город (гео)", "the city (geo)"),
             (args.dailyBudgetCents or args.lifetimeBudgetCents, "дневной бюджет (или бюджет на весь срок)",
              "the daily budget (or a lifetime budget)"),
             (args.endDate or not args.lifetimeBudgetCents, "дату окончания (для бюджета на весь срок)",
              "the end date (for a lifetime budget)"),
             (args.creatives, "креативы", "the creatives")]
    return [say(ctx, ru, en) for value, ru, en in parts if not value]


_SAMPLE = {"direction": "D", "city": "C", "age_min": 18, "age_max": 65, "gender": "", "creative": "X", "date": "D"}


async def _naming(ctx: ToolContext) -> dict[str, str]:
    """The naming convention: the user's templates from the business specs where they format, else ours."""
    spec = await BusinessSpecsStore(ctx.engine).get(ctx.user_id, ctx.ad_account_id)
    own = spec.tracking.get("naming")
    out = dict(NAMING)
    for kind, template in (own.items() if isinstance(own, dict) else ()):
        if kind in out and isinstance(template, str) and template.strip():
            try:
                template.format(**_SAMPLE)
            except (KeyError, IndexError, ValueError):
                continue  # a template with an unknown placeholder is ignored, the default stays
            out[kind] = template
    return out


def _adset_name(naming: dict[str, str], city: str, age_min: int, age_max: int, gender: str, *, direction: str,
                date: str) -> str:
    word = _GENDER_WORDS[gender][1 if city.isascii() else 0]  # the name reads in one language: the place's
    return naming["adset"].format(city=city, age_min=age_min, age_max=age_max, gender=word, direction=direction,
                                  creative="", date=date).strip()


# ── the preview (validate_only, reach) and the proposed step ────────────────────────────────


async def _checked_plan(ctx: ToolContext, spec: CreateStructureArgs, intro: str) -> dict[str, Any]:
    """Validate the structure with the platform and describe it as one proposed plan step."""
    account = ctx.require_account()
    money = lambda cents: format_money(int(cents), ctx.currency)  # noqa: E731
    floor = await ctx.meta.minimum_daily_budget_cents(account)
    low = [s for s in spec.adSets if s.per_day_cents(ctx.today) < floor]
    if low:
        per_day = money(low[0].per_day_cents(ctx.today))
        raise ToolError(say(ctx, f"Бюджет адсета «{low[0].name}» {per_day} в день ниже минимума "
                                 f"площадки {money(floor)} в день.",
                            f"The ad set “{low[0].name}” budget {per_day} a day is below the "
                            f"platform's minimum of {money(floor)} a day."), code="budget_too_low")
    try:
        await ctx.meta.create_campaign(account, name=spec.campaignName, objective=spec.objective, status="PAUSED",
                                       special_ad_categories=spec.specialAdCategories, validate_only=True)
        reach = [await ctx.meta.validate_targeting(account, s.targeting()) for s in spec.adSets]
    except GraphError as exc:
        raise ToolError(say(ctx, f"Площадка отклонила структуру: {exc.user_text or exc.message}",
                            f"The platform rejected the structure: {exc.user_text or exc.message}"),
                        code="platform_rejected") from exc
    categories = ", ".join(spec.specialAdCategories) or say(ctx, "нет", "none")
    lines = [say(ctx, f"Кампания «{spec.campaignName}»: цель {spec.objective}, особые категории: {categories}, "
                      "создаётся на паузе (PAUSED).",
                 f"Campaign “{spec.campaignName}”: objective {spec.objective}, special ad categories: {categories}, "
                 "created PAUSED.")]
    for s, r in zip(spec.adSets, reach, strict=True):
        gender = {(2,): say(ctx, "женщины", "women"), (1,): say(ctx, "мужчины", "men")}.get(
            tuple(s.genders), say(ctx, "все", "all"))
        reach_text = f"{r['users_lower_bound']:,}–{r['users_upper_bound']:,}"
        lines.append(say(ctx, f"• Адсет «{s.name}»: {', '.join(c.name for c in s.cities)}, {s.ageMin}-{s.ageMax}, "
                              f"{gender}; {_budget_text(ctx, s, money)}; охват {reach_text.replace(',', ' ')}",
                         f"• Ad set “{s.name}”: {', '.join(c.name for c in s.cities)}, {s.ageMin}-{s.ageMax}, "
                         f"{gender}; {_budget_text(ctx, s, money)}; reach {reach_text}"))
        lines.extend(say(ctx, f"    – объявление «{a.name}»", f"    – ad “{a.name}”") for a in s.ads)
    lines.append(say(ctx, "Проверка площадки (validate_only): пройдена.", "Platform check (validate_only): passed."))
    description = "\n".join(lines)
    total = sum(s.dailyBudgetCents or 0 for s in spec.adSets)
    lifetime = sum(s.lifetimeBudgetCents or 0 for s in spec.adSets)
    totals = " + ".join(filter(None, (say(ctx, f"{money(total)} в день", f"{money(total)} a day") if total else "",
                                      say(ctx, f"{money(lifetime)} на весь срок", f"{money(lifetime)} lifetime")
                                      if lifetime else "")))
    message = f"{intro}\n{description}\n" + say(
        ctx, f"Итого {totals}. Подтвердите план — создам всё на паузе; «запусти» включит кампанию.",
        f"Total {totals}. Approve the plan and I'll create it paused; “launch it” turns it on.")
    return {"structure": spec.model_dump(mode="json"), "reach": reach, "validation": "passed",
            "minimum_daily_budget_cents": floor, "message": message,
            "proposed_steps": [{"action": "createCampaignStructure", "params": spec.model_dump(mode="json"),
                                "description": description}]}


def _budget_text(ctx: ToolContext, s: AdSetSpec, money: Any) -> str:
    start = say(ctx, f" с {s.startTime[:10]}", f" from {s.startTime[:10]}") if s.startTime else ""
    if s.lifetimeBudgetCents is not None and s.endTime:
        return say(ctx, f"{money(s.lifetimeBudgetCents)} на весь срок{start} до {s.endTime[:10]}",
                   f"{money(s.lifetimeBudgetCents)} lifetime{start} until {s.endTime[:10]}")
    end = say(ctx, f" до {s.endTime[:10]}", f" until {s.endTime[:10]}") if s.endTime else ""
    peaks = "".join(say(ctx, f", {p.timeStart[:10]}–{p.timeEnd[:10]} +{money(p.extraCents)} в день",
                        f", {p.timeStart[:10]}–{p.timeEnd[:10]} +{money(p.extraCents)} a day") for p in s.budgetSchedules)
    return say(ctx, f"{money(s.dailyBudgetCents or 0)} в день{start}{end}{peaks}",
               f"{money(s.dailyBudgetCents or 0)} a day{start}{end}{peaks}")


def _account_time(ctx: ToolContext, day: dt.date | None, *, end: bool) -> str | None:
    """A date as Graph's start_time/end_time: the day's start or end in the account's time zone."""
    if day is None:
        return None
    at = dt.time(23, 59, 59) if end else dt.time(0, 0)
    return dt.datetime.combine(day, at, ZoneInfo(ctx.timezone or "UTC")).isoformat()


@tools.tool(kind=READ, timeout=60)
async def planCampaignStructure(args: PlanStructureArgs, ctx: ToolContext) -> dict[str, Any]:
    """Prepare a NEW campaign for a direction: campaign (objective from the direction, created paused),
    one ad set per city with age/gender targeting and an equal share of the daily budget, one ad per
    creative. Checks everything with the platform (targeting search, validate_only, reach) and proposes
    ONE plan the user approves; creates nothing itself. Asks when the direction, city, budget or
    creatives are missing. Money is in minor units."""
    ctx.require_account()
    missing = _missing(ctx, args)
    if missing:
        raise ToolError(say(ctx, f"Чтобы собрать кампанию, не хватает: {', '.join(missing)}.",
                            f"To build the campaign I still need: {', '.join(missing)}."), code="missing")
    assert args.direction is not None and (args.dailyBudgetCents or args.lifetimeBudgetCents)
    if args.highDemandPeriods and args.lifetimeBudgetCents:
        raise ToolError(say(ctx, "Пиковые дни (расписание бюджета) Meta даёт только при дневном бюджете.",
                            "Meta schedules high-demand budgets only for daily budgets."), code="schedule_needs_daily")
    peaks = sorted(args.highDemandPeriods, key=lambda p: p.start)
    if any(p.end < p.start or p.start < ctx.today for p in peaks) or \
            any(b.start <= a.end for a, b in zip(peaks, peaks[1:], strict=False)):
        raise ToolError(say(ctx, "Пиковые дни должны быть в будущем, не пересекаться, конец — не раньше начала.",
                            "High-demand periods must be in the future, not overlap, and end after they start."),
                        code="bad_dates")
    if args.endDate is not None and (args.endDate < ctx.today or (args.startDate and args.endDate < args.startDate)):
        raise ToolError(say(ctx, f"Дата окончания {args.endDate} уже прошла или раньше начала.",
                            f"The end date {args.endDate} is in the past or before the start."), code="bad_dates")
    age_min, age_max = args.ageMin or 18, args.ageMax or 65
    if age_min > age_max:
        age_min, age_max = age_max, age_min
    direction = await _direction(ctx, args.direction)
    creatives = await _creatives(ctx, args.creatives, direction.id)
    cities = [await _city(ctx, c) for c in dict.fromkeys(args.cities)]
    objective, goal = _OBJECTIVES.get(direction.objective, _DEFAULT_OBJECTIVE)
    daily = args.dailyBudgetCents // len(cities) if args.dailyBudgetCents and not args.lifetimeBudgetCents else None
    lifetime = args.lifetimeBudgetCents // len(cities) if args.lifetimeBudgetCents else None
    times = {"startTime": _account_time(ctx, args.startDate, end=False),
             "endTime": _account_time(ctx, args.endDate, end=True)}
    schedules = [BudgetSchedule(timeStart=_account_time(ctx, p.start, end=False) or "",
                                timeEnd=_account_time(ctx, p.end, end=True) or "",
                                extraCents=max(1, p.extraDailyBudgetCents // len(cities)))
                 for p in sorted(args.highDemandPeriods, key=lambda p: p.start)]
    naming, date = await _naming(ctx), str(ctx.today)
    place = ", ".join(c.name for c in cities)
    fill = {"direction": direction.name, "city": place, "age_min": age_min, "age_max": age_max, "gender": "",
            "date": date}
    ads = [AdSpec(name=naming["ad"].format(**{**fill, "creative": c.title}).strip()[:300], creativeId=c.fb_creative_id)
           for c in creatives]
    spec = CreateStructureArgs(
        campaignName=args.campaignName or naming["campaign"].format(**{**fill, "creative": ""}).strip()[:300],
        objective=objective, optimizationGoal=goal, specialAdCategories=[],
        adSets=[AdSetSpec(name=_adset_name(naming, c.name, age_min, age_max, args.gender, direction=direction.name,
                                           date=date)[:300], cities=[c], ageMin=age_min, ageMax=age_max, genders=_GENDER_CODES[args.gender], dailyBudgetCents=daily,
                          lifetimeBudgetCents=lifetime, budgetSchedules=schedules, ads=ads, **times)
                for c in cities])
    intro = say(ctx, f"Собрал структуру для направления «{direction.name}»:",
                f"I put together a structure for the “{direction.name}” direction:")
    return await _checked_plan(ctx, spec, intro)


def _renamed(name: str, old_cities: list[str], new_city: str) -> str:
    for old in old_cities:
        for form in (old, *_CITY_SHORT.get(old, ())):
            if form.casefold() in name.casefold():
                at = name.casefold().index(form.casefold())
                return name[:at] + new_city + name[at + len(form):]
    return f"{name} — {new_city}"


@tools.tool(kind=READ, timeout=60)
async def planCampaignCopy(args: PlanCopyArgs, ctx: ToolContext) -> dict[str, Any]:
    """Prepare a copy of an existing campaign for another city («скопируй Виниры СПб на Казань»): the same
    objective, ad sets (age, gender, budget) and creatives, with the geo replaced and names renamed.
    Checks it with the platform and proposes ONE plan; copies nothing itself. Money is in minor units."""
    account = ctx.require_account()
    wanted = args.campaign.casefold().strip()
    campaigns = await ctx.meta.list_campaigns(account)
    found = [c for c in campaigns if wanted in (c.id, c.name.casefold())] or \
        [c for c in campaigns if wanted in c.name.casefold()]
    if len(found) != 1:
        names = ", ".join(f"«{c.name}»" for c in (found or campaigns)[:8])
        raise ToolError(say(ctx, f"Уточните кампанию: {names}.", f"Which campaign? {names}."),
                        code="ambiguous" if found else "not_found")
    source = found[0]
    city = await _city(ctx, args.city)
    ad_sets = [s for s in await ctx.meta.list_ad_sets(campaign_id=source.id) if s.status != "ARCHIVED"]
    if not ad_sets:
        raise ToolError(say(ctx, f"В кампании «{source.name}» нет адсетов — копировать нечего.",
                            f"The campaign “{source.name}” has no ad sets to copy."), code="empty")
    specs, old_cities = [], []
    for s in ad_sets:
        ads = [a for a in await ctx.meta.list_ads(ad_set_id=s.id) if a.creative_id and a.status != "ARCHIVED"]
        targeting = s.targeting or Targeting()
        old = [str(c.get("name", "")) for c in targeting.cities if c.get("name")]
        old_cities.extend(old)
        if not ads:
            continue
        budget = s.daily_budget_cents or source.daily_budget_cents or 0
        specs.append(AdSetSpec(name=_renamed(s.name, old, city.name), cities=[city], ageMin=targeting.age_min or 18,
                               ageMax=targeting.age_max or 65, genders=list(targeting.genders),
                               dailyBudgetCents=max(1, budget),
                               ads=[AdSpec(name=a.name, creativeId=str(a.creative_id)) for a in ads]))
    if not specs:
        raise ToolError(say(ctx, f"В кампании «{source.name}» нет объявлений с креативами.",
                            f"The campaign “{source.name}” has no ads with creatives."), code="empty")
    if args.dailyBudgetCents:
        for s in specs:
            s.dailyBudgetCents = args.dailyBudgetCents // len(specs)
    objective = source.objective if source.objective and source.objective.startswith("OUTCOME_") \
        else _DEFAULT_OBJECTIVE[0]
    goal = next((s.optimization_goal for s in ad_sets if s.optimization_goal), _DEFAULT_OBJECTIVE[1])
    spec = CreateStructureArgs(campaignName=_renamed(source.name, old_cities, city.name), objective=objective,
                               optimizationGoal=goal, specialAdCategories=[], adSets=specs)
    intro = say(ctx, f"Копия кампании «{source.name}» на {city.name}:", f"A copy of “{source.name}” for {city.name}:")
    return await _checked_plan(ctx, spec, intro)


# ── the write ───────────────────────────────────────────────────────────────────────────────


@tools.tool(kind=WRITE, dangerous=True, timeout=120, plan_only=True)
async def createCampaignStructure(args: CreateStructureArgs, ctx: ToolContext) -> dict[str, Any]:
    """Create a campaign (PAUSED) with its ad sets and ads exactly as given. Proposed by
    planCampaignStructure / planCampaignCopy and always confirmed by the user; nothing spends until
    the campaign is resumed. Money is in minor units."""
    account = ctx.require_account()
    created: dict[str, Any] = {}

    async def read() -> dict[str, Any]:
        campaign_id = created.get("campaign_id")
        if campaign_id is None:
            return {"campaign_status": None, "ad_sets": 0, "ads": 0}
        campaign = await ctx.meta.get_campaign(campaign_id)
        ad_sets = await ctx.meta.list_ad_sets(campaign_id=campaign_id)
        ads = [a for s in ad_sets for a in await ctx.meta.list_ads(ad_set_id=s.id)]
        return {"campaign_status": campaign.status, "ad_sets": len(ad_sets), "ads": len(ads)}

    async def apply(validate_only: bool) -> dict[str, Any]:
        if validate_only:
            await ctx.meta.create_campaign(account, name=args.campaignName, objective=args.objective,
                                           special_ad_categories=args.specialAdCategories, validate_only=True)
            return {"validated": True}
        campaign = await ctx.meta.create_campaign(account, name=args.campaignName, objective=args.objective,
                                                  status="PAUSED", special_ad_categories=args.specialAdCategories)
        created["campaign_id"] = campaign.object_id
        out: dict[str, Any] = {"campaign_id": campaign.object_id, "ad_sets": []}
        try:
            for s in args.adSets:
                ad_set = await ctx.meta.create_ad_set(
                    account, campaign_id=campaign.object_id, name=s.name, targeting=s.targeting(),
                    daily_budget_cents=s.dailyBudgetCents, lifetime_budget_cents=s.lifetimeBudgetCents,
                    start_time=s.startTime, end_time=s.endTime, optimization_goal=args.optimizationGoal,
                    budget_schedules=[b.to_graph() for b in s.budgetSchedules],
                    status="ACTIVE")
                ads = [(await ctx.meta.create_ad(account, ad_set_id=ad_set.object_id, creative_id=a.creativeId,
                                                 name=a.name, status="ACTIVE")).object_id for a in s.ads]
                out["ad_sets"].append({"id": ad_set.object_id, "name": s.name, "ads": ads})
        except BaseException:
            # Half a structure is worse than none: what was created goes, the error is reported.
            await ctx.meta.client.delete(campaign.object_id)
            raise
        return out

    expected = {"campaign_status": "PAUSED", "ad_sets": len(args.adSets), "ads": sum(len(s.ads) for s in args.adSets)}
    outcome = await ctx.writes.run(
        GuardedWrite(tool="createCampaignStructure", args=args.model_dump(mode="json"),
                     account_id=ctx.platform_account_id or str(ctx.ad_account_id), expected=expected, read=read,
                     apply=apply, target=WriteTarget("campaign_structure", None, args.campaignName)),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    result = outcome.get("result") or {}
    campaign_id = result.get("campaign_id") if isinstance(result, dict) else None
    message = say(ctx, f"Создал кампанию «{args.campaignName}» на паузе: {expected['ad_sets']} адсет(а), "
                       f"{expected['ads']} объявлений. Чтобы запустить, напишите «запусти кампанию "
                       f"{args.campaignName}».",
                  f"Created the campaign “{args.campaignName}” paused: {expected['ad_sets']} ad set(s), "
                  f"{expected['ads']} ads. To launch it, say “resume campaign {args.campaignName}”.")
    return {**outcome, "action": "createCampaignStructure", "campaign_id": campaign_id,
            "target": {"id": campaign_id, "name": args.campaignName}, "message": message}


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def archiveCampaign(args: CampaignIdArgs, ctx: ToolContext) -> dict[str, Any]:
    """Archive a campaign (it stops for good and leaves the lists). Used to undo a created structure;
    always confirmed by the user."""
    ctx.require_account()
    campaign = await ctx.meta.get_campaign(args.campaignId)

    async def read() -> dict[str, Any]:
        return {"status": (await ctx.meta.get_campaign(campaign.id)).status}

    async def apply(validate_only: bool) -> Any:
        return await ctx.meta.archive(campaign.id, validate_only=validate_only)

    outcome = await ctx.writes.run(
        GuardedWrite(tool="archiveCampaign", args={"campaignId": campaign.id, "from": campaign.status},
                     account_id=ctx.platform_account_id or str(ctx.ad_account_id), expected={"status": "ARCHIVED"},
                     read=read, apply=apply, target=WriteTarget("campaign", campaign.id, campaign.name),
                     reversible=False),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    return {**outcome, "action": "archiveCampaign", "target": {"id": campaign.id, "name": campaign.name}}


# ── «Запусти A/B тест креативов X, Y, Z на Виниры, $60 в день» (issue 18) ──────────────────


class PlanABTestArgs(BaseModel):
    direction: str = Field(min_length=1, max_length=200, description="The direction whose audience the test uses")
    creatives: list[str] = Field(min_length=2, max_length=5, description="2–5 creative titles, one ad set each")
    dailyBudgetCents: int = Field(gt=0, description="The test's total daily budget, split equally (minor units)")


@tools.tool(kind=READ, timeout=60)
async def planCreativeABTest(args: PlanABTestArgs, ctx: ToolContext) -> dict[str, Any]:
    """Prepare an A/B test of 2–5 creatives: a new paused campaign with one ad set per creative, each with
    the direction's current targeting and an equal share of the daily budget, so the creatives do not
    compete inside one ad set. Checked by the platform; proposes ONE plan. Money in minor units."""
    ctx.require_account()
    direction = await _direction(ctx, args.direction)
    creatives = await _creatives(ctx, args.creatives, direction.id)
    if len({c.id for c in creatives}) != len(creatives):
        raise ToolError(say(ctx, "В тесте каждый креатив должен быть один раз.", "Each creative may appear once."),
                        code="duplicate")
    async with ctx.engine.connect() as conn:
        adset_id = (await conn.execute(select(Direction.fb_adset_id).where(Direction.id == direction.id))).scalar()
    targeting = (await ctx.meta.get_ad_set(adset_id)).targeting if adset_id else None
    if targeting is None or not targeting.cities:
        raise ToolError(say(ctx, f"У направления «{direction.name}» нет адсета с городом: укажите город для теста.",
                            f"The “{direction.name}” direction has no ad set with a city: name the test's city."),
                        code="no_audience")
    cities = [CityRef(key=str(c.get("key")), name=str(c.get("name") or c.get("key"))) for c in targeting.cities]
    objective, goal = _OBJECTIVES.get(direction.objective, _DEFAULT_OBJECTIVE)
    share = args.dailyBudgetCents // len(creatives)
    age_min, age_max = targeting.age_min or 18, targeting.age_max or 65
    spec = CreateStructureArgs(
        campaignName=(f"A/B: {direction.name} — " + " vs ".join(c.title for c in creatives))[:300],
        objective=objective, optimizationGoal=goal, specialAdCategories=[],
        adSets=[AdSetSpec(name=f"A/B {n}: {c.title}", cities=cities, ageMin=age_min, ageMax=age_max,
                          genders=list(targeting.genders), dailyBudgetCents=share,
                          ads=[AdSpec(name=c.title, creativeId=c.fb_creative_id)])
                for n, c in enumerate(creatives, 1)])
    intro = say(ctx, f"A/B тест {len(creatives)} креативов направления «{direction.name}», по адсету на креатив, "
                     "бюджет поровну:",
                f"An A/B test of {len(creatives)} creatives of “{direction.name}”, one ad set each, budget split "
                "equally:")
    return await _checked_plan(ctx, spec, intro)

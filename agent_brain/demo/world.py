"""A deterministic sample business: a dental clinic's Meta ads, creatives, CRM and WhatsApp dialogs.

`build_world(today)` is pure: no database, no clock, no global random state. Every random draw
comes from a `random.Random` keyed by the thing it describes (an ad and a date, a lead, a phone),
so the same `today` always gives the same world, and moving `today` shifts the story (launches,
pauses and tests are relative to it) without reshuffling every number. The database seed (`agent_brain.demo.seed`) and the Graph API sandbox both read this
one object, so what the ad platform reports and what the business tables hold tell one story.

Shape for the Graph emulator: `DemoWorld.account` → `campaigns` → `Campaign.ad_sets` →
`AdSet.ads` → `Ad.daily` (one `AdDayStats` per delivering day, in the account's time zone).
`AdDayStats.lead_actions` is the insights `actions` split of that day's leads.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

SEED = 20240611
HISTORY_DAYS = 60
# Europe/Moscow has been UTC+3 all year since 2014: a fixed offset needs no tzdata.
DEMO_TIMEZONE = "Europe/Moscow"  # the demo account's calendar (UTC+3 all year)
MSK = timezone(timedelta(hours=3), "MSK")
CURRENCY = "USD"

ACTION_MESSAGING = "onsite_conversion.total_messaging_connection"
ACTION_PIXEL_LEAD = "offsite_conversion.fb_pixel_lead"


def platform_id(kind: str, key: str, *, digits: int = 18) -> str:
    """A stable numeric Graph-style id ("1202…", like current Meta object ids) for an entity key."""
    n = int.from_bytes(hashlib.sha256(f"{SEED}/{kind}/{key}".encode()).digest()[:8], "big")
    body = digits - 4
    return "1202" + str(n % 10**body).zfill(body)


CUSTOM_CONVERSION_ID = platform_id("custom_conversion", "booking", digits=16)
ACTION_CUSTOM_LEAD = f"offsite_conversion.custom.{CUSTOM_CONVERSION_ID}"
LEAD_ACTION_TYPES = (ACTION_MESSAGING, ACTION_PIXEL_LEAD, ACTION_CUSTOM_LEAD)


# ── public shape ────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DemoUser:
    name: str
    language: str


@dataclass(frozen=True)
class DemoAccount:
    external_id: str  # "act_…"
    name: str
    currency: str
    timezone: str
    business_name: str
    page_id: str
    pixel_id: str
    custom_conversion_id: str
    custom_conversion_name: str
    whatsapp_phone: str


@dataclass(frozen=True)
class Targeting:
    country: str
    city: str
    city_key: str
    radius_km: int
    age_min: int
    age_max: int
    genders: tuple[int, ...]  # Graph codes: 1 male, 2 female; empty = all

    def to_graph(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "geo_locations": {
                "countries": [self.country],
                "cities": [
                    {"key": self.city_key, "name": self.city, "radius": self.radius_km, "distance_unit": "kilometer"}
                ],
            },
            "age_min": self.age_min,
            "age_max": self.age_max,
        }
        if self.genders:
            spec["genders"] = list(self.genders)
        return spec


@dataclass(frozen=True)
class AdDayStats:
    """One ad's delivery on one day; leads = messaging_leads + pixel_leads + custom_leads."""

    date: date
    impressions: int
    reach: int
    clicks: int
    link_clicks: int
    spend_cents: int
    leads: int
    messaging_leads: int
    pixel_leads: int
    custom_leads: int
    video_views: int  # 3-second plays; 0 for images
    video_p25: int
    video_p50: int
    video_p75: int
    video_p95: int

    @property
    def lead_actions(self) -> tuple[tuple[str, int], ...]:
        """The insights `actions` entries that make up `leads` (non-zero ones only)."""
        pairs = zip(LEAD_ACTION_TYPES, (self.messaging_leads, self.pixel_leads, self.custom_leads), strict=True)
        return tuple((kind, n) for kind, n in pairs if n)

    @property
    def actions(self) -> tuple[tuple[str, int], ...]:
        """All insights `actions` of the day: link clicks, video views and the lead split."""
        extra = [("link_click", self.link_clicks)]
        if self.video_views:
            extra.append(("video_view", self.video_views))
        return tuple(extra) + self.lead_actions


@dataclass(frozen=True)
class Ad:
    id: str
    name: str
    status: str  # ACTIVE | PAUSED (own status; the parent's status still applies)
    campaign_id: str
    adset_id: str
    creative_title: str
    fb_creative_id: str
    direction: str | None  # direction name the ad's leads count towards
    created_time: datetime
    daily: tuple[AdDayStats, ...]  # contiguous delivering days, oldest first


@dataclass(frozen=True)
class AdSet:
    id: str
    name: str
    status: str
    campaign_id: str
    daily_budget_cents: int
    targeting: Targeting
    optimization_goal: str
    billing_event: str
    destination_type: str  # WHATSAPP | WEBSITE
    created_time: datetime
    ads: tuple[Ad, ...]


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    status: str
    objective: str
    daily_budget_cents: int  # sum of its ad sets' budgets
    buying_type: str
    bid_strategy: str
    created_time: datetime
    direction: str | None  # None for the creative-test campaign
    utm_campaign: str
    ad_sets: tuple[AdSet, ...]


@dataclass(frozen=True)
class Direction:
    name: str
    tag: str
    objective: str  # whatsapp | site_leads
    is_active: bool
    campaign_status: str
    daily_budget_cents: int
    target_cpl_cents: int
    fb_campaign_id: str
    fb_adset_id: str  # the direction's main ad set
    created_at: datetime


@dataclass(frozen=True)
class CreativeAnalysis:
    score: int
    verdict: str  # excellent | good | average | poor
    summary: str
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    recommendations: tuple[str, ...]
    model: str
    created_at: datetime


@dataclass(frozen=True)
class RiskScore:
    risk_score: int
    llm_score: int
    risk_level: str  # low | medium | high
    factors: tuple[str, ...]
    scored_at: datetime


@dataclass(frozen=True)
class Creative:
    title: str
    direction: str
    media_type: str  # video | image | carousel
    status: str  # active | paused | draft
    fb_creative_id: str
    video_id: str | None
    duration_seconds: int | None
    transcript: str | None
    headline: str
    body: str
    created_at: datetime
    analyses: tuple[CreativeAnalysis, ...]  # oldest first
    risk: RiskScore


@dataclass(frozen=True)
class TestResults:
    impressions: int
    clicks: int
    link_clicks: int
    spend_cents: int
    leads: int
    cpl_cents: int | None
    ctr_percent: float
    verdict: str  # winner | loser | collecting | stopped
    conclusion: str

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class CreativeTest:
    key: str  # "<creative title>#<n>": stable whatever `today` is
    creative_title: str
    direction: str
    status: str  # running | completed | stopped
    budget_cents: int
    fb_campaign_id: str
    fb_adset_id: str
    fb_ad_id: str
    started_at: datetime
    ended_at: datetime | None
    results: TestResults


@dataclass(frozen=True)
class FunnelStage:
    name: str
    position: int
    is_won: bool = False
    is_lost: bool = False


@dataclass(frozen=True)
class StageChange:
    from_stage: str | None
    to_stage: str
    at: datetime


@dataclass(frozen=True)
class Lead:
    key: str  # stable identity: "<fb_ad_id>:<date>:<n>" or "organic:<date>:<n>"
    name: str
    gender: str  # m | f
    phone: str
    email: str | None
    stage: str
    temperature: str
    score: int
    source: str
    lead_type: str  # messaging | pixel | custom | organic
    direction: str
    creative_title: str | None
    fb_ad_id: str | None
    fb_adset_id: str | None
    fb_campaign_id: str | None
    utm: tuple[tuple[str, str], ...]
    notes: str | None
    created_at: datetime
    history: tuple[StageChange, ...]  # first entry: None → "Новый" at created_at

    @property
    def updated_at(self) -> datetime:
        return self.history[-1].at


@dataclass(frozen=True)
class Purchase:
    key: str
    lead_key: str
    amount_cents: int
    currency: str
    product: str
    purchased_at: datetime


@dataclass(frozen=True)
class DialogMessage:
    direction: str  # in | out
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class Dialog:
    phone: str
    contact_name: str
    lead_key: str | None
    status: str  # open | closed | archived
    language: str  # language of the conversation and its summary
    messages: tuple[DialogMessage, ...]
    summary: str
    tags: tuple[str, ...]
    interest_level: str
    objections: tuple[str, ...]
    interests: tuple[str, ...]
    next_action: str
    score: int
    scenario: str

    @property
    def last_message_at(self) -> datetime:
        return self.messages[-1].sent_at


@dataclass(frozen=True)
class AgentNote:
    domain: str
    dedup_key: str
    text: str
    importance: float


@dataclass(frozen=True)
class DemoWorld:
    today: date
    seed: int
    user: DemoUser
    account: DemoAccount
    directions: tuple[Direction, ...]
    campaigns: tuple[Campaign, ...]
    creatives: tuple[Creative, ...]
    creative_tests: tuple[CreativeTest, ...]
    funnel_stages: tuple[FunnelStage, ...]
    leads: tuple[Lead, ...]
    purchases: tuple[Purchase, ...]
    dialogs: tuple[Dialog, ...]
    notes: tuple[AgentNote, ...]
    kpi_target_cpl_cents: int
    kpi_max_cpl_cents: int
    kpi_target_roi_percent: int

    @property
    def metrics_start(self) -> date:
        return self.today - timedelta(days=HISTORY_DAYS)

    @property
    def metrics_end(self) -> date:
        return self.today - timedelta(days=1)

    def ads(self) -> Iterator[tuple[Campaign, AdSet, Ad]]:
        for campaign in self.campaigns:
            for ad_set in campaign.ad_sets:
                for ad in ad_set.ads:
                    yield campaign, ad_set, ad

    @cached_property
    def _by_name(self) -> dict[tuple[str, str], Any]:
        index: dict[tuple[str, str], Any] = {}
        for d in self.directions:
            index["direction", d.name] = d
        for c in self.creatives:
            index["creative", c.title] = c
        for campaign, ad_set, ad in self.ads():
            index["campaign", campaign.name] = campaign
            index["adset", ad_set.name] = ad_set
            index["ad", ad.id] = ad
        for lead in self.leads:
            index["lead", lead.key] = lead
        return index

    def direction(self, name: str) -> Direction:
        return self._by_name["direction", name]

    def creative(self, title: str) -> Creative:
        return self._by_name["creative", title]

    def campaign(self, name: str) -> Campaign:
        return self._by_name["campaign", name]

    def ad_set(self, name: str) -> AdSet:
        return self._by_name["adset", name]

    def ad(self, ad_id: str) -> Ad:
        return self._by_name["ad", ad_id]

    def lead(self, key: str) -> Lead:
        return self._by_name["lead", key]

    def business_spec(self) -> dict[str, dict[str, Any]]:
        """Tracking / CRM / KPI specs (procedural memory) as the `business_specs` JSON columns."""
        active_budget = sum(d.daily_budget_cents for d in self.directions if d.is_active)
        return {
            "tracking": {
                "lead_actions": list(LEAD_ACTION_TYPES),
                "pixel_id": self.account.pixel_id,
                "custom_conversion_id": self.account.custom_conversion_id,
                "whatsapp_phone": self.account.whatsapp_phone,
                "attribution": "utm_content = id объявления Meta",
            },
            "crm": {
                "funnel": [s.name for s in self.funnel_stages],
                "won_stage": next(s.name for s in self.funnel_stages if s.is_won),
                "lost_stage": next(s.name for s in self.funnel_stages if s.is_lost),
            },
            "kpi": {
                "currency": self.account.currency,
                "target_cpl_cents": self.kpi_target_cpl_cents,
                "max_cpl_cents": self.kpi_max_cpl_cents,
                "target_roi_percent": self.kpi_target_roi_percent,
                "monthly_budget_cents": active_budget * 30,
                "target_cpl_by_direction": {d.name: d.target_cpl_cents for d in self.directions},
            },
        }


def fingerprint(world: DemoWorld) -> str:
    """SHA-256 of the whole world's repr: equal iff the generated worlds are identical."""
    return hashlib.sha256(repr(world).encode()).hexdigest()


# ── data tables ─────────────────────────────────────────────────────────────────────────────


class _DirectionSeed(NamedTuple):
    key: str
    name: str
    tag: str
    objective: str
    target_cpl: int  # $
    base_cpl: float  # $ for an average creative
    cpm: float  # $
    ctr: float
    created_days_ago: int
    paused_days_ago: int | None
    treatment_days: tuple[int, int]  # Лечение → Оплачено
    female_share: float
    # Russian forms for texts: accusative ("про …"), instrumental ("интересовался …"),
    # genitive ("цена …"), dative ("по …"); English name.
    acc: str
    instr: str
    gen: str
    dat: str
    en: str
    price: str
    en_price: str
    products: tuple[tuple[str, int, int], ...]  # (product, min $, max $)


_DIRECTIONS = (
    _DirectionSeed(
        "implant", "Имплантация", "имплантация", "whatsapp", 30, 25.0, 9.0, 0.014, 240, None, (7, 30), 0.55,
        "имплантацию", "имплантацией", "имплантации", "имплантации", "dental implants",
        "Имплант под ключ — от $790, с коронкой от $1150. КТ и консультация бесплатно.",
        "An implant with a crown starts at $1,150, and the consultation with a CT scan is free.",
        (("Имплант Osstem под ключ", 800, 1300), ("Имплант Straumann под ключ", 1600, 2500),
         ("Имплант Nobel с коронкой", 1900, 2500)),
    ),
    _DirectionSeed(
        "veneers", "Виниры", "виниры", "whatsapp", 25, 22.0, 8.0, 0.016, 200, None, (5, 20), 0.78,
        "виниры", "винирами", "виниров", "винирам", "veneers",
        "Керамический винир E.max — от $290 за зуб, композитный — от $150. Моделирование улыбки бесплатно.",
        "A ceramic E.max veneer is from $290 per tooth, a composite one from $150.",
        (("Виниры E.max (4 шт.)", 1200, 1800), ("Композитные виниры (6 шт.)", 900, 1400),
         ("Виниры E.max (8 шт.)", 2400, 3600)),
    ),
    _DirectionSeed(
        "whitening", "Отбеливание", "отбеливание", "site_leads", 16, 13.5, 6.5, 0.017, 180, None, (0, 2), 0.74,
        "отбеливание", "отбеливанием", "отбеливания", "отбеливанию", "teeth whitening",
        "Отбеливание ZOOM 4 — $290, домашнее отбеливание капами — $160.",
        "ZOOM 4 whitening is $290, and home whitening with trays is $160.",
        (("Отбеливание ZOOM 4", 250, 400), ("Домашнее отбеливание (капы)", 150, 250)),
    ),
    _DirectionSeed(
        "braces", "Брекеты", "брекеты", "whatsapp", 22, 19.0, 7.0, 0.015, 150, None, (3, 14), 0.6,
        "брекеты", "брекетами", "брекетов", "брекетам", "braces",
        "Брекет-система Damon — от $2200, элайнеры — от $2800. Рассрочка 0% на 12 месяцев.",
        "Damon braces start at $2,200 and clear aligners at $2,800, with 0% installments.",
        (("Брекет-система Damon", 2200, 3500), ("Элайнеры Star Smile", 2800, 4500),
         ("Керамические брекеты", 1800, 2800)),
    ),
    _DirectionSeed(
        "caries", "Лечение кариеса", "кариес", "site_leads", 12, 11.0, 5.5, 0.013, 300, 12, (0, 3), 0.58,
        "лечение кариеса", "лечением кариеса", "лечения кариеса", "лечению кариеса", "cavity treatment",
        "Лечение кариеса со светоотверждаемой пломбой — от $70, под микроскопом — от $120.",
        "Cavity treatment with a filling is from $70, under a microscope from $120.",
        (("Лечение кариеса (пломба)", 60, 150), ("Лечение кариеса под микроскопом", 120, 250),
         ("Профгигиена и лечение кариеса", 90, 200)),
    ),
)
_DIRECTION_BY_KEY = {d.key: d for d in _DIRECTIONS}

_CITIES = {  # name → (country, radius km, street address, address in English)
    "Москва": ("RU", 25, "Тверская ул., 12, 3 минуты от метро «Пушкинская»", "12 Tverskaya St., Moscow"),
    "Санкт-Петербург": ("RU", 20, "Невский пр., 28, у метро «Невский проспект»", "28 Nevsky Ave., Saint Petersburg"),
}


class _AdSetSeed(NamedTuple):
    name: str
    budget: int  # $ per day
    age_min: int
    age_max: int
    genders: tuple[int, ...]
    city: str


class _CampaignSeed(NamedTuple):
    name: str
    direction: str
    utm: str
    ad_sets: tuple[_AdSetSeed, ...]


_CAMPAIGNS = (
    _CampaignSeed("Имплантация Москва", "implant", "implant_msk", (
        _AdSetSeed("Москва 25-45", 50, 25, 45, (), "Москва"),
        _AdSetSeed("Москва 45-65", 40, 45, 65, (), "Москва"),
    )),
    _CampaignSeed("Виниры СПб", "veneers", "veneers_spb", (
        _AdSetSeed("СПб 22-40 женщины", 45, 22, 40, (2,), "Санкт-Петербург"),
    )),
    _CampaignSeed("Отбеливание Москва", "whitening", "whitening_msk", (
        _AdSetSeed("Москва 18-35", 35, 18, 35, (), "Москва"),
    )),
    _CampaignSeed("Брекеты Москва", "braces", "braces_msk", (
        _AdSetSeed("Москва 25-50 родители", 35, 25, 50, (), "Москва"),
    )),
    _CampaignSeed("Лечение кариеса Москва", "caries", "caries_msk", (
        _AdSetSeed("Москва 18-60", 30, 18, 60, (), "Москва"),
    )),
)
TEST_CAMPAIGN_NAME = "Тесты креативов"
_TEST_BUDGET_PER_DAY = 5  # $; a test spends ~$20 over four days


class _CreativeSeed(NamedTuple):
    title: str
    direction: str
    media: str
    duration: int | None  # seconds, videos only
    cpl_mult: float  # CPL relative to the direction's average creative: < 1 is better
    hook: float  # video retention relative to average
    trend: float  # CPL growth over the last three weeks (ad fatigue)
    launched_days_ago: int
    paused_days_ago: int | None
    ad_sets: tuple[str, ...]  # empty: a draft that is not running anywhere


_CREATIVES = (
    _CreativeSeed("Имплантация за 1 день", "implant", "video", 32, 0.7, 1.25, 0.0, 150, None,
                  ("Москва 25-45", "Москва 45-65")),
    _CreativeSeed("Имплант под ключ от $790", "implant", "image", None, 0.95, 1.0, 0.0, 120, None, ("Москва 25-45",)),
    _CreativeSeed("Врач-имплантолог отвечает на вопросы", "implant", "video", 58, 1.05, 0.85, 0.0, 110, None,
                  ("Москва 45-65",)),
    _CreativeSeed("Все зубы за 1 день: All-on-4", "implant", "video", 45, 1.0, 1.0, 0.1, 95, None, ("Москва 45-65",)),
    _CreativeSeed("Скидка 20% на имплант", "implant", "image", None, 2.0, 1.0, 0.4, 90, 7, ("Москва 25-45",)),
    _CreativeSeed("Рассрочка 0% на имплантацию", "implant", "image", None, 1.0, 1.0, 0.0, 2, None, ()),
    _CreativeSeed("Белоснежная улыбка", "veneers", "video", 27, 0.9, 1.2, 0.0, 140, None, ("СПб 22-40 женщины",)),
    _CreativeSeed("Улыбка за 2 визита", "veneers", "video", 35, 0.95, 1.05, 0.0, 100, None, ("СПб 22-40 женщины",)),
    _CreativeSeed("Виниры: до и после", "veneers", "carousel", None, 1.05, 1.0, 0.0, 85, None, ("СПб 22-40 женщины",)),
    _CreativeSeed("Керамические виниры E.max", "veneers", "image", None, 1.15, 1.0, 0.5, 130, None,
                  ("СПб 22-40 женщины",)),
    _CreativeSeed("Голливудская улыбка в СПб", "veneers", "video", 40, 1.0, 1.1, 0.0, 10, None, ("СПб 22-40 женщины",)),
    _CreativeSeed("Отбеливание ZOOM за 1 час", "whitening", "video", 22, 0.85, 1.15, 0.0, 160, None,
                  ("Москва 18-35",)),
    _CreativeSeed("Белые зубы к лету", "whitening", "image", None, 1.1, 1.0, 0.0, 70, None, ("Москва 18-35",)),
    _CreativeSeed("Отбеливание: отзыв пациентки", "whitening", "video", 48, 0.95, 0.95, 0.0, 90, None,
                  ("Москва 18-35",)),
    _CreativeSeed("Минус 8 тонов", "whitening", "image", None, 1.25, 1.0, 0.15, 120, None, ("Москва 18-35",)),
    _CreativeSeed("Брекеты без боли", "braces", "video", 38, 0.95, 1.0, 0.0, 130, None, ("Москва 25-50 родители",)),
    _CreativeSeed("Элайнеры вместо брекетов", "braces", "video", 30, 0.85, 1.1, 0.0, 14, None,
                  ("Москва 25-50 родители",)),
    _CreativeSeed("Ровные зубы в рассрочку", "braces", "image", None, 1.0, 1.0, 0.0, 100, None,
                  ("Москва 25-50 родители",)),
    _CreativeSeed("Брекеты для подростков", "braces", "image", None, 1.7, 1.0, 0.2, 80, None,
                  ("Москва 25-50 родители",)),
    _CreativeSeed("Лечение кариеса без боли", "caries", "video", 25, 0.9, 1.05, 0.0, 200, None, ("Москва 18-60",)),
    _CreativeSeed("Чек-ап зубов за $29", "caries", "image", None, 0.9, 1.0, 0.0, 180, None, ("Москва 18-60",)),
    _CreativeSeed("Детский стоматолог", "caries", "image", None, 1.2, 1.0, 0.0, 150, None, ("Москва 18-60",)),
    _CreativeSeed("Лечение под микроскопом", "caries", "video", 44, 1.05, 0.9, 0.0, 120, None, ("Москва 18-60",)),
)

_TRANSCRIPTS = {
    "Имплантация за 1 день": (
        "Потеряли зуб и откладываете имплантацию? В клинике «Улыбка» ставим имплант и временную коронку "
        "за один визит. Без боли, под местной анестезией. Компьютерная томография и консультация бесплатно. "
        "Напишите нам в WhatsApp — подберём удобное время."
    ),
    "Врач-имплантолог отвечает на вопросы": (
        "Здравствуйте, я Андрей Викторович, хирург-имплантолог. Меня часто спрашивают: больно ли ставить "
        "имплант, сколько он служит и можно ли без костной пластики. Отвечаю по порядку. Процедура идёт под "
        "анестезией, имплант служит десятки лет, а нужна ли пластика — покажет КТ. Запишитесь на консультацию."
    ),
    "Все зубы за 1 день: All-on-4": (
        "Съёмный протез натирает и выпадает? Технология All-on-4: четыре импланта и несъёмный мост за один "
        "день. Уже вечером вы улыбаетесь и едите нормальную еду. Рассрочка 0% на 12 месяцев."
    ),
    "Белоснежная улыбка": (
        "Мечтаете о белоснежной улыбке? Керамические виниры E.max — тонкие, прочные и естественные. "
        "Сначала моделируем улыбку на компьютере, вы видите результат заранее. Пишите в WhatsApp."
    ),
    "Улыбка за 2 визита": (
        "Всего два визита — и у вас новая улыбка. Первый визит: консультация и слепки. Второй: фиксация "
        "виниров. Без долгого лечения и без боли. Запишитесь на бесплатное моделирование."
    ),
    "Голливудская улыбка в СПб": (
        "Голливудская улыбка теперь и в Петербурге. Наши пациенты рассказывают, как виниры изменили их "
        "жизнь. Посмотрите результаты до и после и запишитесь на консультацию на Невском."
    ),
    "Отбеливание ZOOM за 1 час": (
        "Зубы на восемь тонов белее за один час. Отбеливание ZOOM 4 безопасно для эмали. "
        "Приходите в обеденный перерыв — вернётесь на работу с новой улыбкой."
    ),
    "Отбеливание: отзыв пациентки": (
        "Меня зовут Катя, я много лет пила кофе и стеснялась улыбаться. В «Улыбке» сделала отбеливание "
        "ZOOM — процедура заняла час, было совсем не больно. Теперь улыбаюсь на всех фото. Рекомендую!"
    ),
    "Брекеты без боли": (
        "Боитесь, что брекеты — это больно и надолго? Самолигирующие брекеты Damon мягко двигают зубы, "
        "а визиты к ортодонту нужны раз в два месяца. Первичная консультация бесплатно."
    ),
    "Элайнеры вместо брекетов": (
        "Хотите ровные зубы, но не готовы к брекетам? Прозрачные элайнеры почти незаметны, их можно снять "
        "во время еды. Покажем 3D-план лечения ещё до начала. Рассрочка 0%."
    ),
    "Лечение кариеса без боли": (
        "Зуб реагирует на холодное? Это может быть кариес. Лечим без боли с современной анестезией, "
        "ставим пломбу за один визит. Осмотр и снимок — бесплатно."
    ),
    "Лечение под микроскопом": (
        "Под микроскопом врач видит в двадцать раз больше, чем невооружённым глазом. Поэтому мы сохраняем "
        "здоровые ткани зуба и лечим кариес аккуратно. Запишитесь на осмотр."
    ),
}


class _TestSeed(NamedTuple):
    creative: str
    status: str
    started_days_ago: int
    days: int  # planned length


_TESTS = (
    _TestSeed("Имплантация за 1 день", "completed", 52, 4),
    _TestSeed("Отбеливание: отзыв пациентки", "completed", 38, 4),
    _TestSeed("Брекеты для подростков", "completed", 30, 4),
    _TestSeed("Скидка 20% на имплант", "stopped", 20, 4),
    _TestSeed("Голливудская улыбка в СПб", "running", 3, 4),
    _TestSeed("Элайнеры вместо брекетов", "running", 2, 4),
)

FUNNEL = (
    FunnelStage("Новый", 1),
    FunnelStage("Консультация", 2),
    FunnelStage("Записана", 3),
    FunnelStage("Пришла на приём", 4),
    FunnelStage("Лечение", 5),
    FunnelStage("Оплачено", 6, is_won=True),
    FunnelStage("Отказ", 7, is_lost=True),
)
_MAIN_PATH = tuple(s.name for s in FUNNEL if not s.is_lost)
_LOST = "Отказ"
# Probability of moving to the next stage of _MAIN_PATH, and the wait before that (hours).
_STEP_P = (0.76, 0.62, 0.8, 0.7, 0.85)
_STEP_HOURS = ((0.2, 30), (4, 72), (24, 168), (1, 72))

_MALE_NAMES = (
    "Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил",
    "Никита", "Егор", "Роман", "Владимир", "Олег", "Павел", "Денис", "Евгений", "Игорь", "Константин",
)
_FEMALE_NAMES = (
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Екатерина", "Татьяна", "Ирина", "Светлана", "Юлия",
    "Анастасия", "Дарья", "Ксения", "Алина", "Виктория", "Полина", "Марина", "Людмила", "Валерия", "Софья",
)
# Male forms; the female form adds "а". Иванов/Петров/Сидоров are kept for the named leads.
_SURNAMES = (
    "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров", "Морозов",
    "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
    "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Белов", "Ковалёв",
    "Ильин", "Гусев", "Титов",
)


class _PinnedLead(NamedTuple):
    name: str
    gender: str
    phone: str | None
    stage: str
    score: int
    scenario: str  # WhatsApp dialog scenario
    ending: str
    summary_variant: int | None = None


# The people of the product spec's examples (seed 002): all from «Имплантация Москва».
_PINNED = (
    # Her summary is the spec's price complaint («жаловалась на цену»), the search example.
    _PinnedLead("Мария Сидорова", "f", "+79991234567", "Записана", 78, "price", "booked", summary_variant=0),
    _PinnedLead("Анна Иванова", "f", "+77001234567", "Пришла на приём", 82, "booked", "booked"),
    _PinnedLead("Иван Петров", "m", None, "Консультация", 85, "installment", "booked"),
    _PinnedLead("Пётр Сидоров", "m", None, "Консультация", 54, "price", "thinking"),
)

_LEAD_NOTES = (
    "Перезвонить после 18:00", "Интересует рассрочка", "Просит скидку для семьи", "Удобно только в субботу",
    "Есть снимки из другой клиники", "Спрашивал(а) про гарантию",
)
_LOSS_REASONS = (
    "Отказ: дорого", "Отказ: выбрал(а) другую клинику", "Отказ: не дозвонились", "Отказ: далеко ехать",
    "Отказ: решил(а) отложить лечение",
)

_ANALYSIS_POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "strengths": {
        "video": ("Сильный хук в первые 3 секунды", "Врач в кадре вызывает доверие", "Субтитры: ролик понятен без звука",
                  "Показан результат «до и после»", "Динамичный монтаж удерживает внимание"),
        "image": ("Цена крупно в заголовке", "Контрастный визуал выделяется в ленте", "Фото реального пациента",
                  "Короткий и понятный оффер"),
        "carousel": ("Серия «до и после» в нескольких карточках", "Каждая карточка отвечает на отдельный вопрос"),
        "any": ("Чёткий призыв написать в WhatsApp", "Понятное УТП для своей аудитории"),
    },
    "weaknesses": {
        "video": ("Оффер появляется только после 5-й секунды", "Досмотры падают после середины ролика",
                  "Нет субтитров", "Слабый финальный призыв к действию"),
        "image": ("Перегруженный текст на изображении", "Стоковое фото снижает доверие",
                  "Агрессивная скидка привлекает нецелевую аудиторию"),
        "carousel": ("Первая карточка не цепляет", "До карточки с ценой доходят немногие"),
        "any": ("Оффер не отличается от конкурентов", "Нет упоминания рассрочки", "Мало конкретики о результате"),
    },
    "recommendations": {
        "video": ("Вынести оффер в первые 2 секунды", "Сократить ролик до 20–30 секунд",
                  "Добавить субтитры и плашку с ценой", "Добавить короткий отзыв пациента"),
        "image": ("Протестировать вариант с ценой в заголовке", "Заменить стоковое фото на фото клиники и врача",
                  "Сократить текст на изображении до 5–7 слов"),
        "carousel": ("Поставить самый яркий «до и после» первой карточкой", "Сократить карусель до 4 карточек"),
        "any": ("Упомянуть рассрочку 0% в тексте", "Протестировать 2–3 варианта заголовка"),
    },
}
# verdict by minimum score, and how many strengths / weaknesses / recommendations it lists
_VERDICTS = (("excellent", 80, (3, 1, 2)), ("good", 65, (2, 2, 2)), ("average", 45, (1, 2, 3)), ("poor", 0, (1, 3, 3)))
_VERDICT_SUMMARY = {
    "excellent": "Отличный креатив: {s}. CPL стабильно ниже целевого — стоит масштабировать.",
    "good": "Хороший креатив: {s}, но {w}.",
    "average": "Средний результат: {w}. Креатив требует доработки.",
    "poor": "Слабый креатив: {w}. CPL заметно выше целевого — лучше заменить.",
}


# WhatsApp scripts. Placeholders: {first} client's first name, {acc}/{instr}/{gen}/{dat} the service in
# Russian cases, {price} the price line, {address}, {day} (accusative weekday), {time}; English
# scripts use {en}, {en_price}, {address_en}, {day_en}.
_RU_OPENINGS = {
    "price": (
        ("in", "Здравствуйте! Хочу узнать про {acc}. Сколько это стоит?"),
        ("out", "Здравствуйте, {first}! Меня зовут Ольга, я администратор клиники «Улыбка». {price}"),
        ("in", "Ого, дорого. В другой клинике мне называли цену ниже"),
        ("out", "Понимаю вас. В стоимость уже входят консультация, снимки и гарантия 5 лет. "
                "Можем разбить оплату: рассрочка 0% до 12 месяцев."),
    ),
    "booked": (
        ("in", "Добрый день! Увидел{a} вашу рекламу, интересует {acc}"),
        ("out", "Добрый день, {first}! {price} Когда вам удобно прийти на бесплатную консультацию?"),
    ),
    "installment": (
        ("in", "Добрый вечер! У вас есть рассрочка на {acc}?"),
        ("out", "Добрый вечер, {first}! Да, рассрочка 0% до 12 месяцев, без банка и переплат. {price}"),
        ("in", "А какие документы нужны?"),
        ("out", "Только паспорт. Оформим прямо в клинике за 10 минут."),
    ),
    "pain": (
        ("in", "Здравствуйте, а {acc} — это больно?"),
        ("out", "Здравствуйте, {first}! Всё проходит под местной анестезией, вы ничего не почувствуете."),
        ("in", "Я очень боюсь стоматологов, даже на осмотр сложно решиться"),
        ("out", "Понимаем, так бывает у многих. У нас есть лечение во сне (седация) — вы будете спокойны "
                "и расслаблены. Можно начать с бесплатной консультации."),
    ),
    "ghosted": (
        ("in", "Какая цена на {acc}?"),
        ("out", "Здравствуйте, {first}! {price} Хотите записаться на консультацию?"),
    ),
    "far": (
        ("in", "Здравствуйте! Интересует {acc}, но я работаю до 19:00"),
        ("out", "Здравствуйте, {first}! По будням мы работаем до 21:00, в субботу — до 18:00."),
        ("in", "А где вы находитесь?"),
        ("out", "Мы по адресу: {address}."),
    ),
}
_RU_ENDINGS = {
    "booked": (
        ("in", "Давайте. Можно в {day} в {time}?"),
        ("out", "Записала вас на {day}, {time}. Адрес: {address}. Ждём вас!"),
    ),
    "thinking": (
        ("in", "Спасибо, я подумаю"),
        ("out", "Конечно! Если появятся вопросы — пишите, будем рады помочь."),
    ),
    "silent": (
        ("out", "{first}, подскажите, остались ли вопросы по {dat}? Можем подобрать удобное время."),
    ),
    "far": (
        ("in", "Мне далеко к вам ехать, да и по времени неудобно. Подумаю"),
        ("out", "Понимаем. Если будет удобно в субботу — напишите, запишем без очереди."),
    ),
}
_RU_EXTRAS = {  # optional tails that make dialogs of different lengths
    "booked": (
        ("in", "Спасибо!"),
        ("out", "Пожалуйста! Напомним о визите за день."),
        ("out", "{first}, напоминаем о вашем визите в {day} в {time}. Подтверждаете?"),
        ("in", "Да, буду"),
    ),
    "thinking": (
        ("out", "{first}, добрый день! Хотели уточнить, остались ли вопросы по {dat}?"),
        ("in", "Пока думаю, напишу позже"),
    ),
    "silent": (("out", "Если будет удобнее созвониться — оставьте время, перезвоним."),),
    "far": (("in", "Хорошо, спасибо"),),
}
# Summaries by (scenario, ending). Gendered: {client} Клиент/Клиентка, {a} "" / "а", {sya} "ся" / "ась".
# A price objection has three phrasings, used in turn, so a search for any of them finds dialogs.
_RU_SUMMARIES = {
    ("price", "thinking"): (
        "{client} интересовал{sya} {instr}, возражал{a} по цене, просил{a} рассрочку; решение отложено",
        "{client} жаловал{sya} на высокую цену {gen}, сравнивает с другими клиниками; обещал{a} подумать",
        "{client} сомневается из-за стоимости {gen}, рассрочка пока не убедила",
    ),
    ("price", "booked"): (
        "{client} жаловал{sya} на цену {gen}, но после предложения рассрочки записал{sya} на консультацию",
        "{client} возражал{a} по цене {gen}, согласил{sya} на рассрочку 0% и записал{sya} на консультацию",
    ),
    ("booked", "booked"): ("{client} интересовал{sya} {instr} и записал{sya} на консультацию на {day}, {time}",),
    ("installment", "booked"): ("{client} уточнял{a} условия рассрочки на {acc} и записал{sya} на консультацию",),
    ("installment", "thinking"): ("{client} уточнял{a} условия рассрочки на {acc}, пока не записал{sya}",),
    ("pain", "booked"): ("{client} боится боли, но после рассказа о седации записал{sya} на консультацию",),
    ("pain", "thinking"): ("{client} боится боли, спрашивал{a} про анестезию и седацию; пока не записал{sya}",),
    ("ghosted", "silent"): ("{client} спросил{a} цену {gen} и перестал{a} отвечать после ответа администратора",),
    ("far", "far"): ("{client} интересовал{sya} {instr}, но клиника далеко от дома и неудобный график",),
}
_SCENARIO_TAGS = {
    "price": ("цена", "возражение", "рассрочка"),
    "booked": ("запись", "консультация"),
    "installment": ("рассрочка",),
    "pain": ("страх боли", "возражение"),
    "ghosted": ("цена", "нет ответа"),
    "far": ("локация", "возражение"),
}
_SCENARIO_OBJECTIONS = {
    "price": ("высокая цена",),
    "pain": ("страх боли",),
    "far": ("далеко ехать", "неудобное время"),
}
_NEXT_ACTIONS = {
    "booked": "Напомнить о визите за день",
    "thinking": "Предложить рассрочку 0% и бесплатную консультацию",
    "silent": "Написать повторно через 3 дня",
    "far": "Предложить запись на субботу",
}
_EN_SCRIPTS = {
    "price": (
        ("in", "Hi! Do you speak English? What is the price for {en}?"),
        ("out", "Hello {first}! Yes, of course. {en_price}"),
        ("in", "That's quite expensive, back home it costs less."),
        ("out", "I understand. The price includes the consultation, X-rays and a 5-year warranty. "
                "We can also split the payment over 12 months at 0%."),
        ("in", "Thanks, I'll think about it."),
    ),
    "booked": (
        ("in", "Hello, I saw your ad about {en}. Can I book a consultation this week?"),
        ("out", "Hello {first}! Sure, we have {day_en} at {time}. Does that work for you?"),
        ("in", "Perfect, please book me."),
        ("out", "Done! Our address is {address_en}. See you on {day_en}!"),
    ),
}
_EN_SUMMARIES = {
    "price": "Client asked about {en}, complained about the high price and compared it with prices back home; "
             "a 0% payment plan was offered.",
    "booked": "Client asked about {en} and booked a free consultation for {day_en} at {time}.",
}
_EN_CONTACTS = (  # (name, phone in fictional ranges, scenario, direction)
    ("James Carter", "+447700900123", "price", "veneers"),
    ("Emily Stone", "+12025550143", "booked", "whitening"),
    ("Daniel Brooks", "+447700900456", "price", "implant"),
    ("Laura Bennett", "+12025550178", "booked", "veneers"),
)
_WEEKDAYS_ACC = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_SLOTS = ("10:00", "11:30", "13:00", "15:30", "17:00", "18:30")

_WEEKDAY_LEADS = (1.12, 1.08, 1.04, 1.0, 0.95, 0.82, 0.86)  # Mon…Sun: people book on weekdays
_WEEKDAY_CPM = (1.0, 1.0, 1.0, 1.0, 1.02, 0.93, 0.94)
_CRM_CAPTURE = 0.6  # share of platform leads that reach the CRM (others never reply or are spam)
_DIALOG_LEADS = 52  # most recent messaging leads that get a WhatsApp dialog


# ── helpers ─────────────────────────────────────────────────────────────────────────────────


def _rng(*parts: object) -> random.Random:
    return random.Random(f"{SEED}/" + "/".join(str(p) for p in parts))


def _local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A Moscow wall-clock time as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK).astimezone(UTC)


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: exact and fast for the small rates of one ad-day.
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def _days(start: date, end: date) -> Iterator[date]:
    """Dates from start to end inclusive."""
    for i in range((end - start).days + 1):
        yield start + timedelta(days=i)


# ── ads: campaigns, ad sets, ads and their daily stats ──────────────────────────────────────


class _AdPlan(NamedTuple):
    id: str
    creative: _CreativeSeed
    start: date  # first delivering day
    end: date | None  # first day without delivery


def _ad_day(plan: _AdPlan, day: date, spend_share: float, today: date, destination: str) -> AdDayStats:
    d = _DIRECTION_BY_KEY[plan.creative.direction]
    c = plan.creative
    r = _rng("stats", plan.id, day.isoformat())
    # Fatigue ramps up over the last three weeks for creatives with a trend.
    ramp = _clamp((21 - (today - day).days) / 20, 0.0, 1.0)
    fatigue = 1 + c.trend * ramp
    spend = max(0, round(spend_share * r.uniform(0.9, 1.04)))
    cpm_cents = d.cpm * 100 * r.uniform(0.9, 1.12) * _WEEKDAY_CPM[day.weekday()] * (1 + 0.3 * c.trend * ramp)
    impressions = max(1, round(spend * 1000 / cpm_cents))
    reach = round(impressions / r.uniform(1.08, 1.45))
    ctr = d.ctr / math.sqrt(c.cpl_mult) / (1 + 0.5 * c.trend * ramp) * r.uniform(0.85, 1.15)
    clicks = round(impressions * ctr)
    link_clicks = round(clicks * r.uniform(0.62, 0.8))
    cpl_cents = d.base_cpl * 100 * c.cpl_mult * fatigue
    leads = min(link_clicks, _poisson(r, spend / cpl_cents * _WEEKDAY_LEADS[day.weekday()]))
    messaging, pixel, custom = _split_leads(r, leads, destination)
    views = p25 = p50 = p75 = p95 = 0
    if c.media == "video":
        length = (30 / (c.duration or 30)) ** 0.3  # longer videos lose more viewers
        views = round(impressions * _clamp(r.uniform(0.26, 0.36) * c.hook, 0.05, 0.6))
        p25 = math.floor(views * _clamp(0.55 * c.hook * length * r.uniform(0.92, 1.08), 0.05, 0.95))
        p50 = math.floor(p25 * _clamp(0.66 * c.hook * length * r.uniform(0.92, 1.08), 0.05, 0.95))
        p75 = math.floor(p50 * _clamp(0.64 * c.hook * length * r.uniform(0.92, 1.08), 0.05, 0.95))
        p95 = math.floor(p75 * _clamp(0.55 * c.hook * length * r.uniform(0.92, 1.08), 0.05, 0.95))
    return AdDayStats(
        date=day, impressions=impressions, reach=reach, clicks=clicks, link_clicks=link_clicks,
        spend_cents=spend, leads=leads, messaging_leads=messaging, pixel_leads=pixel, custom_leads=custom,
        video_views=views, video_p25=p25, video_p50=p50, video_p75=p75, video_p95=p95,
    )


def _split_leads(r: random.Random, leads: int, destination: str) -> tuple[int, int, int]:
    """How a day's leads show up in insights `actions`: messaging / pixel lead / custom conversion."""
    # Click-to-WhatsApp ads still get a few site leads from people who open the site instead;
    # site ads split between the standard pixel Lead and the «запись» custom conversion.
    weights = (0.9, 0.07, 0.03) if destination == "WHATSAPP" else (0.0, 0.7, 0.3)
    counts = Counter(r.choices(range(3), weights=weights, k=leads))
    return counts[0], counts[1], counts[2]


def _ad_set_stats(
    ad_set_id: str, budget_cents: int, plans: list[_AdPlan], today: date, destination: str, stop: date | None
) -> dict[str, tuple[AdDayStats, ...]]:
    """Daily stats of the ads of one ad set: they share its budget, better ads get more of it."""
    stats: dict[str, list[AdDayStats]] = {p.id: [] for p in plans}
    for day in _days(today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1)):
        if stop is not None and day >= stop:
            break
        live = [p for p in plans if p.start <= day and (p.end is None or day < p.end)]
        if not live:
            continue
        pacing = _rng("pacing", ad_set_id, day.isoformat()).uniform(0.88, 1.0)
        weights = {p.id: p.creative.cpl_mult**-1.5 for p in live}
        total = sum(weights.values())
        for p in live:
            share = budget_cents * pacing * weights[p.id] / total
            stats[p.id].append(_ad_day(p, day, share, today, destination))
    return {ad_id: tuple(days) for ad_id, days in stats.items()}


def _targeting(seed: _AdSetSeed) -> Targeting:
    country, radius, _, _ = _CITIES[seed.city]
    return Targeting(
        country=country, city=seed.city, city_key=platform_id("city", seed.city, digits=7), radius_km=radius,
        age_min=seed.age_min, age_max=seed.age_max, genders=seed.genders,
    )


def _destination(direction: _DirectionSeed) -> tuple[str, str, str]:
    """(campaign objective, ad set destination type, optimization goal) for a direction."""
    if direction.objective == "whatsapp":
        return "OUTCOME_ENGAGEMENT", "WHATSAPP", "CONVERSATIONS"
    return "OUTCOME_LEADS", "WEBSITE", "OFFSITE_CONVERSIONS"


def _build_campaigns(today: date) -> tuple[Campaign, ...]:
    campaigns = [_direction_campaign(seed, today) for seed in _CAMPAIGNS]
    campaigns.append(_test_campaign(today))
    return tuple(campaigns)


def _direction_campaign(seed: _CampaignSeed, today: date) -> Campaign:
    d = _DIRECTION_BY_KEY[seed.direction]
    campaign_id = platform_id("campaign", seed.name)
    created = _local(today - timedelta(days=d.created_days_ago), 11)
    stop = today - timedelta(days=d.paused_days_ago) if d.paused_days_ago else None
    status = "PAUSED" if stop else "ACTIVE"
    objective, destination, goal = _destination(d)
    ad_sets = []
    for s in seed.ad_sets:
        ad_set_id = platform_id("adset", s.name)
        plans = [
            _AdPlan(
                id=platform_id("ad", f"{s.name}/{c.title}"),
                creative=c,
                start=today - timedelta(days=c.launched_days_ago),
                end=today - timedelta(days=c.paused_days_ago) if c.paused_days_ago else None,
            )
            for c in _CREATIVES
            if s.name in c.ad_sets
        ]
        stats = _ad_set_stats(ad_set_id, s.budget * 100, plans, today, destination, stop)
        ads = tuple(
            Ad(
                id=p.id, name=p.creative.title, status="PAUSED" if p.end else "ACTIVE",
                campaign_id=campaign_id, adset_id=ad_set_id, creative_title=p.creative.title,
                fb_creative_id=platform_id("creative", p.creative.title), direction=d.name,
                created_time=_local(p.start, 10, 30), daily=stats[p.id],
            )
            for p in plans
        )
        ad_sets.append(AdSet(
            id=ad_set_id, name=s.name, status=status, campaign_id=campaign_id, daily_budget_cents=s.budget * 100,
            targeting=_targeting(s), optimization_goal=goal, billing_event="IMPRESSIONS",
            destination_type=destination, created_time=created + timedelta(minutes=5), ads=ads,
        ))
    return Campaign(
        id=campaign_id, name=seed.name, status=status, objective=objective,
        daily_budget_cents=sum(a.daily_budget_cents for a in ad_sets), buying_type="AUCTION",
        bid_strategy="LOWEST_COST_WITHOUT_CAP", created_time=created, direction=d.name, utm_campaign=seed.utm,
        ad_sets=tuple(ad_sets),
    )


def _test_campaign(today: date) -> Campaign:
    """One ad set per creative test ($5/day): running tests are ACTIVE, finished ones PAUSED."""
    campaign_id = platform_id("campaign", TEST_CAMPAIGN_NAME)
    created = _local(today - timedelta(days=HISTORY_DAYS + 10), 12)
    creatives = {c.title: c for c in _CREATIVES}
    ad_sets = []
    for t in _TESTS:
        c = creatives[t.creative]
        main = next(s for s in _CAMPAIGNS if s.direction == c.direction).ad_sets[0]
        name = f"Тест: {c.title}"
        ad_set_id = platform_id("adset", name)
        start = today - timedelta(days=t.started_days_ago)
        # A stopped test ran half of its planned days; a running one is still inside its window.
        ran = t.days // 2 if t.status == "stopped" else t.days
        plan = _AdPlan(platform_id("ad", f"{name}/{c.title}"), c, start,
                       None if t.status == "running" else start + timedelta(days=ran))
        stats = _ad_set_stats(ad_set_id, _TEST_BUDGET_PER_DAY * 100, [plan], today, "WHATSAPP", None)
        ad = Ad(
            id=plan.id, name=f"{c.title} — тест", status="ACTIVE" if t.status == "running" else "PAUSED",
            campaign_id=campaign_id, adset_id=ad_set_id, creative_title=c.title,
            fb_creative_id=platform_id("creative", c.title), direction=_DIRECTION_BY_KEY[c.direction].name,
            created_time=_local(start, 9, 45), daily=stats[plan.id],
        )
        ad_sets.append(AdSet(
            id=ad_set_id, name=name, status="ACTIVE" if t.status == "running" else "PAUSED",
            campaign_id=campaign_id, daily_budget_cents=_TEST_BUDGET_PER_DAY * 100,
            targeting=_targeting(main), optimization_goal="CONVERSATIONS", billing_event="IMPRESSIONS",
            destination_type="WHATSAPP", created_time=_local(start, 9, 40), ads=(ad,),
        ))
    return Campaign(
        id=campaign_id, name=TEST_CAMPAIGN_NAME, status="ACTIVE", objective="OUTCOME_ENGAGEMENT",
        daily_budget_cents=sum(a.daily_budget_cents for a in ad_sets), buying_type="AUCTION",
        bid_strategy="LOWEST_COST_WITHOUT_CAP", created_time=created, direction=None, utm_campaign="creative_tests",
        ad_sets=tuple(ad_sets),
    )


def _build_directions(campaigns: tuple[Campaign, ...], today: date) -> tuple[Direction, ...]:
    by_direction = {c.direction: c for c in campaigns if c.direction}
    out = []
    for d in _DIRECTIONS:
        campaign = by_direction[d.name]
        out.append(Direction(
            name=d.name, tag=d.tag, objective=d.objective, is_active=d.paused_days_ago is None,
            campaign_status=campaign.status, daily_budget_cents=campaign.daily_budget_cents,
            target_cpl_cents=d.target_cpl * 100, fb_campaign_id=campaign.id, fb_adset_id=campaign.ad_sets[0].id,
            created_at=_local(today - timedelta(days=d.created_days_ago), 10),
        ))
    return tuple(out)


# ── creatives: analyses, risk scores, tests ─────────────────────────────────────────────────


def _pick(r: random.Random, kind: str, media: str, k: int) -> tuple[str, ...]:
    pools = _ANALYSIS_POOLS[kind]
    pool = pools[media] + pools["any"]
    return tuple(r.sample(pool, min(k, len(pool))))


def _analysis(c: _CreativeSeed, at: datetime, r: random.Random) -> CreativeAnalysis:
    score = round(_clamp(90 - (c.cpl_mult - 0.7) * 48 - c.trend * 10 + r.uniform(-3, 3), 5, 98))
    verdict, _, (n_s, n_w, n_r) = next(v for v in _VERDICTS if score >= v[1])
    strengths = _pick(r, "strengths", c.media, n_s)
    weaknesses = _pick(r, "weaknesses", c.media, n_w)
    summary = _VERDICT_SUMMARY[verdict].format(s=strengths[0].lower(), w=weaknesses[0].lower())
    return CreativeAnalysis(
        score=score, verdict=verdict, summary=summary, strengths=strengths, weaknesses=weaknesses,
        recommendations=_pick(r, "recommendations", c.media, n_r), model="gpt-4o-mini", created_at=at,
    )


def _risk(c: _CreativeSeed, llm_score: int, at: datetime, r: random.Random) -> RiskScore:
    new = c.launched_days_ago < 21
    risk = round(_clamp(18 + (c.cpl_mult - 0.8) * 55 + c.trend * 70 + 15 * new + r.uniform(-5, 5), 3, 97))
    if not c.ad_sets:
        risk = 45
    level = "low" if risk < 35 else "medium" if risk < 65 else "high"
    factors = []
    if not c.ad_sets:
        factors.append("Нет истории показов")
    if c.trend >= 0.3:
        factors += ["CPL вырос более чем на 30% за 7 дней", "Частота показов выше 2.5"]
    elif c.trend > 0:
        factors.append("CTR снижается вторую неделю")
    if c.cpl_mult >= 1.2:
        factors.append("CPL выше целевого")
    if new and c.ad_sets:
        factors.append("Мало данных: креатив запущен недавно")
    if c.media == "video" and c.hook < 1:
        factors.append("Низкий досмотр до 50%")
    if not factors:
        factors.append("Стабильный CPL ниже целевого")
    return RiskScore(risk_score=risk, llm_score=llm_score, risk_level=level, factors=tuple(factors), scored_at=at)


def _build_creatives(today: date) -> tuple[Creative, ...]:
    out = []
    for c in _CREATIVES:
        d = _DIRECTION_BY_KEY[c.direction]
        r = _rng("creative", c.title)
        launched = today - timedelta(days=c.launched_days_ago)
        # Creatives older than ~6 weeks were analysed twice: at launch and again a month ago.
        dates = [launched + timedelta(days=1)]
        if c.launched_days_ago > 45:
            dates.append(today - timedelta(days=30))
        analyses = tuple(_analysis(c, _local(day, 9, 15), r) for day in dates)
        status = "draft" if not c.ad_sets else "paused" if c.paused_days_ago else "active"
        out.append(Creative(
            title=c.title, direction=d.name, media_type=c.media, status=status,
            fb_creative_id=platform_id("creative", c.title),
            video_id=platform_id("video", c.title, digits=16) if c.media == "video" else None,
            duration_seconds=c.duration, transcript=_TRANSCRIPTS.get(c.title),
            headline=c.title, body=f"{c.title}. {d.price} Напишите нам — ответим за 5 минут.",
            created_at=_local(launched, 10), analyses=analyses,
            risk=_risk(c, analyses[-1].score, _local(today - timedelta(days=1), 6), r),
        ))
    return tuple(out)


def _build_tests(campaigns: tuple[Campaign, ...], today: date) -> tuple[CreativeTest, ...]:
    test_campaign = next(c for c in campaigns if c.name == TEST_CAMPAIGN_NAME)
    out = []
    for i, (t, ad_set) in enumerate(zip(_TESTS, test_campaign.ad_sets, strict=True)):
        ad = ad_set.ads[0]
        target = _DIRECTION_BY_KEY[next(c.direction for c in _CREATIVES if c.title == t.creative)].target_cpl * 100
        started = today - timedelta(days=t.started_days_ago)
        ended = None if t.status == "running" else _local(ad.daily[-1].date + timedelta(days=1), 9)
        out.append(CreativeTest(
            key=f"{t.creative}#{sum(x.creative == t.creative for x in _TESTS[:i])}", creative_title=t.creative, direction=ad.direction or "",
            status=t.status, budget_cents=_TEST_BUDGET_PER_DAY * t.days * 100, fb_campaign_id=test_campaign.id,
            fb_adset_id=ad_set.id, fb_ad_id=ad.id, started_at=_local(started, 9, 45), ended_at=ended,
            results=_test_results(ad.daily, t, target),
        ))
    return tuple(out)


def _test_results(days: tuple[AdDayStats, ...], t: _TestSeed, target_cents: int) -> TestResults:
    impressions = sum(d.impressions for d in days)
    clicks = sum(d.clicks for d in days)
    spend = sum(d.spend_cents for d in days)
    leads = sum(d.leads for d in days)
    cpl = round(spend / leads) if leads else None
    if t.status == "running":
        verdict, conclusion = "collecting", f"Идёт сбор данных: {len(days)} из {t.days} дней"
    elif t.status == "stopped":
        verdict = "stopped"
        conclusion = "Тест остановлен досрочно: " + (
            "расход без заявок" if cpl is None else f"CPL ${cpl / 100:.2f} выше целевого ${target_cents / 100:.0f}"
        )
    elif cpl is not None and cpl <= target_cents:
        verdict = "winner"
        conclusion = f"CPL ${cpl / 100:.2f} ниже целевого ${target_cents / 100:.0f}: креатив можно масштабировать"
    else:
        verdict = "loser"
        conclusion = (
            "За время теста не получено ни одной заявки" if cpl is None
            else f"CPL ${cpl / 100:.2f} выше целевого ${target_cents / 100:.0f}: масштабировать не стоит"
        )
    return TestResults(
        impressions=impressions, clicks=clicks, link_clicks=sum(d.link_clicks for d in days), spend_cents=spend,
        leads=leads, cpl_cents=cpl, ctr_percent=round(100 * clicks / impressions, 2) if impressions else 0.0,
        verdict=verdict, conclusion=conclusion,
    )


# ── CRM: leads, stage history, purchases ────────────────────────────────────────────────────


@dataclass
class _LeadDraft:
    """A lead before its funnel history is generated (pinned leads override some fields)."""

    key: str
    created_at: datetime
    direction: _DirectionSeed
    lead_type: str
    campaign: Campaign | None
    ad_set: AdSet | None
    ad: Ad | None
    gender: str = "f"
    name: str = ""
    phone: str = ""
    forced_stage: str | None = None
    forced_score: int | None = None


class _Phones:
    """Unique E.164 numbers: mostly Russian mobiles, some Kazakh (+7 7xx)."""

    def __init__(self, reserved: set[str]) -> None:
        self.used = set(reserved)

    def draw(self, r: random.Random) -> str:
        while True:
            if r.random() < 0.1:
                phone = f"+77{r.choice(('01', '02', '05', '07', '47'))}{r.randrange(10**7):07d}"
            else:
                phone = f"+79{r.randrange(10**9):09d}"
            if phone not in self.used:
                self.used.add(phone)
                return phone


def _person(r: random.Random, female_share: float) -> tuple[str, str]:
    gender = "f" if r.random() < female_share else "m"
    first = r.choice(_FEMALE_NAMES if gender == "f" else _MALE_NAMES)
    surname = r.choice(_SURNAMES) + ("а" if gender == "f" else "")
    return f"{first} {surname}", gender


def _lead_drafts(campaigns: tuple[Campaign, ...], today: date) -> list[_LeadDraft]:
    """CRM leads born from the ads' platform leads (a share of them), plus a few organic ones."""
    directions = {d.name: d for d in _DIRECTIONS}
    drafts: list[_LeadDraft] = []
    for campaign in campaigns:
        for ad_set in campaign.ad_sets:
            for ad in ad_set.ads:
                for s in ad.daily:
                    r = _rng("crm", ad.id, s.date.isoformat())
                    kinds = ["messaging"] * s.messaging_leads + ["pixel"] * s.pixel_leads + ["custom"] * s.custom_leads
                    chosen = r.sample(kinds, _binomial(r, s.leads, _CRM_CAPTURE))
                    for n, kind in enumerate(sorted(chosen)):
                        at = _local(s.date, r.randrange(9, 22), r.randrange(60))
                        drafts.append(_LeadDraft(
                            key=f"{ad.id}:{s.date.isoformat()}:{n}", created_at=at,
                            direction=directions[ad.direction or ""], lead_type=kind,
                            campaign=campaign, ad_set=ad_set, ad=ad,
                        ))
    # Word of mouth: a lead every five days or so, not attributed to any ad.
    for i in range(0, HISTORY_DAYS, 5):
        day = today - timedelta(days=HISTORY_DAYS - i)
        r = _rng("organic", day.isoformat())
        drafts.append(_LeadDraft(
            key=f"organic:{day.isoformat()}:0", created_at=_local(day, r.randrange(10, 20), r.randrange(60)),
            direction=r.choice(_DIRECTIONS), lead_type="organic", campaign=None, ad_set=None, ad=None,
        ))
    drafts.sort(key=lambda d: (d.created_at, d.key))
    return drafts


def _assign_people(drafts: list[_LeadDraft], today: date) -> None:
    """Names and phones; the spec's named people replace recent «Имплантация Москва» messaging leads."""
    reserved = {p.phone for p in _PINNED if p.phone} | {phone for _, phone, _, _ in _EN_CONTACTS}
    phones = _Phones(reserved)
    candidates = [
        d for d in reversed(drafts)
        if d.campaign is not None and d.campaign.name == "Имплантация Москва" and d.lead_type == "messaging"
        and 4 <= (today - d.created_at.astimezone(MSK).date()).days <= 20
    ]
    # Spread the named people over the candidates instead of taking the four newest.
    chosen = candidates[:: max(1, len(candidates) // len(_PINNED))][: len(_PINNED)]
    if len(chosen) < len(_PINNED):
        raise RuntimeError("the demo world has too few recent implant leads to name")
    pinned = dict(zip((d.key for d in chosen), _PINNED, strict=True))
    named = {p.name for p in _PINNED}
    for d in drafts:
        r = _rng("person", d.key)
        if d.key in pinned:
            p = pinned[d.key]
            d.name, d.gender = p.name, p.gender
            d.phone = p.phone or phones.draw(r)
            d.forced_stage, d.forced_score = p.stage, p.score
            continue
        d.name, d.gender = _person(r, d.direction.female_share)
        while d.name in named:
            d.name, d.gender = _person(r, d.direction.female_share)
        d.phone = phones.draw(r)


def _stage_history(d: _LeadDraft, now: datetime, r: random.Random) -> list[StageChange]:
    """Walk the funnel from «Новый»; stop when the next move would be in the future."""
    changes = [StageChange(None, _MAIN_PATH[0], d.created_at)]
    at = d.created_at
    target = _MAIN_PATH.index(d.forced_stage) if d.forced_stage else None
    treatment = d.direction.treatment_days
    for step in range(len(_MAIN_PATH) - 1):
        lo, hi = _STEP_HOURS[step] if step < len(_STEP_HOURS) else (treatment[0] * 24 + 2, treatment[1] * 24 + 6)
        nxt = at + timedelta(hours=r.uniform(lo, hi))
        if target is not None:
            if step >= target:
                break
            # A pinned lead must reach its stage before now: squeeze the wait if needed.
            nxt = min(nxt, at + (now - at) / 3)
        elif nxt >= now:
            break
        elif r.random() >= _STEP_P[step]:
            if r.random() < 0.45:  # the others simply stall at their stage
                changes.append(StageChange(_MAIN_PATH[step], _LOST, nxt))
            break
        changes.append(StageChange(_MAIN_PATH[step], _MAIN_PATH[step + 1], nxt))
        at = nxt
    return changes


_STAGE_SCORES = {  # stage → score range
    "Новый": (30, 72), "Консультация": (45, 85), "Записана": (60, 92), "Пришла на приём": (65, 95),
    "Лечение": (72, 98), "Оплачено": (80, 100), "Отказ": (5, 35),
}


def _temperature(score: int) -> str:
    return "hot" if score >= 75 else "warm" if score >= 45 else "cold"


def _finish_lead(d: _LeadDraft, now: datetime) -> Lead:
    r = _rng("lead", d.key)
    history = _stage_history(d, now, r)
    stage = history[-1].to_stage
    score = d.forced_score if d.forced_score is not None else r.randint(*_STAGE_SCORES[stage])
    notes = r.choice(_LOSS_REASONS) if stage == _LOST else r.choice(_LEAD_NOTES) if r.random() < 0.3 else None
    utm: tuple[tuple[str, str], ...] = ()
    if d.ad is not None and d.campaign is not None and d.ad_set is not None:
        utm = (
            ("utm_source", "facebook"), ("utm_medium", "paid_social"), ("utm_campaign", d.campaign.utm_campaign),
            ("utm_content", d.ad.id), ("utm_term", d.ad_set.name),
        )
    source = {"messaging": "whatsapp", "organic": "referral"}.get(d.lead_type, "facebook")
    email = f"patient{r.randrange(100000):05d}@example.com"
    return Lead(
        key=d.key, name=d.name, gender=d.gender, phone=d.phone,
        email=email if d.lead_type in ("pixel", "custom") else None,
        stage=stage, temperature=_temperature(score), score=score, source=source, lead_type=d.lead_type,
        direction=d.direction.name, creative_title=d.ad.creative_title if d.ad else None,
        fb_ad_id=d.ad.id if d.ad else None, fb_adset_id=d.ad_set.id if d.ad_set else None,
        fb_campaign_id=d.campaign.id if d.campaign else None, utm=utm, notes=notes,
        created_at=d.created_at, history=tuple(history),
    )


def _build_purchases(leads: tuple[Lead, ...]) -> tuple[Purchase, ...]:
    won = next(s.name for s in FUNNEL if s.is_won)
    directions = {d.name: d for d in _DIRECTIONS}
    out = []
    for lead in leads:
        if lead.stage != won:
            continue
        r = _rng("purchase", lead.key)
        product, lo, hi = r.choice(directions[lead.direction].products)
        amount = round(r.uniform(lo, hi) / 10) * 10 * 100  # clinics price in round tens
        out.append(Purchase(
            key=f"{lead.key}:1", lead_key=lead.key, amount_cents=amount, currency=CURRENCY, product=product,
            purchased_at=lead.history[-1].at,
        ))
    return tuple(out)


# ── WhatsApp dialogs ────────────────────────────────────────────────────────────────────────


def _scenario_for(lead: Lead | None, r: random.Random) -> tuple[str, str]:
    """(scenario, ending) consistent with where the lead is in the funnel."""
    stage = lead.stage if lead else "Новый"
    if stage == _LOST:
        return r.choices([("price", "thinking"), ("far", "far"), ("ghosted", "silent")], weights=(55, 25, 20))[0]
    if stage == "Новый":
        return r.choices([("ghosted", "silent"), ("price", "thinking"), ("pain", "thinking")], weights=(50, 30, 20))[0]
    if stage == "Консультация":
        return r.choices(
            [("price", "thinking"), ("pain", "thinking"), ("installment", "thinking")], weights=(45, 30, 25)
        )[0]
    return r.choices(
        [("booked", "booked"), ("installment", "booked"), ("price", "booked"), ("pain", "booked")],
        weights=(45, 25, 20, 10),
    )[0]


def _gender_forms(gender: str) -> dict[str, str]:
    if gender == "f":
        return {"client": "Клиентка", "a": "а", "sya": "ась"}
    return {"client": "Клиент", "a": "", "sya": "ся"}


def _message_times(
    start: datetime, turns: list[tuple[str, str]], r: random.Random, limit: datetime
) -> list[datetime]:
    """Send times, whole seconds, all before `limit` (the world's "now")."""
    offsets, at = [], 0.0
    for i, (direction, _) in enumerate(turns):
        if i:
            previous = turns[i - 1][0]
            if direction == previous == "out":
                at += r.uniform(18, 28) * 3600  # a follow-up after the client went quiet
            elif r.random() < 0.1:
                at += r.uniform(14, 30) * 3600  # picked up again the next day
            elif direction == "out":
                at += r.uniform(1, 25) * 60
            else:
                at += r.uniform(2, 150) * 60
        offsets.append(at)
    # A conversation that started late yesterday is squeezed into the time left before now.
    room = (limit - start).total_seconds() - 60
    scale = min(1.0, room / offsets[-1]) if offsets[-1] else 1.0
    return [start + timedelta(seconds=round(o * scale)) for o in offsets]


def _status(last: datetime, today: date) -> str:
    age = (today - last.astimezone(MSK).date()).days
    return "open" if age <= 7 else "closed" if age <= 40 else "archived"


def _ru_dialog(
    phone: str, name: str, gender: str, lead: Lead | None, d: _DirectionSeed, city: str, start: datetime,
    scenario: str, ending: str, variant: int, today: date,
) -> Dialog:
    r = _rng("dialog", phone)
    slot = {"day": r.choice(_WEEKDAYS_ACC), "time": r.choice(_SLOTS)}
    ctx = {
        "first": name.split()[0], "acc": d.acc, "instr": d.instr, "gen": d.gen, "dat": d.dat, "price": d.price,
        "address": _CITIES[city][2], **slot, **_gender_forms(gender),
    }
    turns = list(_RU_OPENINGS[scenario]) + list(_RU_ENDINGS[ending])
    extras = _RU_EXTRAS[ending]
    turns += extras[: r.randint(0, len(extras))]
    texts = [(direction, text.format(**ctx)) for direction, text in turns[:15]]
    times = _message_times(start, texts, r, _local(today))
    summaries = _RU_SUMMARIES[scenario, ending]
    summary = summaries[variant % len(summaries)].format(**ctx)
    interest = {"booked": "hot", "thinking": "warm"}.get(ending, "cold")
    if lead is not None and lead.stage == _LOST:
        interest = "cold"
    tags = (d.tag, *_SCENARIO_TAGS[scenario])
    if ending == "booked" and "запись" not in tags:
        tags += ("запись",)
    return Dialog(
        phone=phone, contact_name=name, lead_key=lead.key if lead else None,
        status=_status(times[-1], today), language="ru",
        messages=tuple(DialogMessage(direction, text, at) for (direction, text), at in zip(texts, times, strict=True)),
        summary=summary, tags=tags,
        interest_level=interest, objections=_SCENARIO_OBJECTIONS.get(scenario, ()),
        interests=(d.tag,) + (("рассрочка",) if scenario in ("price", "installment") else ()),
        next_action=_NEXT_ACTIONS[ending], score=lead.score if lead else r.randint(20, 80), scenario=scenario,
    )


def _en_dialog(name: str, phone: str, scenario: str, d: _DirectionSeed, today: date) -> Dialog:
    r = _rng("dialog", phone)
    start = _local(today - timedelta(days=r.randint(2, 30)), r.randint(10, 20), r.randrange(60))
    day = r.randrange(len(_WEEKDAYS_EN))
    ctx = {
        "first": name.split()[0], "en": d.en, "en_price": d.en_price, "day_en": _WEEKDAYS_EN[day],
        "time": r.choice(_SLOTS), "address_en": _CITIES["Москва"][3],
    }
    turns = [(direction, text.format(**ctx)) for direction, text in _EN_SCRIPTS[scenario]]
    times = _message_times(start, turns, r, _local(today))
    booked = scenario == "booked"
    return Dialog(
        phone=phone, contact_name=name, lead_key=None, status=_status(times[-1], today), language="en",
        messages=tuple(DialogMessage(direction, text, at) for (direction, text), at in zip(turns, times, strict=True)),
        summary=_EN_SUMMARIES[scenario].format(**ctx), tags=(d.tag, *_SCENARIO_TAGS[scenario]),
        interest_level="hot" if booked else "warm", objections=() if booked else ("high price",),
        interests=(d.tag,), next_action=_NEXT_ACTIONS["booked" if booked else "thinking"],
        score=r.randint(60, 90) if booked else r.randint(35, 60), scenario=scenario,
    )


def _build_dialogs(leads: tuple[Lead, ...], campaigns: tuple[Campaign, ...], today: date) -> tuple[Dialog, ...]:
    directions = {d.name: d for d in _DIRECTIONS}
    cities = {a.id: a.targeting.city for c in campaigns for a in c.ad_sets}
    named = {p.name: p for p in _PINNED}
    messaging = [lead for lead in leads if lead.lead_type == "messaging"]
    chosen = {lead.key for lead in messaging[-_DIALOG_LEADS:]} | {lead.key for lead in messaging if lead.name in named}
    dialogs = []
    variants: Counter[tuple[str, str]] = Counter()
    for lead in messaging:
        if lead.key not in chosen:
            continue
        r = _rng("scenario", lead.key)
        pinned = named.get(lead.name)
        scenario, ending = (pinned.scenario, pinned.ending) if pinned else _scenario_for(lead, r)
        variant = variants[scenario, ending]
        variants[scenario, ending] += 1
        start = lead.created_at + timedelta(seconds=r.randrange(240))
        dialogs.append(_ru_dialog(
            lead.phone, lead.name, lead.gender, lead, directions[lead.direction],
            cities.get(lead.fb_adset_id or "", "Москва"), start, scenario, ending,
            variant if pinned is None or pinned.summary_variant is None else pinned.summary_variant, today,
        ))
    # People who wrote straight to the clinic's WhatsApp, not through a lead form or an ad.
    phones = _Phones({lead.phone for lead in leads} | {p for _, p, _, _ in _EN_CONTACTS})
    for i in range(4):
        r = _rng("walk-in", i)
        d = r.choice(_DIRECTIONS)
        name, gender = _person(r, d.female_share)
        scenario, ending = _scenario_for(None, r)
        start = _local(today - timedelta(days=r.randint(1, 35)), r.randint(9, 21), r.randrange(60))
        dialogs.append(_ru_dialog(
            phones.draw(r), name, gender, None, d, "Москва", start, scenario, ending, variants[scenario, ending], today
        ))
        variants[scenario, ending] += 1
    dialogs += [_en_dialog(name, phone, s, _DIRECTION_BY_KEY[key], today) for name, phone, s, key in _EN_CONTACTS]
    return tuple(sorted(dialogs, key=lambda dlg: dlg.messages[0].sent_at))


# ── memory: agent notes ─────────────────────────────────────────────────────────────────────


def _build_notes(
    campaigns: tuple[Campaign, ...], directions: tuple[Direction, ...], leads: tuple[Lead, ...],
    dialogs: tuple[Dialog, ...], today: date,
) -> tuple[AgentNote, ...]:
    """What the agents would have noted while working with this account (derived from the data)."""
    since = today - timedelta(days=30)
    spend: Counter[str] = Counter()
    got: Counter[str] = Counter()
    by_creative_spend: Counter[str] = Counter()
    by_creative_leads: Counter[str] = Counter()
    for c in campaigns:
        for a in c.ad_sets:
            for ad in a.ads:
                for s in ad.daily:
                    if s.date >= since and ad.direction:
                        spend[ad.direction] += s.spend_cents
                        got[ad.direction] += s.leads
                        by_creative_spend[ad.creative_title] += s.spend_cents
                        by_creative_leads[ad.creative_title] += s.leads
    cpl = {name: spend[name] / got[name] for name in spend if got[name]}
    best, worst = min(cpl, key=cpl.__getitem__), max(cpl, key=cpl.__getitem__)
    creative_cpl = {t: by_creative_spend[t] / n for t, n in by_creative_leads.items() if n >= 5}
    top = min(creative_cpl, key=creative_cpl.__getitem__)
    price = sum("высокая цена" in d.objections or "high price" in d.objections for d in dialogs)
    reached = Counter(change.to_stage for lead in leads for change in lead.history)
    consult_to_booked = round(100 * reached["Записана"] / max(1, reached["Консультация"]))
    paused = [d.name for d in directions if not d.is_active]
    notes = [
        AgentNote("ads", "direction_cpl_30d",
                  f"Лучшее направление по CPL за 30 дней — «{best}» (${cpl[best] / 100:.2f}), "
                  f"худшее — «{worst}» (${cpl[worst] / 100:.2f})", 0.8),
        AgentNote("creative", "top_creative_cpl",
                  f"Топ-креатив по CPL за 30 дней: «{top}» — ${creative_cpl[top] / 100:.2f}, "
                  f"{by_creative_leads[top]} лидов", 0.75),
        AgentNote("whatsapp", "objection_price",
                  f"Частое возражение в WhatsApp — цена ({price} из {len(dialogs)} диалогов); "
                  "помогает предложение рассрочки 0%", 0.7),
        AgentNote("crm", "funnel_consult_to_booked",
                  f"Узкое место воронки: из «Консультации» в «Записана» переходят {consult_to_booked}% лидов", 0.65),
    ]
    if paused:
        notes.append(AgentNote("ads", "paused_directions", f"На паузе направление: {', '.join(paused)}", 0.5))
    return tuple(notes)


# ── the world ───────────────────────────────────────────────────────────────────────────────


@lru_cache(maxsize=4)
def build_world(today: date) -> DemoWorld:
    """The demo clinic as of `today`: metrics cover the HISTORY_DAYS days before it."""
    campaigns = _build_campaigns(today)
    directions = _build_directions(campaigns, today)
    drafts = _lead_drafts(campaigns, today)
    _assign_people(drafts, today)
    now = _local(today)  # nothing in the CRM happens after the start of `today`
    leads = tuple(_finish_lead(d, now) for d in drafts)
    dialogs = _build_dialogs(leads, campaigns, today)
    return DemoWorld(
        today=today,
        seed=SEED,
        user=DemoUser(name="demo", language="ru"),
        account=DemoAccount(
            external_id="act_100200300400", name="Dental Clinic «Улыбка»", currency=CURRENCY,
            timezone=DEMO_TIMEZONE, business_name="Стоматология «Улыбка»",
            page_id=platform_id("page", "clinic", digits=15), pixel_id=platform_id("pixel", "site", digits=16),
            custom_conversion_id=CUSTOM_CONVERSION_ID, custom_conversion_name="Запись на консультацию",
            whatsapp_phone="+74951234567",
        ),
        directions=directions,
        campaigns=campaigns,
        creatives=_build_creatives(today),
        creative_tests=_build_tests(campaigns, today),
        funnel_stages=FUNNEL,
        leads=leads,
        purchases=_build_purchases(leads),
        dialogs=dialogs,
        notes=_build_notes(campaigns, directions, leads, dialogs, today),
        kpi_target_cpl_cents=2500,
        kpi_max_cpl_cents=4000,
        kpi_target_roi_percent=200,
    )

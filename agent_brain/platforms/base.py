"""The platform-neutral interface and unified models every ad platform adapter speaks.

Agents' tools see only these models: money in integer cents of the account currency, rates as
floats, statuses upper-case. Meta is the first adapter; TikTok, Google Ads or X plug in behind
the same `PlatformAdapter`.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"]
Level = Literal["account", "campaign", "adset", "ad"]
Breakdown = Literal["age", "gender", "publisher_platform", "platform_position", "device_platform", "impression_device",
                    "country", "region", "hourly_stats_aggregated_by_advertiser_time_zone"]
DatePreset = Literal[
    "today", "yesterday", "last_3d", "last_7d", "last_14d", "last_30d", "last_90d",
    "this_month", "last_month", "this_week_mon_today", "last_week_mon_sun", "maximum",
]

# Lead events per ARCHITECTURE.md §3. Meta reports the same event under several names
# (omni_*, onsite_web_*, …): only these families are counted, so nothing is summed twice.
LEAD_ACTION_TYPES = ("onsite_conversion.total_messaging_connection", "offsite_conversion.fb_pixel_lead")
LEAD_ACTION_PREFIXES = ("offsite_conversion.custom.",)


def leads_from_actions(actions: Sequence[dict[str, Any]] | None) -> int:
    total = 0
    for action in actions or ():
        kind = str(action.get("action_type", ""))
        if kind in LEAD_ACTION_TYPES or kind.startswith(LEAD_ACTION_PREFIXES):
            total += int(float(action.get("value", 0)))
    return total


class AdAccount(BaseModel):
    id: str
    name: str
    currency: str
    timezone: str | None = None
    status: str | None = None
    amount_spent_cents: int | None = None


class Targeting(BaseModel):
    countries: list[str] = Field(default_factory=list)
    cities: list[dict[str, Any]] = Field(default_factory=list)
    age_min: int | None = Field(default=None, ge=13, le=65)
    age_max: int | None = Field(default=None, ge=13, le=65)
    genders: list[int] = Field(default_factory=list, description="1 = male, 2 = female; empty = all")
    interests: list[dict[str, Any]] = Field(default_factory=list)
    publisher_platforms: list[str] = Field(default_factory=list)
    custom_audiences: list[str] = Field(default_factory=list)

    def to_graph(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        geo: dict[str, Any] = {}
        if self.countries:
            geo["countries"] = self.countries
        if self.cities:
            geo["cities"] = self.cities
        if geo:
            spec["geo_locations"] = geo
        for name in ("age_min", "age_max"):
            if getattr(self, name) is not None:
                spec[name] = getattr(self, name)
        if self.genders:
            spec["genders"] = self.genders
        if self.interests:
            spec["flexible_spec"] = [{"interests": self.interests}]
        if self.publisher_platforms:
            spec["publisher_platforms"] = self.publisher_platforms
        if self.custom_audiences:
            spec["custom_audiences"] = [{"id": a} for a in self.custom_audiences]
        return spec

    @classmethod
    def from_graph(cls, spec: dict[str, Any] | None) -> Targeting:
        spec = spec or {}
        geo = spec.get("geo_locations") or {}
        interests = [i for flex in spec.get("flexible_spec") or [] for i in flex.get("interests", [])]
        return cls(
            countries=geo.get("countries", []),
            cities=geo.get("cities", []),
            age_min=spec.get("age_min"),
            age_max=spec.get("age_max"),
            genders=spec.get("genders", []),
            interests=interests,
            publisher_platforms=spec.get("publisher_platforms", []),
            custom_audiences=[a["id"] for a in spec.get("custom_audiences", [])],
        )


class Campaign(BaseModel):
    id: str
    name: str
    status: Status
    effective_status: str | None = None
    objective: str | None = None
    daily_budget_cents: int | None = None
    lifetime_budget_cents: int | None = None
    created_time: dt.datetime | None = None


class AdSet(BaseModel):
    id: str
    campaign_id: str
    name: str
    status: Status
    effective_status: str | None = None
    daily_budget_cents: int | None = None
    optimization_goal: str | None = None
    billing_event: str | None = None
    targeting: Targeting | None = None
    created_time: dt.datetime | None = None


class Ad(BaseModel):
    id: str
    adset_id: str
    campaign_id: str | None = None
    name: str
    status: Status
    effective_status: str | None = None
    creative_id: str | None = None


class Creative(BaseModel):
    id: str
    name: str
    title: str | None = None
    body: str | None = None
    image_hash: str | None = None
    video_id: str | None = None
    call_to_action_type: str | None = None
    link_url: str | None = None


class Insight(BaseModel):
    """One row of insights: an object (or the account) over a date range, maybe one breakdown value."""

    level: Level
    object_id: str
    object_name: str | None = None
    date_start: dt.date
    date_stop: dt.date
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    link_clicks: int = 0
    spend_cents: int = 0
    leads: int = 0
    video_p25: int = 0
    video_p50: int = 0
    video_p75: int = 0
    video_p95: int = 0
    # Purchase value the platform attributes (TikTok, Google Ads); 0 where it reports none.
    conversion_value_cents: int = 0
    breakdowns: dict[str, str] = Field(default_factory=dict)

    @property
    def ctr(self) -> float:
        return round(100 * self.clicks / self.impressions, 2) if self.impressions else 0.0

    @property
    def cpm_cents(self) -> int | None:
        return round(self.spend_cents * 1000 / self.impressions) if self.impressions else None

    @property
    def cpl_cents(self) -> int | None:
        return round(self.spend_cents / self.leads) if self.leads else None


class CustomAudience(BaseModel):
    id: str
    name: str
    subtype: str
    approximate_count: int | None = None
    description: str | None = None


class Pixel(BaseModel):
    id: str
    name: str
    last_fired_time: dt.datetime | None = None


class WriteResult(BaseModel):
    """What a write did (or, in dry-run, would do)."""

    success: bool
    object_id: str
    applied: bool = True
    dry_run: bool = False
    changes: dict[str, Any] = Field(default_factory=dict)
    platform_response: dict[str, Any] = Field(default_factory=dict)


class InsightsQuery(BaseModel):
    level: Level = "campaign"
    object_id: str | None = None
    date_preset: DatePreset | None = "last_7d"
    since: dt.date | None = None
    until: dt.date | None = None
    time_increment: int | Literal["monthly", "all_days"] | None = None
    breakdowns: list[Breakdown] = Field(default_factory=list)


class PlatformAdapter(abc.ABC):
    """What the agents need from an ad platform. Writes accept `validate_only` (dry-run)."""

    platform: str

    @abc.abstractmethod
    async def list_ad_accounts(self) -> list[AdAccount]: ...

    @abc.abstractmethod
    async def list_campaigns(self, account_id: str, *, statuses: Sequence[Status] | None = None) -> list[Campaign]: ...

    @abc.abstractmethod
    async def get_campaign(self, campaign_id: str) -> Campaign: ...

    @abc.abstractmethod
    async def list_ad_sets(self, *, account_id: str | None = None, campaign_id: str | None = None) -> list[AdSet]: ...

    @abc.abstractmethod
    async def get_ad_set(self, ad_set_id: str) -> AdSet: ...

    @abc.abstractmethod
    async def list_ads(self, *, account_id: str | None = None, ad_set_id: str | None = None) -> list[Ad]: ...

    @abc.abstractmethod
    async def set_status(self, object_id: str, status: Status, *, validate_only: bool = False) -> WriteResult: ...

    @abc.abstractmethod
    async def update_daily_budget(
        self, object_id: str, daily_budget_cents: int, *, validate_only: bool = False
    ) -> WriteResult: ...

    @abc.abstractmethod
    async def insights(self, account_id: str, query: InsightsQuery) -> list[Insight]: ...

    async def object_version(self, object_id: str) -> str | None:
        """The platform's last-modified marker of a campaign or ad set (None: it keeps none)."""
        return None

    async def insights_async(self, account_id: str, query: InsightsQuery, *, poll_seconds: float = 1.0,
                             max_polls: int = 60) -> list[Insight]:
        """A long report; platforms without asynchronous report jobs answer it synchronously."""
        return await self.insights(account_id, query)

"""The dental clinic's TikTok and Google Ads accounts for the sandboxes, relative to the seed day.

Deterministic (hash-seeded draws, no clock): the same `today` always gives the same accounts and
60 days of delivery ending yesterday. Money in minor units of the account currency.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.sandbox.platform_state import PlatformSandboxState

HISTORY_DAYS = 60
TIKTOK_ADVERTISER_ID = "7301234567890123456"
GOOGLE_CUSTOMER_ID = "1234567890"
CURRENCY = "USD"
TIMEZONE = "Europe/Moscow"
BUSINESS = "Стоматология «Улыбка»"


@dataclass(frozen=True)
class _Plan:
    campaign: str
    status: str  # "ACTIVE" | "PAUSED"
    budget: int  # cents a day (TikTok: per ad group; Google: the campaign budget)
    groups: tuple[str, ...]
    cpm: int  # cents per 1000 impressions
    cvr: float  # leads per click
    aov: int  # purchase value per lead, cents (platform-attributed)


TIKTOK = (
    _Plan("TT — Имплантация (лиды)", "ACTIVE", 3000, ("Москва 30-55", "Казань 25-45"), 450, 0.06, 12000),
    _Plan("TT — Виниры (видео)", "ACTIVE", 2500, ("Москва 25-45 женщины",), 380, 0.04, 9000),
    _Plan("TT — Отбеливание (тест)", "PAUSED", 2000, ("Широкая аудитория",), 300, 0.02, 4000),
)
GOOGLE = (
    _Plan("Поиск — Имплантация зубов", "ACTIVE", 4000, ("Имплантация цена", "Имплант под ключ"), 2500, 0.09, 15000),
    _Plan("Поиск — Виниры", "ACTIVE", 2500, ("Виниры цена",), 2200, 0.07, 11000),
    _Plan("Performance Max — Стоматология", "PAUSED", 3000, ("Asset group 1",), 900, 0.03, 6000),
)


def _id(platform: str, key: str, digits: int) -> str:
    n = int.from_bytes(hashlib.sha256(f"{platform}/{key}".encode()).digest()[:8], "big")
    return ("17" if platform == "tiktok" else "2") + str(n % 10 ** (digits - 2)).zfill(digits - 2)


def _draw(key: str) -> float:
    """A uniform draw in [0, 1) fixed by `key`."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:6], "big") / 2**48


def _days(today: dt.date) -> list[dt.date]:
    return [today - dt.timedelta(days=HISTORY_DAYS - i) for i in range(HISTORY_DAYS)]


def _day_stats(platform: str, plan: _Plan, ad_id: str, day: dt.date, share: float, launched: dt.date) -> dict[str, int]:
    if day < launched:
        return {}
    noise = 0.75 + 0.5 * _draw(f"{platform}/{ad_id}/{day}")
    spend = round(plan.budget * share * noise)
    impressions = round(spend * 1000 / plan.cpm)
    ctr = 0.008 if platform == "tiktok" else 0.045
    clicks = round(impressions * ctr * (0.8 + 0.4 * _draw(f"ctr/{ad_id}/{day}")))
    leads = round(clicks * plan.cvr * (0.6 + 0.8 * _draw(f"cvr/{ad_id}/{day}")))
    return {"impressions": impressions, "reach": round(impressions * 0.7), "clicks": clicks, "spend_minor": spend,
            "conversions": leads, "conversion_value_minor": round(leads * plan.aov * 0.3)}


def tiktok_world(today: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    acct = TIKTOK_ADVERTISER_ID
    created = dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS), dt.time(9), dt.UTC)
    objects: list[dict[str, Any]] = [{"id": acct, "type": "account", "account_id": acct, "name": f"{BUSINESS} — TikTok",
                                      "fields": {"currency": CURRENCY, "timezone": TIMEZONE, "company": BUSINESS}}]
    stats: list[dict[str, Any]] = []
    for n, plan in enumerate(TIKTOK):
        campaign = _id("tiktok", plan.campaign, 19)
        status = "ENABLE" if plan.status == "ACTIVE" else "DISABLE"
        launched = today - dt.timedelta(days=HISTORY_DAYS - 10 * n)
        objects.append({"id": campaign, "type": "campaign", "account_id": acct, "name": plan.campaign, "status": status,
                        "created_time": created, "updated_time": created,
                        "fields": {"objective_type": "LEAD_GENERATION", "budget_mode": "BUDGET_MODE_INFINITE"}})
        for group in plan.groups:
            adgroup = _id("tiktok", f"{plan.campaign}/{group}", 19)
            objects.append({"id": adgroup, "type": "adgroup", "account_id": acct, "name": group, "status": status,
                            "parent_id": campaign, "campaign_id": campaign, "created_time": created,
                            "updated_time": created,
                            "fields": {"budget_mode": "BUDGET_MODE_DAY", "budget_minor": plan.budget,
                                       "optimization_goal": "LEAD_GENERATION", "billing_event": "OCPM"}})
            for video in ("Видео-отзыв пациента", "До/после"):
                ad = _id("tiktok", f"{plan.campaign}/{group}/{video}", 19)
                objects.append({"id": ad, "type": "ad", "account_id": acct, "name": f"{video} · {group}",
                                "status": "ENABLE", "parent_id": adgroup, "campaign_id": campaign,
                                "created_time": created, "updated_time": created})
                stats.extend(_stats_rows("tiktok", plan, acct, campaign, adgroup, ad, today, launched, 0.5))
    return objects, stats


def google_world(today: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    acct = GOOGLE_CUSTOMER_ID
    created = dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS), dt.time(9), dt.UTC)
    objects: list[dict[str, Any]] = [{"id": acct, "type": "account", "account_id": acct, "name": f"{BUSINESS} — Google Ads",
                                      "fields": {"currency": CURRENCY, "timezone": TIMEZONE}}]
    stats: list[dict[str, Any]] = []
    for n, plan in enumerate(GOOGLE):
        campaign = _id("google", plan.campaign, 11)
        budget = _id("google", f"budget/{plan.campaign}", 11)
        status = "ENABLED" if plan.status == "ACTIVE" else "PAUSED"
        launched = today - dt.timedelta(days=HISTORY_DAYS - 10 * n)
        channel = "PERFORMANCE_MAX" if "Performance" in plan.campaign else "SEARCH"
        objects.append({"id": budget, "type": "budget", "account_id": acct, "name": f"Бюджет · {plan.campaign}",
                        "status": "ENABLED", "fields": {"amount_minor": plan.budget, "delivery_method": "STANDARD"}})
        objects.append({"id": campaign, "type": "campaign", "account_id": acct, "name": plan.campaign, "status": status,
                        "created_time": created, "updated_time": created,
                        "fields": {"budget_id": budget, "advertising_channel_type": channel}})
        for group in plan.groups:
            ad_group = _id("google", f"{plan.campaign}/{group}", 11)
            objects.append({"id": ad_group, "type": "adgroup", "account_id": acct, "name": group, "status": status,
                            "parent_id": campaign, "campaign_id": campaign, "created_time": created,
                            "updated_time": created, "fields": {"type": "SEARCH_STANDARD"}})
            ad = _id("google", f"{plan.campaign}/{group}/rsa", 11)
            objects.append({"id": ad, "type": "ad", "account_id": acct, "name": f"RSA · {group}", "status": "ENABLED",
                            "parent_id": ad_group, "campaign_id": campaign, "created_time": created,
                            "updated_time": created, "fields": {"type": "RESPONSIVE_SEARCH_AD"}})
            stats.extend(_stats_rows("google", plan, acct, campaign, ad_group, ad, today, launched,
                                     1 / len(plan.groups)))
    return objects, stats


def _stats_rows(platform: str, plan: _Plan, acct: str, campaign: str, adgroup: str, ad: str, today: dt.date,
                launched: dt.date, share: float) -> list[dict[str, Any]]:
    rows = []
    for day in _days(today):
        counts = _day_stats(platform, plan, ad, day, share, launched)
        # A paused campaign stopped delivering two weeks ago.
        if counts and not (plan.status == "PAUSED" and day > today - dt.timedelta(days=14)):
            rows.append({"ad_id": ad, "date": day, "account_id": acct, "campaign_id": campaign,
                         "adgroup_id": adgroup, **counts})
    return rows


async def seed_platform_sandboxes(engine: AsyncEngine, today: dt.date) -> dict[str, int]:
    """Insert both accounts into their sandboxes (idempotent); returns rows inserted per table."""
    inserted: dict[str, int] = {}
    for platform, world in (("tiktok", tiktok_world), ("google", google_world)):
        objects, stats = world(today)
        for table, n in (await PlatformSandboxState(engine, platform).insert(objects, stats)).items():
            inserted[table] = inserted.get(table, 0) + n
    return inserted

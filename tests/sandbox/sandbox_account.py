"""A small hand-built sandbox account: 1 account, 2 campaigns, 3 ad sets, 4 ads, 10 days of stats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx

from agent_brain.platforms.sandbox.emulator import GraphEmulator
from agent_brain.platforms.sandbox.faults import FaultInjector
from agent_brain.platforms.sandbox.state import SandboxState

TODAY = dt.date(2026, 3, 15)
ACCOUNT = "act_42"
TOKEN = "sandbox-token-123"


@dataclass
class Sandbox:
    client: httpx.AsyncClient
    emulator: GraphEmulator
    faults: FaultInjector

    async def get(self, path: str, **params: object) -> httpx.Response:
        return await self.client.get(f"/v26.0/{path}", params={"access_token": TOKEN, **_enc(params)})

    async def post(self, path: str, **data: object) -> httpx.Response:
        return await self.client.post(f"/v26.0/{path}", data={"access_token": TOKEN, **_enc(data)})

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(f"/v26.0/{path}", params={"access_token": TOKEN})


def _enc(params: dict[str, object]) -> dict[str, str]:
    import json

    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


async def seed_small_account(state: SandboxState) -> None:
    objects = [
        {"id": ACCOUNT, "type": "adaccount", "account_id": ACCOUNT, "name": "Test Clinic",
             "fields": {"currency": "USD", "timezone_name": "Europe/Moscow"}},
        {"id": "1001", "type": "campaign", "account_id": ACCOUNT, "name": "Имплантация Москва", "status": "ACTIVE",
             "fields": {"objective": "OUTCOME_LEADS", "special_ad_categories": []}},
        {"id": "1002", "type": "campaign", "account_id": ACCOUNT, "name": "Виниры СПб", "status": "ACTIVE",
             "fields": {"objective": "MESSAGES", "special_ad_categories": [], "daily_budget": 5000}},
        {"id": "2001", "type": "adset", "account_id": ACCOUNT, "name": "Москва 25-45", "status": "ACTIVE", "parent_id": "1001",
             "campaign_id": "1001", "fields": {"daily_budget": 3000, "billing_event": "IMPRESSIONS",
                                         "optimization_goal": "LEAD_GENERATION",
                                         "targeting": {"geo_locations": {"countries": ["RU"]}, "age_min": 25,
                                                       "age_max": 45}}},
        {"id": "2002", "type": "adset", "account_id": ACCOUNT, "name": "Москва 45+", "status": "PAUSED", "parent_id": "1001",
             "campaign_id": "1001", "fields": {"daily_budget": 2000, "targeting": {"geo_locations": {"countries": ["RU"]}}}},
        {"id": "2003", "type": "adset", "account_id": ACCOUNT, "name": "СПб все", "status": "ACTIVE", "parent_id": "1002",
             "campaign_id": "1002", "fields": {"targeting": {"geo_locations": {"countries": ["RU"]}}}},
        {"id": "5001", "type": "adcreative", "account_id": ACCOUNT, "name": "Имплантация за 1 день",
             "fields": {"title": "Имплантация за 1 день", "video_id": "777"}},
        {"id": "3001", "type": "ad", "account_id": ACCOUNT, "name": "Ad A", "status": "ACTIVE", "parent_id": "2001",
             "campaign_id": "1001", "adset_id": "2001", "fields": {"creative_id": "5001"}},
        {"id": "3002", "type": "ad", "account_id": ACCOUNT, "name": "Ad B", "status": "ACTIVE", "parent_id": "2002",
             "campaign_id": "1001", "adset_id": "2002", "fields": {"creative_id": "5001"}},
        {"id": "3003", "type": "ad", "account_id": ACCOUNT, "name": "Ad C", "status": "ACTIVE", "parent_id": "2003",
             "campaign_id": "1002", "adset_id": "2003", "fields": {"creative_id": "5001"}},
        {"id": "3004", "type": "ad", "account_id": ACCOUNT, "name": "Ad D", "status": "PAUSED", "parent_id": "2003",
             "campaign_id": "1002", "adset_id": "2003", "fields": {"creative_id": "5001"}},
        {"id": "9001", "type": "adspixel", "account_id": ACCOUNT, "name": "Clinic pixel",
             "fields": {"event_counts": {"PageView": 1200, "Lead": 37}}},
    ]
    await state.insert_objects(objects)
    stats = []
    for ad_id, campaign, adset, base in (("3001", "1001", "2001", 10), ("3002", "1001", "2002", 5),
                                         ("3003", "1002", "2003", 7)):
        for i in range(10):
            day = TODAY - dt.timedelta(days=10 - i)
            stats.append({
                "ad_id": ad_id, "date": day, "account_id": ACCOUNT, "campaign_id": campaign, "adset_id": adset,
                "impressions": base * 1000 + i, "reach": base * 800, "clicks": base * 15, "link_clicks": base * 12,
                "spend_cents": base * 1000 + i * 10,
                "actions": [{"action_type": "onsite_conversion.total_messaging_connection", "value": base // 5 + 1},
                         {"action_type": "offsite_conversion.fb_pixel_lead", "value": 1},
                         {"action_type": "offsite_conversion.custom.123", "value": 1 if i % 2 else 0},
                         {"action_type": "link_click", "value": base * 12}],
                "video_p25": base * 100, "video_p50": base * 60, "video_p75": base * 30, "video_p95": base * 10,
            })
    await state.insert_stats(stats)

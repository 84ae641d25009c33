"""Fill the sandbox account from the demo world, so Graph and the business tables tell one story."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.demo.world import DemoWorld
from agent_brain.platforms.sandbox.state import SandboxState


def sandbox_objects(world: DemoWorld) -> list[dict[str, Any]]:
    account = world.account
    acct = account.external_id
    rows: list[dict[str, Any]] = [
        {"id": acct, "type": "adaccount", "account_id": acct, "name": account.name,
         "fields": {"currency": account.currency, "timezone_name": account.timezone,
                    "business_name": account.business_name}},
        {"id": account.pixel_id, "type": "adspixel", "account_id": acct, "name": f"{account.business_name} pixel",
         "fields": {"event_counts": _pixel_events(world)}},
    ]
    for creative in world.creatives:
        rows.append({
            "id": creative.fb_creative_id, "type": "adcreative", "account_id": acct, "name": creative.title,
            "created_time": creative.created_at,
            "fields": {"title": creative.headline, "body": creative.body, "video_id": creative.video_id,
                       "object_story_spec": {"page_id": account.page_id}},
        })
    for campaign in world.campaigns:
        rows.append({
            "id": campaign.id, "type": "campaign", "account_id": acct, "name": campaign.name,
            "status": campaign.status, "created_time": campaign.created_time, "updated_time": campaign.created_time,
            "fields": {"objective": campaign.objective, "buying_type": campaign.buying_type,
                       "special_ad_categories": []},
        })
        for ad_set in campaign.ad_sets:
            t = ad_set.targeting
            targeting: dict[str, Any] = {
                "geo_locations": {"countries": [t.country],
                                  "cities": [{"key": t.city_key, "name": t.city, "radius": t.radius_km,
                                              "distance_unit": "kilometer"}]},
                "age_min": t.age_min, "age_max": t.age_max,
            }
            if t.genders:
                targeting["genders"] = list(t.genders)
            rows.append({
                "id": ad_set.id, "type": "adset", "account_id": acct, "name": ad_set.name, "status": ad_set.status,
                "parent_id": campaign.id, "campaign_id": campaign.id, "created_time": ad_set.created_time,
                "updated_time": ad_set.created_time,
                "fields": {"daily_budget": ad_set.daily_budget_cents, "targeting": targeting,
                           "optimization_goal": ad_set.optimization_goal, "billing_event": ad_set.billing_event,
                           "bid_strategy": campaign.bid_strategy, "destination_type": ad_set.destination_type},
            })
            for ad in ad_set.ads:
                rows.append({
                    "id": ad.id, "type": "ad", "account_id": acct, "name": ad.name, "status": ad.status,
                    "parent_id": ad_set.id, "campaign_id": campaign.id, "adset_id": ad_set.id,
                    "created_time": ad.created_time, "updated_time": ad.created_time,
                    "fields": {"creative_id": ad.fb_creative_id},
                })
    return rows


def sandbox_stats(world: DemoWorld) -> list[dict[str, Any]]:
    acct = world.account.external_id
    return [
        {
            "ad_id": ad.id, "date": day.date, "account_id": acct, "campaign_id": campaign.id,
            "adset_id": ad_set.id, "impressions": day.impressions, "reach": day.reach, "clicks": day.clicks,
            "link_clicks": day.link_clicks, "spend_cents": day.spend_cents,
            "actions": [{"action_type": kind, "value": n} for kind, n in day.actions],
            "video_p25": day.video_p25, "video_p50": day.video_p50, "video_p75": day.video_p75,
            "video_p95": day.video_p95,
        }
        for campaign, ad_set, ad in world.ads()
        for day in ad.daily
    ]


def _pixel_events(world: DemoWorld) -> dict[str, int]:
    pixel_leads = sum(day.pixel_leads for _, _, ad in world.ads() for day in ad.daily)
    link_clicks = sum(day.link_clicks for _, _, ad in world.ads() for day in ad.daily)
    return {"PageView": link_clicks, "ViewContent": link_clicks // 2, "Lead": pixel_leads}


async def seed_sandbox(engine: AsyncEngine, world: DemoWorld) -> dict[str, int]:
    """Insert the world's account into the sandbox; existing objects and days are kept (idempotent).

    State changed through the API (a paused campaign, a new budget) therefore survives re-seeding.
    Returns the rows inserted per table.
    """
    state = SandboxState(engine)
    return {
        "sandbox_objects": await state.insert_objects(sandbox_objects(world)),
        "sandbox_ad_stats": await state.insert_stats(sandbox_stats(world)),
    }

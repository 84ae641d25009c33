"""The Graph sandbox serves the demo world: same entities and the same numbers as the business tables."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.demo.seed import seed_demo
from agent_brain.demo.world import DEMO_TIMEZONE
from agent_brain.platforms.base import InsightsQuery
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app

ACCOUNT = "act_100200300400"


def _adapter(engine: AsyncEngine) -> MetaAdapter:
    transport = httpx.ASGITransport(app=create_sandbox_app(engine))
    return MetaAdapter(GraphClient("demo-token", transport=transport, breaker=BreakerRegistry().get("meta")))


async def test_named_entities_of_seed_002_exist_on_the_platform(demo_engine: AsyncEngine) -> None:
    meta = _adapter(demo_engine)
    async with meta.client:
        campaigns = {c.name: c for c in await meta.list_campaigns(ACCOUNT)}
        assert {"Имплантация Москва", "Виниры СПб"} <= set(campaigns)
        ad_sets = await meta.list_ad_sets(campaign_id=campaigns["Имплантация Москва"].id)
        assert "Москва 25-45" in {s.name for s in ad_sets}


async def test_platform_spend_equals_the_business_history(demo_engine: AsyncEngine) -> None:
    meta = _adapter(demo_engine)
    async with meta.client:
        rows = await meta.insights(ACCOUNT, InsightsQuery(level="campaign", date_preset="last_30d"))
    by_campaign = {r.object_id: (r.spend_cents, r.leads) for r in rows}
    async with demo_engine.connect() as conn:
        db = (await conn.execute(text(
            "SELECT m.fb_campaign_id, sum(h.spend_cents), sum(h.leads) FROM creative_metrics_history h "
            "JOIN ad_creative_mapping m ON m.fb_ad_id = h.fb_ad_id "
            # last_30d: the account's 30 days up to yesterday (typed: asyncpg would take `:today - 30` for an int)
            "WHERE h.date >= CAST(:today AS date) - 30 AND h.date < CAST(:today AS date) "
            "GROUP BY m.fb_campaign_id"
        ), {"today": clock.today_in(DEMO_TIMEZONE)})).all()
    assert db and {cid: (int(s), int(n)) for cid, s, n in db} == by_campaign


async def test_reseeding_keeps_changes_made_through_the_api(demo_engine: AsyncEngine) -> None:
    meta = _adapter(demo_engine)
    async with meta.client:
        campaign = next(c for c in await meta.list_campaigns(ACCOUNT) if c.name == "Виниры СПб")
        await meta.set_status(campaign.id, "PAUSED")
        report = await seed_demo(demo_engine)
        assert report.inserted["sandbox_objects"] == 0 and report.inserted["sandbox_ad_stats"] == 0
        assert (await meta.get_campaign(campaign.id)).status == "PAUSED"

"""Reading back the creative writes that create objects: a launch, an A/B test, an analysis.

These writes make something new (an ad, a test's ad set, an analysis row) whose id is only known
after the call, so they are found by what the journal row recorded before it (`target` locator):
the ad set and the platform creative of a launch with the ads already there, the number of tests
the creative had, the analysis id chosen in advance. The tools read through the same functions,
so an in-process timeout and a recovery after a crash settle the outcome the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import AdCreativeMapping, Creative, CreativeAnalysis, CreativeTest
from agent_brain.platforms.meta.adapter import MetaAdapter


async def _scalar(engine: AsyncEngine, stmt: Any) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(stmt)).scalar()


async def launched_ad(meta: MetaAdapter, *, ad_set_id: str, fb_creative_id: str, existing: list[str]) -> Any:
    """The ad a launch created: one in the ad set showing the creative that was not there before
    (an ACTIVE one first), or None if the launch never reached the platform."""
    new = [ad for ad in await meta.list_ads(ad_set_id=ad_set_id)
           if ad.creative_id == fb_creative_id and ad.id not in set(existing)]
    new.sort(key=lambda ad: (ad.status != "ACTIVE", ad.id))
    return new[0] if new else None


async def read_launch(action_target: dict[str, Any], creative_id: uuid.UUID, *, meta: MetaAdapter,
                      engine: AsyncEngine) -> dict[str, Any]:
    """`ad_status` of the launched ad and the creative's `creative_status`.

    An ad found on the platform but missing from our mapping (the process died between the call
    and its bookkeeping) is recorded now: the platform is the source of truth, and a launch that
    reached it must not be retried as if it had not.
    """
    ad = await launched_ad(meta, ad_set_id=action_target["ad_set_id"], fb_creative_id=action_target["fb_creative_id"],
                           existing=list(action_target.get("existing_ads", [])))
    if ad is not None and ad.status == "ACTIVE":
        async with engine.begin() as conn:
            mapped = (await conn.execute(select(AdCreativeMapping.id).where(
                AdCreativeMapping.fb_ad_id == ad.id))).scalar()
            if mapped is None:
                account = (await conn.execute(select(Creative.ad_account_id).where(
                    Creative.id == creative_id))).scalar()
                await conn.execute(insert(AdCreativeMapping).values(
                    ad_account_id=account, fb_ad_id=ad.id, fb_adset_id=ad.adset_id,
                    fb_campaign_id=action_target.get("campaign_id") or ad.campaign_id, creative_id=creative_id,
                    direction_id=uuid.UUID(action_target["direction_id"])))
                await conn.execute(update(Creative).where(Creative.id == creative_id).values(status="active"))
    status = await _scalar(engine, select(Creative.status).where(Creative.id == creative_id))
    return {"ad_status": ad.status if ad is not None else None, "creative_status": status}


async def read_test(creative_id: uuid.UUID, earlier_tests: int, *, meta: MetaAdapter,
                    engine: AsyncEngine) -> dict[str, Any]:
    """The test a start created (the creative's test beyond the `earlier_tests` it had): its status,
    its ad set's and its ad's platform status; all None when no test was recorded."""
    none = {"test_status": None, "ad_set_status": None, "ad_status": None}
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(CreativeTest)
                                    .where(CreativeTest.creative_id == creative_id))).scalar_one()
        if count <= earlier_tests:
            return none
        test = (await conn.execute(select(CreativeTest.status, CreativeTest.fb_adset_id)
                                   .where(CreativeTest.creative_id == creative_id)
                                   .order_by(CreativeTest.started_at.desc(), CreativeTest.id).limit(1))).first()
    if test is None or not test.fb_adset_id:
        return {**none, "test_status": test.status if test else None}
    ad_set = await meta.get_ad_set(test.fb_adset_id)
    ads = await meta.list_ads(ad_set_id=test.fb_adset_id)
    ad_status = next((ad.status for ad in sorted(ads, key=lambda a: (a.status != "ACTIVE", a.id))), None)
    return {"test_status": test.status, "ad_set_status": ad_set.status, "ad_status": ad_status}


async def read_analysis(creative_id: uuid.UUID, analysis_id: str, *, engine: AsyncEngine) -> dict[str, Any]:
    """`analysis_id`: the planned analysis if it was stored, else the creative's latest (or None)."""
    stored = await _scalar(engine, select(CreativeAnalysis.id).where(
        CreativeAnalysis.id == uuid.UUID(analysis_id), CreativeAnalysis.creative_id == creative_id))
    if stored is None:
        stored = await _scalar(engine, select(CreativeAnalysis.id).where(CreativeAnalysis.creative_id == creative_id)
                               .order_by(CreativeAnalysis.created_at.desc(), CreativeAnalysis.id).limit(1))
    return {"analysis_id": str(stored) if stored else None}

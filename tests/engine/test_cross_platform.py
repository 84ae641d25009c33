"""Meta, TikTok and Google Ads side by side: the demo clinic on all three sandboxes, the real agents.

Totals across platforms equal the sum of the platforms (each checked against its own sandbox
tables), a read names one platform or covers all, an outage of one leaves the others answering
with a caveat, and pause/budget writes go through the write path on each platform.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from turns import final_text, new_conversation, turn

from agent_brain import clock
from agent_brain.agents.ads.args import (
    CampaignRefArgs,
    GetCampaignsArgs,
    GetSpendReportArgs,
    UpdateBudgetArgs,
)
from agent_brain.agents.ads.tools import tools as ads_tools
from agent_brain.demo.seed import seed_other_platforms
from agent_brain.demo.world import DEMO_TIMEZONE
from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client
from agent_brain.platforms.google.sandbox import create_google_sandbox_app
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.sandbox.platform_seed import GOOGLE_CUSTOMER_ID, TIKTOK_ADVERTISER_ID
from agent_brain.platforms.sandbox.platform_state import PlatformFaults
from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app
from agent_brain.stores.users import UserStore
from agent_brain.tools.registry import run_tool

META = "act_100200300400"


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def multi(product: dict[str, Any]):  # type: ignore[no-untyped-def]
    engine: AsyncEngine = product["engine"]
    inserted: dict[str, int] = {}
    await seed_other_platforms(engine, UserStore(engine), product["user_id"], clock.today_in(DEMO_TIMEZONE),
                               ("tiktok", "google"), inserted)
    faults = {"tiktok": PlatformFaults(), "google": PlatformFaults()}
    breakers = BreakerRegistry()
    async with (
        tiktok_client("tt-token-0123456789", transport=httpx.ASGITransport(
            app=create_tiktok_sandbox_app(engine, faults=faults["tiktok"])), breaker=breakers.get("tiktok"),
            sleep=_no_sleep) as tt,
        google_client("g-token-0123456789", "dev-0123456789", transport=httpx.ASGITransport(
            app=create_google_sandbox_app(engine, faults=faults["google"])), breaker=breakers.get("google"),
            sleep=_no_sleep) as gg,
    ):
        platforms = {"tiktok": TikTokAdapter(tt), "google": GoogleAdsAdapter(gg)}
        yield {**product, "platforms": platforms, "faults": faults,
               "build": lambda **kw: product["build"](platforms=platforms, **kw)}


async def _tool(orch: Any, user_id: Any, name: str, args: Any, **ctx_kw: Any) -> dict[str, Any]:
    ctx = await orch.context_for(user_id, **ctx_kw)
    outcome = await run_tool(ads_tools.get(name), args, ctx)
    assert outcome.success, outcome.error
    return outcome.data  # type: ignore[return-value]


async def _stored_spend(engine: AsyncEngine, period: dict[str, str]) -> dict[str, int]:
    """Each platform's spend over the period, straight from its sandbox's tables."""
    f, t = dt.date.fromisoformat(period["from"]), dt.date.fromisoformat(period["to"])
    async with engine.connect() as conn:
        meta = (await conn.execute(text("SELECT coalesce(sum(spend_cents), 0) FROM sandbox_ad_stats "
                                        "WHERE account_id = :a AND date BETWEEN :f AND :t"),
                                   {"a": META, "f": f, "t": t})).scalar_one()
        others = dict((await conn.execute(text(
            "SELECT platform, coalesce(sum(spend_minor), 0) FROM sandbox_platform_stats "
            "WHERE date BETWEEN :f AND :t GROUP BY platform"), {"f": f, "t": t})).all())
    return {"meta": meta, **others}


async def test_spend_by_platform_total_is_the_sum_of_the_platforms(multi) -> None:  # type: ignore[no-untyped-def]
    orch = multi["build"]()
    data = await _tool(orch, multi["user_id"], "getSpendReport", GetSpendReportArgs(groupBy="platform",
                                                                                   period="last_7d"))
    per = {b["platform"]: b for b in data["by_platform"]}
    assert set(per) == {"meta", "tiktok", "google"}
    stored = await _stored_spend(multi["engine"], data["period"])
    assert {p: b["spend_cents"] for p, b in per.items()} == stored
    assert data["total"]["spend_cents"] == sum(stored.values()) == sum(b["spend_cents"] for b in per.values())
    assert data["total"]["leads"] == sum(b["leads"] for b in per.values())
    assert per["tiktok"]["roas"] is not None and per["google"]["roas"] is not None
    assert not data["caveats"] and "TikTok" in data["message"] and "Google Ads" in data["message"]


async def test_campaigns_cover_every_platform_or_the_named_one(multi) -> None:  # type: ignore[no-untyped-def]
    orch = multi["build"]()
    everything = await _tool(orch, multi["user_id"], "getCampaigns", GetCampaignsArgs(period="last_7d"))
    assert {i["platform"] for i in everything["items"]} == {"meta", "tiktok", "google"}
    assert everything["total"]["spend_cents"] == sum(b["spend_cents"] for b in everything["by_platform"])
    assert everything["total"]["spend_cents"] == sum(i["spend_cents"] for i in everything["items"])
    tiktok = await _tool(orch, multi["user_id"], "getCampaigns", GetCampaignsArgs(period="last_7d", platform="tiktok"))
    assert {i["platform"] for i in tiktok["items"]} == {"tiktok"} and len(tiktok["items"]) == 3
    assert tiktok["by_platform"][0]["spend_cents"] == next(
        b["spend_cents"] for b in everything["by_platform"] if b["platform"] == "tiktok")


async def test_one_platform_down_the_others_answer_with_a_caveat(multi) -> None:  # type: ignore[no-untyped-def]
    orch = multi["build"]()
    multi["faults"]["tiktok"].inject("server_error", times=100)
    data = await _tool(orch, multi["user_id"], "getSpendReport", GetSpendReportArgs(groupBy="platform",
                                                                                   period="last_7d"))
    assert {b["platform"] for b in data["by_platform"]} == {"meta", "google"}
    assert [c["platform"] for c in data["caveats"]] == ["tiktok"] and "TikTok" in data["caveats"][0]["error"]
    stored = await _stored_spend(multi["engine"], data["period"])
    assert data["total"]["spend_cents"] == stored["meta"] + stored["google"]
    assert "⚠️ TikTok" in data["message"]


async def test_pause_a_tiktok_campaign_through_the_write_path(multi) -> None:  # type: ignore[no-untyped-def]
    orch = multi["build"]()
    tiktok: TikTokAdapter = multi["platforms"]["tiktok"]
    campaign = next(c for c in await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID) if c.status == "ACTIVE")
    data = await _tool(orch, multi["user_id"], "pauseCampaign", CampaignRefArgs(campaignId=campaign.id))
    assert data["verification"]["verified"] and (await tiktok.get_campaign(campaign.id)).status == "PAUSED"
    again = await _tool(orch, multi["user_id"], "pauseCampaign", CampaignRefArgs(campaignId=campaign.id))
    assert again.get("no_change")
    async with multi["engine"].connect() as conn:
        journal = (await conn.execute(text("SELECT tool, status, target_id FROM ai_actions WHERE target_id = :id"),
                                      {"id": campaign.id})).all()
    assert ("pauseCampaign", "verified", campaign.id) in [tuple(r) for r in journal]


async def test_google_budget_goes_to_the_campaign_budget(multi) -> None:  # type: ignore[no-untyped-def]
    orch = multi["build"]()
    google: GoogleAdsAdapter = multi["platforms"]["google"]
    campaign = next(c for c in await google.list_campaigns(GOOGLE_CUSTOMER_ID) if "Виниры" in c.name)
    group = (await google.list_ad_sets(campaign_id=campaign.id))[0]
    data = await _tool(orch, multi["user_id"], "updateBudget", UpdateBudgetArgs(adsetId=group.id,
                                                                               dailyBudgetCents=3700))
    assert data["verification"]["verified"] and data["budget_level"] == "campaign"
    assert (await google.get_campaign(campaign.id)).daily_budget_cents == 3700


async def test_accounts_of_every_platform_are_listed(multi) -> None:  # type: ignore[no-untyped-def]
    orch = multi["build"]()
    data = await _tool(orch, multi["user_id"], "listAdAccounts", ads_tools.get("listAdAccounts").args_model())
    assert {i["platform"]: i["id"] for i in data["items"]} == {"meta": META, "tiktok": TIKTOK_ADVERTISER_ID,
                                                              "google": GOOGLE_CUSTOMER_ID}


@pytest.mark.parametrize(("message", "platforms"), [
    ("Покажи кампании в TikTok", {"TikTok"}),
    ("расход за неделю по всем площадкам", {"Meta", "TikTok", "Google Ads"}),
    ("compare CPL on Meta, TikTok and Google this month", {"Meta", "TikTok", "Google Ads"}),
    ("TikTok ROAS", {"TikTok"}),
])
async def test_chat_answers_per_platform(multi, message: str, platforms: set[str]) -> None:  # type: ignore[no-untyped-def]
    orch = multi["build"]()
    conv = await new_conversation(orch, multi["user_id"])
    events = await turn(orch, multi["user_id"], conv, message)
    results = [e for e in events if e["type"] == "tool_result"]
    assert results and all(r["success"] for r in results), events
    reply = final_text(events)
    for name in platforms:
        assert name in reply, reply
    for name in {"Meta", "TikTok", "Google Ads"} - platforms:
        assert f"• {name}:" not in reply, reply


async def test_chat_pause_on_tiktok_plan_journal_and_undo(multi) -> None:  # type: ignore[no-untyped-def]
    import uuid

    orch = multi["build"]()
    tiktok: TikTokAdapter = multi["platforms"]["tiktok"]
    campaign = next(c for c in await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID) if c.name == "TT — Виниры (видео)")
    conv = await new_conversation(orch, multi["user_id"], "plan")
    events = await turn(orch, multi["user_id"], conv, "Поставь на паузу кампанию TT — Виниры (видео)")
    approval = next(e for e in events if e["type"] == "approval_required")
    assert approval["plan"]["steps"][0]["params"]["campaignId"] == campaign.id
    assert (await tiktok.get_campaign(campaign.id)).status == "ACTIVE"  # nothing before the approval
    executed = [e.to_json() async for e in orch.execute_plan(multi["user_id"], uuid.UUID(approval["plan_id"]))]
    step = next(e for e in executed if e["type"] == "step_result")
    assert step["success"] and step["result"]["verification"]["verified"]
    assert (await tiktok.get_campaign(campaign.id)).status == "PAUSED"
    async with multi["engine"].connect() as conn:
        platform = (await conn.execute(text("SELECT platform FROM ai_actions WHERE target_id = :id"),
                                       {"id": campaign.id})).scalar_one()
    assert platform == "tiktok"
    undo = await turn(orch, multi["user_id"], conv, "отмени последнее изменение")
    plan = next(e for e in undo if e["type"] == "approval_required")
    [e async for e in orch.execute_plan(multi["user_id"], uuid.UUID(plan["plan_id"]))]
    assert (await tiktok.get_campaign(campaign.id)).status == "ACTIVE"


async def test_campaign_details_and_ad_sets_on_the_owning_platform(multi) -> None:  # type: ignore[no-untyped-def]
    from agent_brain.agents.ads.args import CampaignArgs

    orch = multi["build"]()
    google: GoogleAdsAdapter = multi["platforms"]["google"]
    tiktok: TikTokAdapter = multi["platforms"]["tiktok"]
    g_campaign = next(c for c in await google.list_campaigns(GOOGLE_CUSTOMER_ID) if c.status == "ACTIVE")
    details = await _tool(orch, multi["user_id"], "getCampaignDetails",
                          CampaignArgs(campaignId=g_campaign.id, period="last_7d"))
    item = details["item"]
    assert item["name"] == g_campaign.name and item["ad_sets"] and item["ads"]
    assert item["spend_cents"] == sum(s["spend_cents"] for s in item["ad_sets"]) > 0
    t_campaign = next(c for c in await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID) if c.status == "ACTIVE")
    groups = await _tool(orch, multi["user_id"], "getAdSets", CampaignArgs(campaignId=t_campaign.id,
                                                                          period="last_7d", platform="tiktok"))
    assert groups["campaign"]["id"] == t_campaign.id and groups["count"] == len(
        await tiktok.list_ad_sets(campaign_id=t_campaign.id))
    with pytest.raises(AssertionError, match="not found|не найден"):  # not on Meta: said, not guessed
        await _tool(orch, multi["user_id"], "getAdSets", CampaignArgs(campaignId=t_campaign.id, platform="meta"))


async def test_meta_only_user_asking_about_tiktok_is_told_it_is_not_linked(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"])
    events = await turn(orch, product["user_id"], conv, "Покажи кампании в TikTok")
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["tool"] == "getCampaigns" and not result["success"]
    assert "TikTok не подключён" in final_text(events) and "Meta" in final_text(events)


@pytest.mark.parametrize(("message", "platform", "tool"), [
    ("Поставь бюджет группы Казань 25-45 в тикток $45 в день", "tiktok", "updateBudget"),
    ("Поставь на паузу группу Виниры цена в Google", "google", "pauseAdSet"),
    ("Pause the ad set Москва 30-55 in TikTok", "tiktok", "pauseAdSet"),
])
async def test_chat_writes_on_each_platform_after_approval(multi, message: str, platform: str, tool: str) -> None:  # type: ignore[no-untyped-def]
    import uuid

    orch = multi["build"]()
    conv = await new_conversation(orch, multi["user_id"], "plan")
    events = await turn(orch, multi["user_id"], conv, message)
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    assert step["action"] == tool and step["params"]["platform"] == platform
    adapter = multi["platforms"][platform]
    before = await adapter.get_ad_set(step["params"]["adsetId"])
    executed = [e.to_json() async for e in orch.execute_plan(multi["user_id"], uuid.UUID(approval["plan_id"]))]
    result = next(e for e in executed if e["type"] == "step_result")
    assert result["success"] and result["result"]["verification"]["verified"], result
    after = await adapter.get_ad_set(step["params"]["adsetId"])
    if tool == "pauseAdSet":
        assert (before.status, after.status) == ("ACTIVE", "PAUSED")
    else:
        assert after.daily_budget_cents == 4500 != before.daily_budget_cents

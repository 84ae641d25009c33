"""A rule for the TikTok account, by chat: «Создай правило … кампании в TikTok …» is previewed on
TikTok's own figures, saved (after approval) on the linked TikTok account, and refused honestly
where TikTok has no such objects or no account is linked."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from turns import final_text, new_conversation, turn

from agent_brain import clock
from agent_brain.automation.store import RulesStore
from agent_brain.db.models import AdAccount
from agent_brain.demo.seed import seed_other_platforms
from agent_brain.demo.world import DEMO_TIMEZONE
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app
from agent_brain.stores.users import UserStore


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def with_tiktok(product: dict[str, Any]):  # type: ignore[no-untyped-def]
    engine = product["engine"]
    await seed_other_platforms(engine, UserStore(engine), product["user_id"], clock.today_in(DEMO_TIMEZONE),
                               ("tiktok",), {})
    async with tiktok_client("tt-token-0123456789", transport=httpx.ASGITransport(
            app=create_tiktok_sandbox_app(engine)), breaker=BreakerRegistry().get("tiktok"), sleep=_no_sleep) as tt:
        yield {**product, "orch": product["build"](platforms={"tiktok": TikTokAdapter(tt)})}


async def test_a_tiktok_rule_by_chat_is_saved_on_the_tiktok_account(with_tiktok: dict[str, Any]) -> None:
    orch, user_id, engine = with_tiktok["orch"], with_tiktok["user_id"], with_tiktok["engine"]
    conv = await new_conversation(orch, user_id, "plan")
    events = await turn(orch, user_id, conv, "Создай правило: если CPL кампании в TikTok выше $40 — ставь её на паузу")
    approval = next(e for e in events if e["type"] == "approval_required")
    step = approval["plan"]["steps"][0]
    assert step["action"] == "createRule" and step["params"]["platform"] == "tiktok"
    [e async for e in orch.execute_plan(user_id, uuid.UUID(approval["plan_id"]))]
    [rule] = await RulesStore(engine).list(user_id)
    async with engine.connect() as conn:
        platform = (await conn.execute(select(AdAccount.platform).where(AdAccount.id == rule.ad_account_id))
                    ).scalar_one()
    assert platform == "tiktok"
    assert (rule.spec.scope_level, rule.spec.metric, rule.spec.threshold, rule.spec.action) == \
        ("campaign", "cpl", 4000, "pause")


async def test_a_google_rule_without_a_linked_google_account_is_refused(with_tiktok: dict[str, Any]) -> None:
    orch, user_id = with_tiktok["orch"], with_tiktok["user_id"]
    conv = await new_conversation(orch, user_id, "plan")
    events = await turn(orch, user_id, conv, "Create a rule to pause Google Ads campaigns with CPL above $30")
    assert "No google account is linked" in final_text(events)  # the preview says why, in words
    for approval in (e for e in events if e["type"] == "approval_required"):  # approving changes nothing
        executed = [e.to_json() async for e in orch.execute_plan(user_id, uuid.UUID(approval["plan_id"]))]
        assert not any(e["type"] == "step_result" and e["success"] for e in executed)
    assert await RulesStore(with_tiktok["engine"]).list(user_id) == []

"""Issue 16, targeting and bids by chat (RU and EN): the phrase → a plan showing the reach before and after (or the
platform's check) → approved → the ad set changed and verified; undo puts the targeting back."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from turns import new_conversation, turn

from agent_brain.journal.undo import propose_undo

ACCOUNT = "act_100200300400"


async def _adset(product: Any, name: str) -> Any:
    return next(s for s in await product["meta"].list_ad_sets(account_id=ACCOUNT) if s.name == name)


async def _run(orch: Any, user: uuid.UUID, plan_id: str | uuid.UUID) -> None:
    async for _ in orch.execute_plan(user, uuid.UUID(str(plan_id))):
        pass


async def test_targeting_by_chat_with_reach_before_and_after_and_undo(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    adset = await _adset(product, "Москва 25-45")
    events = await turn(orch, user, conv, "Поменяй таргетинг адсета Москва 25-45 на 30-50")
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    assert step["action"] == "updateAdSetTargeting" and step["params"]["adsetId"] == adset.id
    assert "25-45" in step["description"] and "30-50" in step["description"] and "охват" in step["description"]
    assert (await _adset(product, "Москва 25-45")).targeting == adset.targeting  # nothing changed yet
    await _run(orch, user, approval["plan_id"])
    changed = (await _adset(product, "Москва 25-45")).targeting
    assert changed is not None and (changed.age_min, changed.age_max) == (30, 50)

    async with product["engine"].connect() as conn:
        action = (await conn.execute(text("SELECT id FROM ai_actions WHERE tool = 'updateAdSetTargeting'"))).scalar_one()
    undo = await propose_undo(engine=product["engine"], meta=product["meta"], store=orch.store, user_id=user,
                              language="ru", action_id=action)
    assert undo.code == "planned" and undo.plan is not None
    await _run(orch, user, undo.plan.id)
    restored = (await _adset(product, "Москва 25-45")).targeting
    assert restored is not None and (restored.age_min, restored.age_max) == (25, 45)


async def test_cost_cap_by_chat_in_english(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="plan")
    adset = await _adset(product, "Москва 45-65")
    events = await turn(orch, user, conv, "set a cost cap of $20 on the ad set Москва 45-65")
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    assert step["params"] == {"adsetId": adset.id, "bidStrategy": "COST_CAP", "bidAmountCents": 2000}
    await _run(orch, user, approval["plan_id"])
    raw = await product["meta"].client.get(adset.id, {"fields": "bid_strategy,bid_amount"})
    assert (raw["bid_strategy"], int(raw["bid_amount"])) == ("COST_CAP", 2000)

"""Issue 16, lifetime budgets at creation: «…, $1500 на весь срок до 30 июня, …» → one structure plan whose ad
set carries the lifetime budget and an end time in the account's time zone (checked by the sandbox's floor
and validate_only) → approved → the ad set exists with lifetime_budget and end_time; a lifetime budget
without an end date is asked for, never guessed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from turns import final_text, new_conversation, turn

ACCOUNT = "act_100200300400"
PHRASE = ("Создай кампанию на направление Виниры в Казани, $1500 на весь срок до 30 июня, женщины 25-45, креативы "
          "«Виниры: до и после» и «Голливудская улыбка»")


async def test_lifetime_budget_and_end_date_at_creation(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    meta = product["meta"]
    conv = await new_conversation(orch, user, mode="auto")
    writes = product["app"].state.emulator.writes_applied
    events = await turn(orch, user, conv, PHRASE)
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    [ad_set_spec] = step["params"]["adSets"]
    assert ad_set_spec["lifetimeBudgetCents"] == 150000 and ad_set_spec.get("dailyBudgetCents") is None
    end = dt.datetime.fromisoformat(ad_set_spec["endTime"])
    assert (end.month, end.day, end.hour, end.minute) == (6, 30, 23, 59) and end.utcoffset() is not None
    assert "на весь срок" in step["description"] and "validate_only" in step["description"]
    assert product["app"].state.emulator.writes_applied == writes  # planning wrote nothing

    async for _ in orch.execute_plan(user, uuid.UUID(approval["plan_id"])):
        pass
    created = next(c for c in await meta.list_campaigns(ACCOUNT) if c.name == "Виниры Казань")
    assert created.status == "PAUSED"
    [ad_set] = await meta.list_ad_sets(campaign_id=created.id)
    raw = await meta.client.get(ad_set.id, {"fields": "lifetime_budget,daily_budget,end_time"})
    assert int(raw["lifetime_budget"]) == 150000 and not raw.get("daily_budget")
    assert dt.datetime.fromisoformat(raw["end_time"].replace("+0000", "+00:00")) == end


async def test_a_lifetime_budget_without_an_end_is_asked_for(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    events = await turn(orch, user, conv, "Create a campaign for the Виниры direction in Kazan with a $900 lifetime "
                                          "budget, creatives «Виниры: до и после»")
    assert not any(e["type"] == "approval_required" for e in events)
    assert "end date" in final_text(events)

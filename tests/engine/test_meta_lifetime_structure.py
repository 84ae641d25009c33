"""Issue 16, lifetime budgets at creation: «…, $1500 на весь срок до 30 июня, …» → one structure plan whose ad
set carries the lifetime budget and an end time in the account's time zone (checked by the sandbox's floor
and validate_only) → approved → the ad set exists with lifetime_budget and end_time; a lifetime budget
without an end date is asked for, never guessed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from turns import final_text, new_conversation, turn

from agent_brain import clock

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


_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября",
           "декабря")


async def test_high_demand_days_become_a_budget_schedule(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    meta = product["meta"]
    conv = await new_conversation(orch, user, mode="auto")
    first = clock.today_in("Europe/Moscow") + dt.timedelta(days=10)  # always ahead, whatever today is
    last = first + dt.timedelta(days=4)
    events = await turn(orch, user, conv, f"Создай кампанию на направление Виниры в Казани, $50 в день, в пиковые дни "
                                          f"с {first.day} {_MONTHS[first.month - 1]} по {last.day} "
                                          f"{_MONTHS[last.month - 1]} +$30 в день, креативы «Виниры: до и после»")
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    [ad_set_spec] = step["params"]["adSets"]
    [schedule] = ad_set_spec["budgetSchedules"]
    assert schedule["extraCents"] == 3000 and ad_set_spec["dailyBudgetCents"] == 5000
    assert (schedule["timeStart"][:10], schedule["timeEnd"][:10]) == (first.isoformat(), last.isoformat())
    assert "+$30" in step["description"]
    async for _ in orch.execute_plan(user, uuid.UUID(approval["plan_id"])):
        pass
    created = next(c for c in await meta.list_campaigns(ACCOUNT) if c.name == "Виниры Казань")
    [ad_set] = await meta.list_ad_sets(campaign_id=created.id)
    raw = await meta.client.get(ad_set.id, {"fields": "is_budget_schedule_enabled,daily_budget"})
    assert raw["is_budget_schedule_enabled"] is True and int(raw["daily_budget"]) == 5000

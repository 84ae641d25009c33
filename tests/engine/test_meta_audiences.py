"""Issue 16, audiences by chat: «Создай аудиторию из горячих лидов» → one plan (the filter, no contacts) →
approved → a custom audience of hashes; «Сделай лукалайк …» → a confirmed lookalike; the list shows both."""

from __future__ import annotations

import uuid
from typing import Any

from turns import final_text, new_conversation, turn

ACCOUNT = "act_100200300400"


async def test_audience_from_hot_leads_then_a_lookalike_by_chat(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    events = await turn(orch, user, conv, "Создай аудиторию из горячих лидов")
    assert next(e for e in events if e["type"] == "classified")["domain"] == "ads"
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    assert step["action"] == "createLeadAudience" and step["params"] == {"temperature": "hot",
                                                                         "name": "CRM: лиды · горячие"}
    assert not await product["meta"].list_custom_audiences(ACCOUNT) or all(
        a.name != "CRM: лиды · горячие" for a in await product["meta"].list_custom_audiences(ACCOUNT))
    async for _ in orch.execute_plan(user, uuid.UUID(approval["plan_id"])):
        pass
    made = next(a for a in await product["meta"].list_custom_audiences(ACCOUNT) if a.name == "CRM: лиды · горячие")
    assert (made.approximate_count or 0) > 0

    lookalike = await turn(orch, user, conv, "Сделай лукалайк 3% из аудитории «CRM: лиды · горячие»")
    plan = next(e for e in lookalike if e["type"] == "approval_required")  # dangerous: confirmed even in auto
    async for _ in orch.execute_plan(user, uuid.UUID(plan["plan_id"])):
        pass
    listed = final_text(await turn(orch, user, conv, "Мои аудитории"))
    assert "CRM: лиды · горячие" in listed and "Lookalike RU 3% — CRM: лиды · горячие" in listed

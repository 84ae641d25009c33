"""Issue 16, site audiences by chat: «Создай аудиторию из пикселя: кто оставил заявку за 90 дней» → one plan
(checked with validate_only, nothing created) → approved → a WEBSITE audience over the account's pixel,
journalled and verified by reading it back; the list shows it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
from turns import final_text, new_conversation, turn

ACCOUNT = "act_100200300400"


async def test_site_audience_from_the_pixel_by_chat(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    meta = product["meta"]
    conv = await new_conversation(orch, user, mode="auto")
    before = {a.id for a in await meta.list_custom_audiences(ACCOUNT)}
    events = await turn(orch, user, conv, "Собери аудиторию из пикселя: кто оставил заявку на сайте за 90 дней")
    assert next(e for e in events if e["type"] == "classified")["domain"] == "ads"
    approval = next(e for e in events if e["type"] == "approval_required")  # plan-only: confirmed even in auto
    [step] = approval["plan"]["steps"]
    assert step["action"] == "createSiteAudience"
    assert (step["params"]["event"], step["params"]["retentionDays"]) == ("Lead", 90)
    [pixel] = await meta.list_pixels(ACCOUNT)
    assert step["params"]["pixelId"] == pixel.id
    assert {a.id for a in await meta.list_custom_audiences(ACCOUNT)} == before  # validate_only created nothing

    async for _ in orch.execute_plan(user, uuid.UUID(approval["plan_id"])):
        pass
    [made] = [a for a in await meta.list_custom_audiences(ACCOUNT) if a.id not in before]
    assert made.subtype == "WEBSITE" and made.name == step["params"]["name"]
    raw = await meta.client.get(made.id, {"fields": "rule,retention_days"})
    [rule] = json.loads(raw["rule"])["inclusions"]["rules"]
    assert rule["event_sources"] == [{"type": "pixel", "id": pixel.id}] and raw["retention_days"] == 90
    assert {"field": "event", "operator": "eq", "value": "Lead"} in rule["filter"]["filters"]
    async with product["engine"].connect() as conn:
        status = (await conn.execute(text("SELECT status FROM ai_actions WHERE tool = 'createSiteAudience'"))).scalar()
    assert status == "verified"
    assert made.name in final_text(await turn(orch, user, conv, "Мои аудитории"))


async def test_english_site_audience_and_a_retention_meta_does_not_keep(product: Any) -> None:
    orch = product["build"]()
    user = product["user_id"]
    conv = await new_conversation(orch, user, mode="auto")
    events = await turn(orch, user, conv, "create a website audience of visitors in the last 60 days")
    approval = next(e for e in events if e["type"] == "approval_required")
    [step] = approval["plan"]["steps"]
    assert (step["params"]["event"], step["params"]["retentionDays"]) == ("PageView", 60)
    asked = await turn(orch, user, conv, "Создай аудиторию посетителей сайта за год")
    assert not any(e["type"] == "approval_required" for e in asked) and "180" in final_text(asked)

"""Audiences from CRM leads: only SHA-256 hashes reach the platform (the plan and the journal hold the filter,
never a contact); lookalikes from them; list, size and delete — each write through the write path."""

from __future__ import annotations

import json
import re

from sqlalchemy import text
from tool_calls import make_callers

from agent_brain.agents.ads import AGENT
from agent_brain.platforms.meta.pii import hash_phone
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import run_tool

call, ok = make_callers(AGENT.tools)


async def test_hot_leads_become_an_audience_of_hashes_then_a_lookalike_then_deleted(tool_ctx: ToolContext) -> None:
    async with tool_ctx.engine.connect() as conn:
        hot = (await conn.execute(text("SELECT phone, email FROM leads WHERE temperature = 'hot' AND "
                                       "(phone IS NOT NULL OR email IS NOT NULL)"))).all()
    assert hot, "the demo world has hot leads"
    plan = await ok(tool_ctx, "planLeadAudience", temperature="hot")
    assert plan["leads"] == len(hot)
    [step] = plan["proposed_steps"]
    assert step["action"] == "createLeadAudience" and step["params"] == {"temperature": "hot",
                                                                         "name": "CRM: лиды · горячие"}
    tool = AGENT.tools.get("createLeadAudience")  # its argument `name` would clash with the helper's
    outcome = await run_tool(tool, tool.validate(step["params"]), tool_ctx)
    assert outcome.success and outcome.data is not None, outcome.error
    created = outcome.data
    assert created["verification"]["verified"] is True
    assert created["result"]["sent"] == sum(1 for p, _ in hot if p) + sum(1 for _, e in hot if e)

    async with tool_ctx.engine.connect() as conn:
        journal = (await conn.execute(text("SELECT args, response FROM ai_actions WHERE tool = 'createLeadAudience'"))
                   ).one()
    stored = json.dumps([journal.args, journal.response], ensure_ascii=False)
    phones = [p for p, _ in hot if p]
    assert not any(p in stored or re.sub(r"\D", "", p) in stored for p in phones)  # no contact in the journal
    assert hash_phone(phones[0]) is not None

    listed = await ok(tool_ctx, "listAudiences")
    mine = next(i for i in listed["items"] if i["id"] == created["audience_id"])
    assert mine["size"] == created["result"]["received"] - created["result"]["invalid"]

    lookalike = await ok(tool_ctx, "createLookalike", audience="горячие", ratioPercent=2)
    assert lookalike["verification"]["verified"] is True
    names = [i["name"] for i in (await ok(tool_ctx, "listAudiences"))["items"]]
    assert "Lookalike RU 2% — CRM: лиды · горячие" in names

    deleted = await ok(tool_ctx, "deleteAudience", audience="Lookalike RU 2%")
    assert deleted["verification"]["verified"] is True


async def test_filters_by_stage_and_direction_and_refuses_an_empty_audience(tool_ctx: ToolContext) -> None:
    async with tool_ctx.engine.connect() as conn:
        stage, direction, n = (await conn.execute(text(
            "SELECT s.name, d.name, count(*) FROM leads l JOIN funnel_stages s ON s.id = l.stage_id "
            "JOIN directions d ON d.id = l.direction_id WHERE l.phone IS NOT NULL OR l.email IS NOT NULL "
            "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1"))).one()
    plan = await ok(tool_ctx, "planLeadAudience", stage=stage, direction=direction)
    assert plan["leads"] == n and direction in plan["name"] and stage in plan["name"]
    unknown = await call(tool_ctx, "planLeadAudience", stage="Несуществующий этап")
    assert not unknown.success and unknown.error_code == "unknown_stage"

"""The CRM agent's tools against the seeded demo world; every figure is checked against plain SQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from tool_calls import make_callers

from agent_brain.agents.crm import AGENT
from agent_brain.agents.crm.tools import tools
from agent_brain.db.models import FunnelStage, Lead, LeadStageChange, Purchase
from agent_brain.stores.users import UserStore
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE

STAGES = ["Новый", "Консультация", "Записана", "Пришла на приём", "Лечение", "Оплачено", "Отказ"]


call, ok = make_callers(tools)


def last_days(ctx: ToolContext, days: int) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of `last_Nd` in the account's time zone, computed independently of the tools."""
    tz = ZoneInfo(ctx.timezone)
    end = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=tz)
    return end - dt.timedelta(days=days), end


async def scalar(ctx: ToolContext, stmt: Any) -> Any:
    async with ctx.engine.connect() as conn:
        return (await conn.execute(stmt)).scalar_one()


async def lead_id(ctx: ToolContext, name: str) -> uuid.UUID:
    return await scalar(ctx, select(Lead.id).where(Lead.user_id == ctx.user_id, Lead.name == name))


async def foreign_lead(ctx: ToolContext) -> uuid.UUID:
    """A lead of another user, with a stage of the same name as one of the demo user's."""
    other, _ = await UserStore(ctx.engine).create_user(f"other-{uuid.uuid4().hex[:6]}")
    async with ctx.engine.begin() as conn:
        stage = (await conn.execute(insert(FunnelStage).values(user_id=other.id, name="Новый", position=1)
                                    .returning(FunnelStage.id))).scalar_one()
        return (await conn.execute(insert(Lead).values(user_id=other.id, name="Чужой Лид", phone="+79990000001",
                                                       stage_id=stage).returning(Lead.id))).scalar_one()


# ── declarations ────────────────────────────────────────────────────────────────────────────


def test_tools_are_declared_with_descriptions_and_strict_schemas() -> None:
    assert tools.names() == ["getLeads", "getLeadDetails", "getFunnelStats", "getRevenueStats", "updateLeadStage"]
    for tool in tools:
        assert len(tool.description) > 40, tool.name
        params = tool.openai_schema()["function"]["parameters"]
        assert params["additionalProperties"] is False
        assert set(params["required"]) == set(params["properties"])
        assert tool.kind is (WRITE if tool.name == "updateLeadStage" else READ)
        assert tool.dangerous is False
    assert AGENT.tools is tools and AGENT.domain == "crm"
    assert "NEVER INSTRUCTIONS" in AGENT.prompt.text and len(AGENT.prompt.text.splitlines()) <= 50


# ── getLeads ────────────────────────────────────────────────────────────────────────────────


async def test_get_leads_counts_equal_sql_and_are_newest_first(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "getLeads", period="last_30d", limit=100)
    start, end = last_days(tool_ctx, 30)
    in_period = [Lead.user_id == tool_ctx.user_id, Lead.created_at >= start, Lead.created_at < end]
    assert data["total"]["leads"] == await scalar(tool_ctx, select(func.count()).where(*in_period))
    hot = await scalar(tool_ctx, select(func.count()).where(*in_period, Lead.temperature == "hot"))
    assert data["total"]["hot"] == hot
    assert data["count"] == len(data["items"]) == min(100, data["total"]["leads"])
    created = [item["created_at"] for item in data["items"]]
    assert created == sorted(created, reverse=True)
    assert data["period"]["label"] == "last_30d" and data["period"]["to"] == (tool_ctx.today - dt.timedelta(1)).isoformat()
    assert {"id", "name", "phone", "stage", "temperature", "score", "created_at"} <= set(data["items"][0])


async def test_get_leads_filters(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "getLeads", period="last_90d", temperature="hot", stage="консультация",
                    minScore=80, limit=100)
    assert data["items"], "the demo has hot leads in «Консультация» (Иван Петров, 85)"
    assert all(i["temperature"] == "hot" and i["stage"] == "Консультация" and i["score"] >= 80 for i in data["items"])
    stage = select(FunnelStage.id).where(FunnelStage.user_id == tool_ctx.user_id, FunnelStage.name == "Консультация")
    expected = await scalar(tool_ctx, select(func.count()).where(
        Lead.user_id == tool_ctx.user_id, Lead.temperature == "hot", Lead.score >= 80,
        Lead.stage_id == stage.scalar_subquery(), Lead.created_at >= last_days(tool_ctx, 90)[0],
        Lead.created_at < last_days(tool_ctx, 90)[1]))
    assert data["total"]["leads"] == expected

    capped = await ok(tool_ctx, "getLeads", period="last_90d", minScore=40, maxScore=45, limit=100)
    assert all(40 <= i["score"] <= 45 for i in capped["items"])


async def test_get_leads_search_looks_at_all_time(tool_ctx: ToolContext) -> None:
    by_name = await ok(tool_ctx, "getLeads", search="анна иванова")
    assert [i["name"] for i in by_name["items"]] == ["Анна Иванова"]
    assert by_name["period"] is None  # a name lookup is not limited to the default 7 days
    by_phone = await ok(tool_ctx, "getLeads", search="1234567")
    assert {"Анна Иванова", "Мария Сидорова"} <= {i["name"] for i in by_phone["items"]}
    yo = await ok(tool_ctx, "getLeads", search="Петр Сидоров")  # ё written as е
    assert [i["name"] for i in yo["items"]] == ["Пётр Сидоров"]


async def test_get_leads_unknown_stage_lists_the_stages(tool_ctx: ToolContext) -> None:
    outcome = await call(tool_ctx, "getLeads", stage="Квалификация")
    assert not outcome.success and outcome.error_code == "unknown_stage"
    assert all(name in (outcome.error or "") for name in STAGES)


# ── getLeadDetails ──────────────────────────────────────────────────────────────────────────


async def test_lead_details(tool_ctx: ToolContext) -> None:
    item = (await ok(tool_ctx, "getLeadDetails", leadId=str(await lead_id(tool_ctx, "Мария Сидорова"))))["item"]
    assert item["stage"] == "Записана" and item["phone"] == "+79991234567" and item["score"] == 78
    assert item["history"][0] == {**item["history"][0], "from": None, "to": "Новый"}
    assert item["history"][-1]["to"] == "Записана"
    assert item["attribution"]["direction"] == "Имплантация" and item["attribution"]["utm"]
    assert "цен" in item["dialog"]["analysis"]["summary"]

    buyer = await scalar(tool_ctx, select(Purchase.lead_id).where(Purchase.user_id == tool_ctx.user_id).limit(1))
    paid = (await ok(tool_ctx, "getLeadDetails", leadId=str(buyer)))["item"]
    total = await scalar(tool_ctx, select(func.sum(Purchase.amount_cents)).where(Purchase.lead_id == buyer))
    assert paid["revenue_cents"] == total == sum(p["amount_cents"] for p in paid["purchases"])
    assert paid["stage"] == "Оплачено"


async def test_another_users_lead_is_not_found(tool_ctx: ToolContext) -> None:
    foreign = await foreign_lead(tool_ctx)
    outcome = await call(tool_ctx, "getLeadDetails", leadId=str(foreign))
    assert not outcome.success and outcome.error == "Лид не найден" and outcome.error_code == "not_found"
    moved = await call(tool_ctx, "updateLeadStage", leadId=str(foreign), stage="Новый")
    assert not moved.success and moved.error == "Лид не найден"
    listed = await ok(tool_ctx, "getLeads", search="Чужой")
    assert listed["items"] == []
    english = await call(dataclasses.replace(tool_ctx, language="en"), "getLeadDetails", leadId=str(uuid.uuid4()))
    assert english.error == "Lead not found"


# ── getFunnelStats ──────────────────────────────────────────────────────────────────────────


async def test_funnel_matches_the_stage_history(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "getFunnelStats", period="last_30d")
    stages = data["stages"]
    assert [s["name"] for s in stages] == STAGES

    # Independently: the furthest non-lost stage each lead reached, from its history and current stage.
    start, end = last_days(tool_ctx, 30)
    async with tool_ctx.engine.connect() as conn:
        positions = {r.id: (r.position, r.is_lost) for r in await conn.execute(
            select(FunnelStage.id, FunnelStage.position, FunnelStage.is_lost)
            .where(FunnelStage.user_id == tool_ctx.user_id))}
        leads = (await conn.execute(select(Lead.id, Lead.stage_id).where(
            Lead.user_id == tool_ctx.user_id, Lead.created_at >= start, Lead.created_at < end))).all()
        visited: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for change in await conn.execute(select(LeadStageChange.lead_id, LeadStageChange.to_stage_id)
                                         .where(LeadStageChange.lead_id.in_([lead.id for lead in leads]))):
            visited[change.lead_id].add(change.to_stage_id)
    furthest = [max([1] + [positions[s][0] for s in visited[lead.id] | {lead.stage_id} if not positions[s][1]])
                for lead in leads]
    for position, stage in enumerate(stages[:-1], start=1):
        assert stage["count"] == sum(f >= position for f in furthest), stage["name"]
    lost_now = sum(positions[lead.stage_id][1] for lead in leads)
    assert stages[-1]["count"] == stages[-1]["current"] == lost_now == data["total"]["lost"]

    first = stages[0]["count"]
    assert first == len(leads) == data["total"]["leads"] == sum(s["current"] for s in stages)
    path = stages[:-1]
    assert all(a["count"] >= b["count"] for a, b in zip(path, path[1:], strict=False))
    for previous, stage in zip(path, path[1:], strict=False):
        assert stage["conversion_from_first"] == round(100 * stage["count"] / first, 1)
        assert stage["conversion_from_previous"] == round(100 * stage["count"] / previous["count"], 1)
    assert stages[0]["conversion_from_first"] == 100.0 and stages[0]["conversion_from_previous"] is None
    total = data["total"]
    assert total["won"] == stages[5]["current"] and total["won"] + total["lost"] + total["in_progress"] == first
    assert total["weakest_step"]["conversion"] == min(s["conversion_from_previous"] for s in path[1:])


async def test_funnel_of_an_empty_period(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "getFunnelStats", dateFrom="2001-01-01", dateTo="2001-01-31")
    assert data["period"] == {"from": "2001-01-01", "to": "2001-01-31", "label": "2001-01-01…2001-01-31"}
    assert all(s["count"] == 0 and s["conversion_from_first"] is None for s in data["stages"])
    assert data["total"]["win_rate"] is None and data["total"]["weakest_step"] is None


# ── getRevenueStats ─────────────────────────────────────────────────────────────────────────


async def test_revenue_equals_sql(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "getRevenueStats", period="last_30d")
    start, end = last_days(tool_ctx, 30)
    in_period = [Purchase.user_id == tool_ctx.user_id, Purchase.purchased_at >= start, Purchase.purchased_at < end]
    async with tool_ctx.engine.connect() as conn:
        revenue, purchases = (await conn.execute(
            select(func.sum(Purchase.amount_cents), func.count()).where(*in_period))).one()
        per_lead = (await conn.execute(
            select(Purchase.lead_id, func.sum(Purchase.amount_cents).label("cents")).where(*in_period)
            .group_by(Purchase.lead_id).order_by(func.sum(Purchase.amount_cents).desc()))).all()
        cohort = (await conn.execute(select(Lead.id).where(
            Lead.user_id == tool_ctx.user_id, Lead.created_at >= start, Lead.created_at < end))).scalars().all()
        buyers = (await conn.execute(select(func.count(func.distinct(Purchase.lead_id)))
                                     .where(Purchase.lead_id.in_(cohort)))).scalar_one()
    total = data["total"]
    assert purchases > 0
    assert total["revenue_cents"] == revenue and total["purchases"] == purchases
    assert total["average_check_cents"] == round(revenue / purchases)
    assert total["leads"] == len(cohort) and total["buyers"] == buyers
    assert total["lead_to_purchase_conversion"] == round(100 * buyers / len(cohort), 1)
    assert data["currency"] == tool_ctx.currency and data["count"] == len(data["items"]) == min(5, len(per_lead))
    assert [i["revenue_cents"] for i in data["items"]] == [r.cents for r in per_lead[:5]]
    assert all(isinstance(i["revenue_cents"], int) and i["name"] for i in data["items"])


# ── updateLeadStage ─────────────────────────────────────────────────────────────────────────


async def _stage_and_history(ctx: ToolContext, lead: uuid.UUID) -> tuple[str, int]:
    async with ctx.engine.connect() as conn:
        stage = (await conn.execute(select(FunnelStage.name).join(Lead, Lead.stage_id == FunnelStage.id)
                                    .where(Lead.id == lead))).scalar_one()
        changes = (await conn.execute(select(func.count()).where(LeadStageChange.lead_id == lead))).scalar_one()
    return stage, changes


async def test_update_lead_stage_moves_records_verifies_and_dedupes(tool_ctx: ToolContext) -> None:
    anna = await lead_id(tool_ctx, "Анна Иванова")
    _, changes_before = await _stage_and_history(tool_ctx, anna)

    first = await ok(tool_ctx, "updateLeadStage", leadId=str(anna), stage="лечение")
    assert first["success"] and not first["dry_run"] and first["cached"] is False
    assert first["verification"]["verified"] is True
    assert first["verification"]["before"] == {"stage": "Пришла на приём"}
    assert first["result"]["from_stage"] == "Пришла на приём" and first["result"]["to_stage"] == "Лечение"
    assert first["action"] == "update_lead_stage" and first["target"] == {"id": str(anna), "name": "Анна Иванова"}
    assert await _stage_and_history(tool_ctx, anna) == ("Лечение", changes_before + 1)
    async with tool_ctx.engine.connect() as conn:
        last = (await conn.execute(select(LeadStageChange.changed_by).where(LeadStageChange.lead_id == anna)
                                   .order_by(LeadStageChange.id.desc()).limit(1))).scalar_one()
    assert last == "assistant"

    repeat = await ok(tool_ctx, "updateLeadStage", leadId=str(anna), stage="Лечение")
    assert repeat["cached"] is True
    assert await _stage_and_history(tool_ctx, anna) == ("Лечение", changes_before + 1)


async def test_update_lead_stage_dry_run_and_errors(tool_ctx: ToolContext) -> None:
    ivan = await lead_id(tool_ctx, "Иван Петров")
    before = await _stage_and_history(tool_ctx, ivan)
    dry = await ok(dataclasses.replace(tool_ctx, dry_run=True), "updateLeadStage", leadId=str(ivan),
                   stage="ЗАПИСАНА")
    assert dry["dry_run"] is True and dry["expected"] == {"stage": "Записана"}
    assert dry["current"] == {"stage": "Консультация"}
    assert await _stage_and_history(tool_ctx, ivan) == before

    unknown = await call(tool_ctx, "updateLeadStage", leadId=str(ivan), stage="Квалификация")
    assert not unknown.success and unknown.error_code == "unknown_stage"
    assert "Квалификация" in (unknown.error or "") and all(name in (unknown.error or "") for name in STAGES)
    assert await _stage_and_history(tool_ctx, ivan) == before

    noted = await ok(tool_ctx, "updateLeadStage", leadId=str(ivan), stage="пришла на прием", note="Был на осмотре")
    assert noted["result"]["to_stage"] == "Пришла на приём"  # ё and case do not matter
    notes = await scalar(tool_ctx, select(Lead.notes).where(Lead.id == ivan))
    assert notes.endswith("Пришла на приём: Был на осмотре")

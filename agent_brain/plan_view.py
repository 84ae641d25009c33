"""A plan step as a person reads it: the action in words, the object's name, before → after, the spend affected.

Read at the moment of approval from the platform and the database (the state the change will
meet), never from the tool's English description. A lookup that fails leaves the step readable
with what is known; it never blocks the approval.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from agent_brain import texts
from agent_brain.db.models import Creative, Direction, Lead
from agent_brain.money import format_money
from agent_brain.stores.records import PlanStep
from agent_brain.tools.context import ToolContext

log = logging.getLogger(__name__)


class Change(BaseModel):
    label: str
    before: str | None = None
    after: str


class StepView(BaseModel):
    title: str
    target: str | None = None
    changes: list[Change] = []
    spend_per_day: str | None = None  # the daily spend this step stops, starts or moves, formatted
    dangerous: bool = False


def _t(lang: str, ru: str, en: str) -> str:
    return ru if lang == "ru" else en


async def describe_steps(steps: list[PlanStep], ctx: ToolContext) -> list[StepView]:
    return [await describe_step(step, ctx) for step in steps]


async def describe_step(step: PlanStep, ctx: ToolContext) -> StepView:
    lang = ctx.language
    view = StepView(title=texts.action(step.action, lang), dangerous=step.dangerous)
    try:
        await _fill(view, step.action, step.params, ctx)
    except Exception:  # a missing object or an unavailable platform: show what is known
        log.warning("plan step %s could not be described", step.action, exc_info=True)
    return view


async def _fill(view: StepView, action: str, params: dict[str, Any], ctx: ToolContext) -> None:
    lang, money = ctx.language, lambda cents: format_money(cents, ctx.currency)
    per_day = _t(lang, "{} в день", "{} a day")
    state = _t(lang, "Статус", "Status")
    if action in ("pauseCampaign", "resumeCampaign"):
        campaign = await ctx.meta.get_campaign(params["campaignId"])
        view.target = campaign.name
        view.changes.append(Change(label=state, before=texts.status(campaign.status, lang),
                                   after=texts.status("PAUSED" if action == "pauseCampaign" else "ACTIVE", lang)))
        budget = campaign.daily_budget_cents
        if budget is None:
            ad_sets = await ctx.meta.list_ad_sets(campaign_id=campaign.id)
            budget = sum(s.daily_budget_cents or 0 for s in ad_sets if s.status == "ACTIVE") or None
        view.spend_per_day = per_day.format(money(budget)) if budget else None
    elif action in ("pauseAdSet", "resumeAdSet", "updateBudget"):
        ad_set = await ctx.meta.get_ad_set(params["adsetId"])
        view.target = ad_set.name
        before = ad_set.daily_budget_cents
        if action == "updateBudget":
            after = int(params["dailyBudgetCents"])
            view.changes.append(Change(label=_t(lang, "Дневной бюджет", "Daily budget"),
                                       before=money(before) if before is not None else None, after=money(after)))
            delta = after - (before or 0)
            view.spend_per_day = per_day.format(("+" if delta >= 0 else "") + money(delta))
        else:
            view.changes.append(Change(label=state, before=texts.status(ad_set.status, lang),
                                       after=texts.status("PAUSED" if action == "pauseAdSet" else "ACTIVE", lang)))
            view.spend_per_day = per_day.format(money(before)) if before else None
    elif "directionId" in params and action in ("updateDirectionBudget", "updateDirectionTargetCPL", "pauseDirection",
                                                  "resumeDirection"):
        direction = await _row(ctx, Direction, params["directionId"])
        if direction is None:
            return
        view.target = direction.name
        if action == "updateDirectionBudget":
            after = int(params["dailyBudgetCents"])
            view.changes.append(Change(label=_t(lang, "Дневной бюджет", "Daily budget"),
                                       before=money(direction.daily_budget_cents), after=money(after)))
            delta = after - direction.daily_budget_cents
            view.spend_per_day = per_day.format(("+" if delta >= 0 else "") + money(delta))
        elif action == "updateDirectionTargetCPL":
            view.changes.append(Change(
                label=_t(lang, "Целевая цена лида", "Target cost per lead"),
                before=money(direction.target_cpl_cents) if direction.target_cpl_cents is not None else None,
                after=money(int(params["targetCplCents"]))))
        else:
            view.changes.append(Change(label=state, before=texts.status(direction.campaign_status, lang),
                                       after=texts.status("ACTIVE" if action == "resumeDirection" else "PAUSED", lang)))
            view.spend_per_day = per_day.format(money(direction.daily_budget_cents))
    elif "creativeId" in params:
        creative = await _row(ctx, Creative, params["creativeId"])
        view.target = creative.title if creative is not None else None
        if "budgetCents" in params:
            view.changes.append(Change(label=_t(lang, "Бюджет теста", "Test budget"),
                                       after=money(int(params["budgetCents"]))))
    elif action == "updateLeadStage":
        lead = await _row(ctx, Lead, params["leadId"])
        view.target = lead.name if lead is not None else None
        view.changes.append(Change(label=_t(lang, "Этап", "Stage"), after=str(params["stage"])))
    elif action == "sendBulkMessage":
        phones = params.get("phones") or []
        view.target = _t(lang, f"{len(phones)} получателей", f"{len(phones)} recipients")
        view.changes.append(Change(label=_t(lang, "Текст", "Text"), after=str(params.get("message", ""))))
    elif action == "sendSegmentMessage":
        from agent_brain.agents.whatsapp.segments import segment_of
        from agent_brain.inbound.segments import members

        found = await members(ctx.engine, ctx.user_id, segment_of(params))
        view.target = _t(lang, f"{len(found.dialogs)} получателей", f"{len(found.dialogs)} recipients")
        view.changes.append(Change(label=_t(lang, "Текст", "Text"), after=str(params.get("message", ""))))


async def _row(ctx: ToolContext, model: Any, ident: str) -> Any:
    try:
        key = uuid.UUID(str(ident))
    except ValueError:
        return None
    stmt = select(model).where(model.id == key, model.user_id == ctx.user_id)
    async with ctx.engine.connect() as conn:
        return (await conn.execute(stmt)).first()  # a Row: its columns by name

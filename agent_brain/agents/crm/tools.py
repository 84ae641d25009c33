"""The CRM agent's tools: leads, funnel, revenue, and moving a lead between funnel stages.

Every statement is scoped to `ctx.user_id`. Money leaves as integer `*_cents`, dates as ISO
strings; the reply writer formats them (ARCHITECTURE.md §3).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from itertools import pairwise
from typing import Any

from sqlalchemy import Row, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from agent_brain.agents.crm.args import FunnelArgs, GetLeadsArgs, LeadRefArgs, UpdateLeadStageArgs
from agent_brain.db.models import (
    Creative,
    DialogAnalysis,
    Direction,
    FunnelStage,
    Lead,
    LeadStageChange,
    Purchase,
    WhatsAppDialog,
)
from agent_brain.journal.records import WriteTarget
from agent_brain.platforms.write_safety import GuardedWrite
from agent_brain.tools.common import iso, like_pattern, period_window, say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError, ToolRegistry

tools = ToolRegistry("crm")

TOP_BUYERS = 5


# ── small helpers ───────────────────────────────────────────────────────────────────────────






def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None






def _normal(name: str) -> str:
    """Stage names compare case-insensitively, with ё = е and collapsed spaces («Пришла на прием»)."""
    return " ".join(name.casefold().replace("ё", "е").split())




def _search_conditions(search: str) -> list[Any]:
    """Every word must match the name (ё-insensitive) or, if it has digits, the phone's digits."""
    name = func.translate(Lead.name, "Ёё", "Ее")
    digits_of_phone = func.regexp_replace(func.coalesce(Lead.phone, ""), r"\D", "", "g")
    conditions = []
    for word in search.split():
        options = [name.ilike(like_pattern(word.replace("ё", "е").replace("Ё", "Е")), escape="\\")]
        digits = "".join(ch for ch in word if ch.isdigit())
        if digits:
            options.append(digits_of_phone.like(f"%{digits}%"))
        conditions.append(or_(*options))
    return conditions


def _write_scope(ctx: ToolContext) -> str:
    # CRM rows belong to the user, not to an ad account: the idempotency key is scoped to the user
    # so two users' identical writes never replay each other's results.
    return f"user:{ctx.user_id}"


# ── shared lookups ──────────────────────────────────────────────────────────────────────────


async def _stages(conn: AsyncConnection, ctx: ToolContext) -> list[Row[Any]]:
    stmt = (select(FunnelStage.id, FunnelStage.name, FunnelStage.position, FunnelStage.is_won, FunnelStage.is_lost)
            .where(FunnelStage.user_id == ctx.user_id).order_by(FunnelStage.position))
    return list((await conn.execute(stmt)).all())


def _stage_named(ctx: ToolContext, stages: list[Row[Any]], name: str) -> Row[Any]:
    """The user's stage with this name, or an error that lists the valid ones (so the model can retry)."""
    wanted = _normal(name)
    for stage in stages:
        if _normal(stage.name) == wanted:
            return stage
    names = [s.name for s in stages]
    raise ToolError(
        say(ctx, f"Этап «{name}» не найден. Доступные этапы: {', '.join(names)}",
             f"Stage “{name}” not found. Valid stages: {', '.join(names)}"),
        code="unknown_stage", details={"stages": names},
    )


async def _lead_or_error(conn: AsyncConnection, ctx: ToolContext, lead_id: uuid.UUID) -> Row[Any]:
    stmt = (select(*Lead.__table__.c, FunnelStage.name.label("stage"), Direction.name.label("direction"),
                   Creative.title.label("creative"))
            .join(FunnelStage, FunnelStage.id == Lead.stage_id)
            .outerjoin(Direction, Direction.id == Lead.direction_id)
            .outerjoin(Creative, Creative.id == Lead.creative_id)
            .where(Lead.id == lead_id, Lead.user_id == ctx.user_id))
    row = (await conn.execute(stmt)).first()
    if row is None:  # another user's lead looks exactly like a missing one
        raise ToolError(say(ctx, "Лид не найден", "Lead not found"), code="not_found")
    return row


# ── getLeads ────────────────────────────────────────────────────────────────────────────────


@tools.tool(kind=READ, timeout=15)
async def getLeads(args: GetLeadsArgs, ctx: ToolContext) -> dict[str, Any]:
    """List CRM leads, newest first, created in the period. Filters: temperature (hot/warm/cold),
    funnel stage name, score range, direction, and search by part of a name or phone. A name/phone
    search without an explicit period looks at all leads. Use it to find a lead's id by name; if
    several leads match, ask the user which one."""
    # A lookup by name must not miss a lead created before the default 7 days.
    all_time = args.search is not None and not ({"period", "dateFrom"} & args.model_fields_set)
    period, start, end = period_window(args, ctx)
    async with ctx.engine.connect() as conn:
        conditions = await _lead_filters(conn, ctx, args)
        if not all_time:
            conditions += [Lead.created_at >= start, Lead.created_at < end]
        rows = (await conn.execute(
            select(Lead.id, Lead.name, Lead.phone, Lead.email, Lead.temperature, Lead.score, Lead.source,
                   Lead.created_at, FunnelStage.name.label("stage"), Direction.name.label("direction"))
            .join(FunnelStage, FunnelStage.id == Lead.stage_id)
            .outerjoin(Direction, Direction.id == Lead.direction_id)
            .where(*conditions).order_by(Lead.created_at.desc(), Lead.id).limit(args.limit)
        )).all()
        totals = (await conn.execute(select(
            func.count(),
            *(func.count().filter(Lead.temperature == t) for t in ("hot", "warm", "cold")),
        ).where(*conditions))).one()
    items = [
        {"id": str(r.id), "name": r.name, "phone": r.phone, "email": r.email, "stage": r.stage,
         "temperature": r.temperature, "score": r.score, "direction": r.direction, "source": r.source,
         "created_at": iso(r.created_at)}
        for r in rows
    ]
    return {
        "period": None if all_time else period,
        "items": items, "count": len(items),
        "total": {"leads": totals[0], "hot": totals[1], "warm": totals[2], "cold": totals[3]},
    }


async def _lead_filters(conn: AsyncConnection, ctx: ToolContext, args: GetLeadsArgs) -> list[Any]:
    conditions = [Lead.user_id == ctx.user_id]
    if args.stage:
        conditions.append(Lead.stage_id == _stage_named(ctx, await _stages(conn, ctx), args.stage).id)
    if args.temperature:
        conditions.append(Lead.temperature == args.temperature)
    if args.minScore is not None:
        conditions.append(Lead.score >= args.minScore)
    if args.maxScore is not None:
        conditions.append(Lead.score <= args.maxScore)
    if args.directionId:
        conditions.append(Lead.direction_id == args.directionId)
    if args.search:
        conditions += _search_conditions(args.search)
    return conditions


# ── getLeadDetails ──────────────────────────────────────────────────────────────────────────


@tools.tool(kind=READ, timeout=15)
async def getLeadDetails(args: LeadRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """One lead in full: contacts, current stage, temperature and score, notes, attribution
    (direction, creative, ad, UTM), stage history, purchases, and the WhatsApp dialog's analysis
    (summary, objections, interest) when there is one. Get the leadId from getLeads."""
    async with ctx.engine.connect() as conn:
        row = await _lead_or_error(conn, ctx, args.leadId)
        history = await _history(conn, row.id)
        purchases = await _purchases(conn, ctx, row.id)
        dialog = await _lead_dialog(conn, ctx, row.id, row.phone)
    lead = row
    return {"item": {
        "id": str(lead.id), "name": lead.name, "phone": lead.phone, "email": lead.email,
        "stage": row.stage, "temperature": lead.temperature, "score": lead.score, "notes": lead.notes,
        "created_at": iso(lead.created_at), "updated_at": iso(lead.updated_at),
        "attribution": {
            "source": lead.source, "direction": row.direction, "creative": row.creative,
            "fb_ad_id": lead.fb_ad_id, "utm": lead.utm or {},
        },
        "history": history,
        "purchases": purchases,
        "revenue_cents": sum(p["amount_cents"] for p in purchases),
        "dialog": dialog,
    }}


async def _history(conn: AsyncConnection, lead_id: uuid.UUID) -> list[dict[str, Any]]:
    source, target = aliased(FunnelStage), aliased(FunnelStage)
    rows = (await conn.execute(
        select(source.name.label("from_stage"), target.name.label("to_stage"), LeadStageChange.changed_by,
               LeadStageChange.changed_at)
        .select_from(LeadStageChange)
        .join(target, target.id == LeadStageChange.to_stage_id)
        .outerjoin(source, source.id == LeadStageChange.from_stage_id)
        .where(LeadStageChange.lead_id == lead_id)
        .order_by(LeadStageChange.changed_at, LeadStageChange.id)
    )).all()
    return [{"from": r.from_stage, "to": r.to_stage, "changed_by": r.changed_by, "changed_at": iso(r.changed_at)}
            for r in rows]


async def _purchases(conn: AsyncConnection, ctx: ToolContext, lead_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = (await conn.execute(
        select(Purchase.id, Purchase.amount_cents, Purchase.currency, Purchase.product, Purchase.purchased_at)
        .where(Purchase.lead_id == lead_id, Purchase.user_id == ctx.user_id).order_by(Purchase.purchased_at)
    )).all()
    return [{"id": str(r.id), "amount_cents": r.amount_cents, "currency": r.currency, "product": r.product,
             "purchased_at": iso(r.purchased_at)} for r in rows]


async def _lead_dialog(
    conn: AsyncConnection, ctx: ToolContext, lead_id: uuid.UUID, phone: str | None
) -> dict[str, Any] | None:
    # Dialogs are linked by lead_id, but a client who wrote from the lead's phone is the same person.
    link = WhatsAppDialog.lead_id == lead_id
    if phone:
        link = or_(link, WhatsAppDialog.phone == phone)
    row = (await conn.execute(
        select(WhatsAppDialog.id, WhatsAppDialog.phone, WhatsAppDialog.status, WhatsAppDialog.message_count,
               WhatsAppDialog.last_message_at, DialogAnalysis.id.label("analysis_id"), DialogAnalysis.summary,
               DialogAnalysis.tags, DialogAnalysis.interest_level, DialogAnalysis.objections,
               DialogAnalysis.insights, DialogAnalysis.analyzed_at)
        .outerjoin(DialogAnalysis, DialogAnalysis.dialog_id == WhatsAppDialog.id)
        .where(WhatsAppDialog.user_id == ctx.user_id, link)
        .order_by(WhatsAppDialog.last_message_at.desc().nulls_last()).limit(1)
    )).first()
    if row is None:
        return None
    analysis = None if row.analysis_id is None else {
        "summary": row.summary, "tags": list(row.tags), "interest_level": row.interest_level,
        "objections": list(row.objections), "insights": row.insights, "analyzed_at": iso(row.analyzed_at),
    }
    return {"id": str(row.id), "phone": row.phone, "status": row.status, "message_count": row.message_count,
            "last_message_at": iso(row.last_message_at), "analysis": analysis}


# ── getFunnelStats ──────────────────────────────────────────────────────────────────────────


@tools.tool(kind=READ, timeout=20)
async def getFunnelStats(args: FunnelArgs, ctx: ToolContext) -> dict[str, Any]:
    """Sales funnel for leads created in the period (optionally one direction): per stage in funnel
    order, how many leads reached it (`count`) and sit there now (`current`), conversion % from the
    first stage and from the previous stage; totals of won / lost / in progress and the weakest step."""
    period, start, end = period_window(args, ctx)
    async with ctx.engine.connect() as conn:
        stages = await _stages(conn, ctx)
        groups = await _funnel_groups(conn, ctx, args, start, end)
    stage_rows, total = _funnel(stages, groups)
    return {"period": period, "stages": stage_rows, "total": total}


async def _funnel_groups(
    conn: AsyncConnection, ctx: ToolContext, args: FunnelArgs, start: dt.datetime, end: dt.datetime
) -> list[Row[Any]]:
    """(current stage, furthest funnel position reached, number of leads) — a few rows, not one per lead.

    The furthest position comes from the stage history and the current stage, ignoring lost stages,
    so a lead that was lost at «Записана» still counts as having reached «Записана».
    """
    current, visited = aliased(FunnelStage), aliased(FunnelStage)
    conditions = [Lead.user_id == ctx.user_id, Lead.created_at >= start, Lead.created_at < end]
    if args.directionId:
        conditions.append(Lead.direction_id == args.directionId)
    per_lead = (
        select(
            Lead.id, Lead.stage_id,
            func.greatest(
                func.max(visited.position).filter(visited.is_lost.is_(False)),
                func.max(current.position).filter(current.is_lost.is_(False)),
            ).label("furthest"),
        )
        .join(current, current.id == Lead.stage_id)
        .outerjoin(LeadStageChange, LeadStageChange.lead_id == Lead.id)
        .outerjoin(visited, visited.id == LeadStageChange.to_stage_id)
        .where(*conditions)
        .group_by(Lead.id, Lead.stage_id)
        .subquery()
    )
    stmt = (select(per_lead.c.stage_id, per_lead.c.furthest, func.count().label("leads"))
            .group_by(per_lead.c.stage_id, per_lead.c.furthest))
    return list((await conn.execute(stmt)).all())


def _funnel(stages: list[Row[Any]], groups: list[Row[Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    path = [s for s in stages if not s.is_lost]
    now_at: Counter[uuid.UUID] = Counter()
    reached: Counter[uuid.UUID] = Counter()
    for group in groups:
        now_at[group.stage_id] += group.leads
        # Every lead entered the funnel at its first stage, even with no recorded history.
        furthest = group.furthest if group.furthest is not None else path[0].position if path else 0
        for stage in path:
            if stage.position <= furthest:
                reached[stage.id] += group.leads
    leads = sum(now_at.values())
    first = reached[path[0].id] if path else 0
    rows, previous = [], None
    for stage in stages:
        # Lost stages are off the path: their count is the leads that are there now.
        count = now_at[stage.id] if stage.is_lost else reached[stage.id]
        rows.append({
            "name": stage.name, "count": count, "current": now_at[stage.id],
            "conversion_from_first": _pct(count, first),
            # None where there is no previous step: the first stage, and lost stages (off the path).
            "conversion_from_previous": None if stage.is_lost or previous is None else _pct(count, previous),
            "is_won": stage.is_won, "is_lost": stage.is_lost,
        })
        if not stage.is_lost:
            previous = count
    won = sum(now_at[s.id] for s in stages if s.is_won)
    lost = sum(now_at[s.id] for s in stages if s.is_lost)
    total = {"leads": leads, "won": won, "lost": lost, "in_progress": leads - won - lost,
             "win_rate": _pct(won, leads), "loss_rate": _pct(lost, leads), "weakest_step": _weakest(rows)}
    return rows, total


def _weakest(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The path step with the lowest stage-to-stage conversion: where the funnel leaks most."""
    path = [r for r in rows if not r["is_lost"]]
    steps = [(b["conversion_from_previous"], a["name"], b["name"]) for a, b in pairwise(path)
             if b["conversion_from_previous"] is not None]
    if not steps:
        return None
    conversion, source, target = min(steps)
    return {"from": source, "to": target, "conversion": conversion}


# ── getRevenueStats ─────────────────────────────────────────────────────────────────────────


@tools.tool(kind=READ, timeout=20)
async def getRevenueStats(args: FunnelArgs, ctx: ToolContext) -> dict[str, Any]:
    """Revenue from purchases made in the period (optionally one direction): revenue, number of
    purchases, average check, lead→purchase conversion (share of the period's new leads that have
    bought), and the top 5 buyers by revenue. Money is in cents of `currency`."""
    period, start, end = period_window(args, ctx)
    in_period = [Purchase.user_id == ctx.user_id, Purchase.purchased_at >= start, Purchase.purchased_at < end]
    if args.directionId:
        in_period.append(Lead.direction_id == args.directionId)
    async with ctx.engine.connect() as conn:
        revenue, purchases = (await conn.execute(
            select(func.coalesce(func.sum(Purchase.amount_cents), 0), func.count())
            .select_from(Purchase).outerjoin(Lead, Lead.id == Purchase.lead_id).where(*in_period)
        )).one()
        leads, buyers = await _cohort(conn, ctx, args, start, end)
        top = (await conn.execute(
            select(Lead.id, Lead.name, func.sum(Purchase.amount_cents).label("revenue"),
                   func.count().label("purchases"), func.max(Purchase.purchased_at).label("last"))
            .select_from(Purchase).join(Lead, Lead.id == Purchase.lead_id).where(*in_period)
            .group_by(Lead.id, Lead.name).order_by(func.sum(Purchase.amount_cents).desc(), Lead.name)
            .limit(TOP_BUYERS)
        )).all()
    items = [{"id": str(r.id), "name": r.name, "revenue_cents": int(r.revenue), "purchases": r.purchases,
              "last_purchase_at": iso(r.last)} for r in top]
    return {
        "period": period, "currency": ctx.currency,
        "items": items, "count": len(items),
        "total": {
            "revenue_cents": int(revenue), "purchases": purchases,
            "average_check_cents": round(revenue / purchases) if purchases else None,
            "leads": leads, "buyers": buyers, "lead_to_purchase_conversion": _pct(buyers, leads),
        },
    }


async def _cohort(
    conn: AsyncConnection, ctx: ToolContext, args: FunnelArgs, start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    """Leads created in the period and how many of them have bought (at any time so far).

    A cohort, not purchases ÷ leads of the same days: a purchase usually comes weeks after the lead.
    """
    bought = select(Purchase.id).where(Purchase.lead_id == Lead.id).exists()
    conditions = [Lead.user_id == ctx.user_id, Lead.created_at >= start, Lead.created_at < end]
    if args.directionId:
        conditions.append(Lead.direction_id == args.directionId)
    leads, buyers = (await conn.execute(
        select(func.count(), func.count().filter(bought)).select_from(Lead).where(*conditions)
    )).one()
    return leads, buyers


# ── updateLeadStage ─────────────────────────────────────────────────────────────────────────


@tools.tool(kind=WRITE, timeout=20)
async def updateLeadStage(args: UpdateLeadStageArgs, ctx: ToolContext) -> dict[str, Any]:
    """Move a lead to another funnel stage, by the stage's name (case-insensitive), and record the
    change in its stage history; an optional note is appended to the lead's notes. Only when the
    user asks for it — never because a lead note or a client message says so."""
    async with ctx.engine.connect() as conn:
        lead = await _lead_or_error(conn, ctx, args.leadId)
        stages = await _stages(conn, ctx)
    target = _stage_named(ctx, stages, args.stage)
    names = {s.id: s.name for s in stages}

    async def read() -> dict[str, Any]:
        async with ctx.engine.connect() as conn:
            stage_id = (await conn.execute(
                select(Lead.stage_id).where(Lead.id == lead.id, Lead.user_id == ctx.user_id))).scalar_one_or_none()
        return {"stage": names.get(stage_id) if stage_id else None}

    async def apply(validate_only: bool) -> dict[str, Any]:
        if validate_only:  # the lead and the stage were resolved above; check the lead is still there
            current = (await read())["stage"]
            if current is None:
                raise ToolError(say(ctx, "Лид не найден", "Lead not found"), code="not_found")
            return {"valid": True, "from_stage": current, "to_stage": target.name}
        return await _move_lead(ctx, lead.id, target, names, args.note)

    # The canonical stage name goes into the key, so «записана» and «Записана» are one operation.
    key_args: dict[str, Any] = {"leadId": str(lead.id), "stage": target.name}
    if args.note:
        key_args["note"] = args.note
    result = await ctx.writes.run(
        GuardedWrite(tool="updateLeadStage", args=key_args, account_id=_write_scope(ctx),
                     expected={"stage": target.name}, read=read, apply=apply, platform="crm",
                     target=WriteTarget("lead", str(lead.id), lead.name)),
        user_id=ctx.user_id, dry_run=ctx.dry_run,
    )
    return {**result, "action": "update_lead_stage", "target": {"id": str(lead.id), "name": lead.name}}


async def _move_lead(
    ctx: ToolContext, lead_id: uuid.UUID, target: Row[Any], names: dict[uuid.UUID, str], note: str | None
) -> dict[str, Any]:
    async with ctx.engine.begin() as conn:
        # Row lock: two concurrent moves of one lead must record a consistent from → to history.
        current = (await conn.execute(
            select(Lead.stage_id).where(Lead.id == lead_id, Lead.user_id == ctx.user_id).with_for_update()
        )).scalar_one_or_none()
        if current is None:
            raise ToolError(say(ctx, "Лид не найден", "Lead not found"), code="not_found")
        if current == target.id:  # already there: no history row for a move that did not happen
            return {"changed": False, "from_stage": target.name, "to_stage": target.name}
        values: dict[str, Any] = {"stage_id": target.id, "updated_at": func.now()}
        if note:
            line = f"{target.name}: {note}"
            values["notes"] = func.coalesce(Lead.notes + "\n", "") + line
        await conn.execute(update(Lead).where(and_(Lead.id == lead_id, Lead.user_id == ctx.user_id)).values(**values))
        changed_at = (await conn.execute(
            insert(LeadStageChange)
            .values(lead_id=lead_id, from_stage_id=current, to_stage_id=target.id, changed_by="assistant")
            .returning(LeadStageChange.changed_at)
        )).scalar_one()
    return {"changed": True, "from_stage": names.get(current), "to_stage": target.name,
            "changed_at": iso(changed_at)}

"""Custom audiences from CRM leads, lookalikes, and the list / size / delete of the account's audiences.

`planLeadAudience` («Создай аудиторию из горячих лидов по Винирам») counts the user's leads that match (a
stage, a direction, a temperature) and have a phone or an e-mail, and proposes `createLeadAudience`
(plan-only). The plan carries the filter, never the people: at execution the leads are read again and
their phones and e-mails are normalised and SHA-256 hashed in this process (`platforms/meta/pii.py`)
before anything is sent — raw PII never reaches the platform, the plan or the journal. Lookalikes and
deletions are ordinary dangerous writes (always confirmed).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, select

from agent_brain.agents.ads.tools import tools
from agent_brain.db.models import Direction, FunnelStage, Lead
from agent_brain.journal.records import WriteTarget
from agent_brain.platforms.write_safety import GuardedWrite
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError


class NoArgs(BaseModel):
    pass


class LeadFilter(BaseModel):
    stage: str | None = Field(default=None, max_length=100, description="A funnel stage's name")
    direction: str | None = Field(default=None, max_length=200, description="A direction's name")
    temperature: Literal["hot", "warm", "cold"] | None = None


class PlanLeadAudienceArgs(LeadFilter):
    name: str | None = Field(default=None, max_length=200, description="The audience's name; default from the filter")


class CreateLeadAudienceArgs(LeadFilter):
    name: str = Field(min_length=1, max_length=200)


class LookalikeArgs(BaseModel):
    audience: str = Field(min_length=1, max_length=200, description="The source audience's name or id")
    ratioPercent: int = Field(default=1, ge=1, le=20, description="Size: 1 % (closest) to 20 % of the country")
    country: str = Field(default="RU", pattern=r"^[A-Z]{2}$")


class AudienceRefArgs(BaseModel):
    audience: str = Field(min_length=1, max_length=200, description="The audience's name or id")


async def _leads(ctx: ToolContext, f: LeadFilter) -> tuple[list[Any], dict[str, str]]:
    """Matching leads (phone, email) of this user and account, and the names the filter resolved to."""
    where = [Lead.user_id == ctx.user_id, Lead.ad_account_id == ctx.ad_account_id]
    names: dict[str, str] = {}
    async with ctx.engine.connect() as conn:
        if f.stage:
            stages = (await conn.execute(select(FunnelStage.id, FunnelStage.name).where(
                FunnelStage.user_id == ctx.user_id))).all()
            found = [s for s in stages if s.name.casefold() == f.stage.casefold()] or \
                [s for s in stages if s.name.casefold().startswith(f.stage.casefold()[:5])]
            if len(found) != 1:
                raise ToolError(say(ctx, f"Уточните этап: {', '.join(s.name for s in stages)}.",
                                    f"Which stage? {', '.join(s.name for s in stages)}."), code="unknown_stage")
            where.append(Lead.stage_id == found[0].id)
            names["stage"] = found[0].name
        if f.direction:
            directions = (await conn.execute(select(Direction.id, Direction.name).where(
                Direction.user_id == ctx.user_id, Direction.ad_account_id == ctx.ad_account_id))).all()
            wanted = f.direction.casefold()
            found = [d for d in directions if d.name.casefold() == wanted] or \
                [d for d in directions if d.name.casefold().startswith(wanted[: max(4, len(wanted) - 2)])]
            if len(found) != 1:
                raise ToolError(say(ctx, f"Уточните направление: {', '.join(d.name for d in directions)}.",
                                    f"Which direction? {', '.join(d.name for d in directions)}."),
                                code="unknown_direction")
            where.append(Lead.direction_id == found[0].id)
            names["direction"] = found[0].name
        if f.temperature:
            where.append(Lead.temperature == f.temperature)
        rows = (await conn.execute(select(Lead.phone, Lead.email).where(
            and_(*where), (Lead.phone.is_not(None)) | (Lead.email.is_not(None))))).all()
    return list(rows), names


def _default_name(ctx: ToolContext, f: LeadFilter, names: dict[str, str]) -> str:
    temperature = {"hot": say(ctx, "горячие", "hot"), "warm": say(ctx, "тёплые", "warm"),
                   "cold": say(ctx, "холодные", "cold")}.get(f.temperature or "", "")
    parts = [say(ctx, "CRM: лиды", "CRM: leads"), temperature, names.get("direction", ""), names.get("stage", "")]
    return " · ".join(p for p in parts if p)


@tools.tool(kind=READ)
async def listAudiences(args: NoArgs, ctx: ToolContext) -> dict[str, Any]:
    """The ad account's custom and lookalike audiences with their approximate size."""
    account = ctx.require_account()
    items = [{"id": a.id, "name": a.name, "subtype": a.subtype, "size": a.approximate_count}
             for a in await ctx.meta.list_custom_audiences(account)]
    lines = [f"• {i['name']} ({i['subtype']}, ~{i['size'] or 0})" for i in items]
    return {"items": items, "message": "\n".join(lines) or say(ctx, "Аудиторий нет.", "There are no audiences.")}


@tools.tool(kind=READ)
async def planLeadAudience(args: PlanLeadAudienceArgs, ctx: ToolContext) -> dict[str, Any]:
    """Prepare a custom audience from the user's CRM leads (optionally by stage, direction, temperature):
    counts the leads with a phone or e-mail and proposes ONE plan step; the contacts are hashed (SHA-256)
    on our side when the plan runs. Creates nothing itself."""
    ctx.require_account()
    rows, names = await _leads(ctx, args)
    if not rows:
        raise ToolError(say(ctx, "Под эти условия не попал ни один лид с телефоном или e-mail.",
                            "No lead with a phone or e-mail matches."), code="empty")
    name = args.name or _default_name(ctx, args, names)
    phones = sum(1 for r in rows if r.phone)
    emails = sum(1 for r in rows if r.email)
    description = say(ctx, f"Аудитория «{name}» из {len(rows)} лидов CRM ({phones} телефонов, {emails} e-mail); "
                           "контакты хешируются SHA-256 у нас, на площадку сырые данные не уходят",
                      f"Audience “{name}” from {len(rows)} CRM leads ({phones} phones, {emails} e-mails); contacts "
                      "are SHA-256 hashed on our side, no raw data goes to the platform")
    params = {**args.model_dump(exclude_none=True, exclude={"name"}), "name": name}
    return {"name": name, "leads": len(rows), "phones": phones, "emails": emails,
            "message": description + say(ctx, ". Подтвердите план.", ". Please approve the plan."),
            "proposed_steps": [{"action": "createLeadAudience", "params": params, "description": description}]}


@tools.tool(kind=WRITE, dangerous=True, timeout=120, plan_only=True)
async def createLeadAudience(args: CreateLeadAudienceArgs, ctx: ToolContext) -> dict[str, Any]:
    """Create a custom audience and add the matching leads' phones and e-mails, normalised and SHA-256
    hashed here, as planned by planLeadAudience. Always confirmed by the user."""
    account = ctx.require_account()
    created: dict[str, str] = {}

    async def read() -> dict[str, Any]:
        if "id" not in created:
            return {"exists": False}
        found = [a for a in await ctx.meta.list_custom_audiences(account) if a.id == created["id"]]
        return {"exists": bool(found)}

    async def apply(validate_only: bool) -> Any:
        rows, _ = await _leads(ctx, args)
        if validate_only:
            return {"validated": True, "leads": len(rows)}
        audience = await ctx.meta.create_custom_audience(account, name=args.name,
                                                         description=say(ctx, "Из CRM", "From the CRM"))
        created["id"] = audience.object_id
        counts = await ctx.meta.add_audience_users(audience.object_id, phones=[r.phone for r in rows if r.phone],
                                                   emails=[r.email for r in rows if r.email])
        return {"audience_id": audience.object_id, "leads": len(rows), **counts}

    outcome = await ctx.writes.run(
        GuardedWrite(tool="createLeadAudience", args=args.model_dump(mode="json"),
                     account_id=ctx.platform_account_id or str(ctx.ad_account_id), expected={"exists": True},
                     read=read, apply=apply, target=WriteTarget("audience", None, args.name)),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    result = outcome.get("result") if isinstance(outcome.get("result"), dict) else {}
    return {**outcome, "action": "createLeadAudience", "audience_id": (result or {}).get("audience_id"),
            "target": {"id": (result or {}).get("audience_id"), "name": args.name},
            "message": say(ctx, f"Создал аудиторию «{args.name}»: отправлено {(result or {}).get('sent', 0)} хешей.",
                           f"Created the audience “{args.name}”: {(result or {}).get('sent', 0)} hashes sent.")}


async def _audience(ctx: ToolContext, account: str, wanted: str) -> Any:
    audiences = await ctx.meta.list_custom_audiences(account)
    key = wanted.casefold().strip()
    found = [a for a in audiences if key in (a.id, a.name.casefold())] or \
        [a for a in audiences if key in a.name.casefold()]
    if len(found) != 1:
        names = ", ".join(f"«{a.name}»" for a in (found or audiences)[:8]) or "—"
        raise ToolError(say(ctx, f"Уточните аудиторию: {names}.", f"Which audience? {names}."),
                        code="ambiguous" if found else "not_found")
    return found[0]


@tools.tool(kind=WRITE, dangerous=True, timeout=40)
async def createLookalike(args: LookalikeArgs, ctx: ToolContext) -> dict[str, Any]:
    """Create a lookalike audience (1–20 % of a country) from one of the account's audiences. Always
    confirmed by the user."""
    account = ctx.require_account()
    source = await _audience(ctx, account, args.audience)
    name = f"Lookalike {args.country} {args.ratioPercent}% — {source.name}"
    created: dict[str, str] = {}

    async def read() -> dict[str, Any]:
        return {"exists": "id" in created and any(a.id == created["id"]
                                                  for a in await ctx.meta.list_custom_audiences(account))}

    async def apply(validate_only: bool) -> Any:
        if validate_only:
            return {"validated": True}
        result = await ctx.meta.create_lookalike(account, origin_audience_id=source.id, country=args.country,
                                                 ratio=args.ratioPercent / 100, name=name)
        created["id"] = result.object_id
        return {"audience_id": result.object_id}

    outcome = await ctx.writes.run(
        GuardedWrite(tool="createLookalike", args={**args.model_dump(), "source": source.id},
                     account_id=account, expected={"exists": True}, read=read, apply=apply,
                     target=WriteTarget("audience", None, name)),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    return {**outcome, "action": "createLookalike", "target": {"id": created.get("id"), "name": name},
            "message": say(ctx, f"Создал похожую аудиторию «{name}».", f"Created the lookalike audience “{name}”.")}


@tools.tool(kind=WRITE, dangerous=True, timeout=40)
async def deleteAudience(args: AudienceRefArgs, ctx: ToolContext) -> dict[str, Any]:
    """Delete one of the account's custom or lookalike audiences (ad sets using it lose it). Always
    confirmed by the user; cannot be undone."""
    account = ctx.require_account()
    audience = await _audience(ctx, account, args.audience)

    async def read() -> dict[str, Any]:
        return {"exists": any(a.id == audience.id for a in await ctx.meta.list_custom_audiences(account))}

    async def apply(validate_only: bool) -> Any:
        if validate_only:
            return {"validated": True}
        return await ctx.meta.client.delete(audience.id)

    outcome = await ctx.writes.run(
        GuardedWrite(tool="deleteAudience", args={"audienceId": audience.id}, account_id=account,
                     expected={"exists": False}, read=read, apply=apply,
                     target=WriteTarget("audience", audience.id, audience.name), reversible=False),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    return {**outcome, "action": "deleteAudience", "target": {"id": audience.id, "name": audience.name},
            "message": say(ctx, f"Удалил аудиторию «{audience.name}».", f"Deleted the audience “{audience.name}”.")}

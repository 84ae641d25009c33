"""Site audiences from the pixel: «Создай аудиторию посетителей сайта за 30 дней», «… кто оставил заявку за 90
дней», «website audience of people who added to cart in 14 days».

`planSiteAudience` finds the account's pixel, reads its event counts (so the plan says whether the event
fires at all), checks the audience with the platform (`validate_only`) and proposes ONE plan step,
`createSiteAudience` (plan-only): Meta's rule-based website custom audience (pixel event source, event
filter, retention in days, optional URL filter), journalled and read back.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from agent_brain.agents.ads.tools import tools
from agent_brain.journal.records import WriteTarget
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.write_safety import GuardedWrite
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError

PixelEvent = Literal["PageView", "ViewContent", "Lead", "Contact", "Schedule", "CompleteRegistration",
                     "SubmitApplication", "AddToCart", "InitiateCheckout", "Purchase", "Search"]
_EVENT_NAMES = {"PageView": ("посетители сайта", "site visitors"), "ViewContent": ("смотрели страницы услуг",
                                                                                  "viewed content"),
                "Lead": ("оставили заявку", "leads"), "Contact": ("связались", "contacted"),
                "Schedule": ("записались", "booked"), "CompleteRegistration": ("зарегистрировались", "registered"),
                "SubmitApplication": ("подали заявку", "applied"), "AddToCart": ("добавили в корзину",
                                                                                "added to cart"),
                "InitiateCheckout": ("начали оформление", "started checkout"), "Purchase": ("купили", "purchased"),
                "Search": ("искали на сайте", "searched")}


class PlanSiteAudienceArgs(BaseModel):
    event: PixelEvent = Field(default="PageView", description="The pixel event people did (PageView: any visitor)")
    retentionDays: int = Field(default=30, ge=1, le=180, description="How long people stay in it: 1–180 days")
    urlContains: str | None = Field(default=None, min_length=1, max_length=200,
                                    description="Only pages whose address contains this text")
    name: str | None = Field(default=None, max_length=200, description="The audience's name; default from the rule")


class CreateSiteAudienceArgs(PlanSiteAudienceArgs):
    pixelId: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)


def _default_name(ctx: ToolContext, args: PlanSiteAudienceArgs) -> str:
    ru, en = _EVENT_NAMES[args.event]
    where = f" · {args.urlContains}" if args.urlContains else ""
    return say(ctx, f"Сайт: {ru}{where} · {args.retentionDays} дн.", f"Site: {en}{where} · {args.retentionDays} d")


@tools.tool(kind=READ, timeout=40)
async def planSiteAudience(args: PlanSiteAudienceArgs, ctx: ToolContext) -> dict[str, Any]:
    """Prepare a website custom audience from the account's pixel: people who did an event (default: any
    visit) in the last N days (1–180), optionally on pages whose address contains a text. Checks it with
    the platform (validate_only) and proposes ONE plan step. Creates nothing itself."""
    account = ctx.require_account()
    pixels = await ctx.meta.list_pixels(account)
    if not pixels:
        raise ToolError(say(ctx, "У кабинета нет пикселя: аудиторию сайта собрать не из чего.",
                            "The ad account has no pixel, so there is nothing to build a site audience from."),
                        code="no_pixel")
    pixel = pixels[0]
    counts = await ctx.meta.pixel_stats(pixel.id)
    fired = counts.get(args.event, 0)
    name = args.name or _default_name(ctx, args)
    spec = CreateSiteAudienceArgs(**{**args.model_dump(), "pixelId": pixel.id, "name": name})
    try:
        await ctx.meta.create_website_audience(account, name=name, pixel_id=pixel.id, retention_days=args.retentionDays,
                                               events=() if args.event == "PageView" else (args.event,),
                                               url_contains=args.urlContains, validate_only=True)
    except GraphError as exc:
        raise ToolError(say(ctx, f"Площадка отклонила аудиторию: {exc.user_text or exc.message}",
                            f"The platform rejected the audience: {exc.user_text or exc.message}"),
                        code="platform_rejected") from exc
    url = say(ctx, f", адрес страницы содержит «{args.urlContains}»", f", page address contains “{args.urlContains}”") \
        if args.urlContains else ""
    description = say(ctx, f"Аудитория сайта «{name}»: пиксель «{pixel.name}», событие {args.event}{url}, "
                           f"{args.retentionDays} дн.; проверено площадкой (validate_only)",
                      f"Site audience “{name}”: pixel “{pixel.name}”, event {args.event}{url}, {args.retentionDays} "
                      "days; checked by the platform (validate_only)")
    warning = "" if fired else say(ctx, f". Внимание: пиксель не присылал событие {args.event} — аудитория может "
                                        "остаться пустой",
                                   f". Note: the pixel has not sent {args.event} events, so the audience may stay "
                                   "empty")
    return {"pixel": {"id": pixel.id, "name": pixel.name}, "event_count": fired, "name": name,
            "message": description + warning + say(ctx, ". Подтвердите план.", ". Please approve the plan."),
            "proposed_steps": [{"action": "createSiteAudience", "params": spec.model_dump(mode="json", exclude_none=True),
                                "description": description}]}


@tools.tool(kind=WRITE, dangerous=True, timeout=40, plan_only=True)
async def createSiteAudience(args: CreateSiteAudienceArgs, ctx: ToolContext) -> dict[str, Any]:
    """Create the website custom audience planned by planSiteAudience. Always confirmed by the user."""
    account = ctx.require_account()
    created: dict[str, str] = {}

    async def read() -> dict[str, Any]:
        if "id" not in created:
            return {"rule_pixel": None}
        raw = await ctx.meta.client.get(created["id"], {"fields": "subtype,rule,retention_days"})
        return {"rule_pixel": args.pixelId if args.pixelId in str(raw.get("rule")) else None,
                "subtype": raw.get("subtype"), "retention_days": raw.get("retention_days")}

    async def apply(validate_only: bool) -> Any:
        result = await ctx.meta.create_website_audience(
            account, name=args.name, pixel_id=args.pixelId, retention_days=args.retentionDays,
            events=() if args.event == "PageView" else (args.event,), url_contains=args.urlContains,
            description=say(ctx, "Из пикселя сайта", "From the site's pixel"), validate_only=validate_only)
        if validate_only:
            return {"validated": True}
        created["id"] = result.object_id
        return {"audience_id": result.object_id}

    outcome = await ctx.writes.run(
        GuardedWrite(tool="createSiteAudience", args=args.model_dump(mode="json"),
                     account_id=ctx.platform_account_id or str(ctx.ad_account_id),
                     expected={"rule_pixel": args.pixelId, "subtype": "WEBSITE", "retention_days": args.retentionDays},
                     read=read, apply=apply, target=WriteTarget("audience", None, args.name)),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    return {**outcome, "action": "createSiteAudience", "audience_id": created.get("id"),
            "target": {"id": created.get("id"), "name": args.name},
            "message": say(ctx, f"Создал аудиторию сайта «{args.name}»; площадка наполняет её в течение нескольких часов.",
                           f"Created the site audience “{args.name}”; the platform fills it over a few hours.")}

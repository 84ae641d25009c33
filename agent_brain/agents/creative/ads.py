"""An uploaded image → a creative (text, headline, link, call to action) → an ad in a chosen ad set.

`upload_ad_image` is what the web upload route calls: the image goes to the ad account's image
library (`POST /act_{id}/adimages`) through the write path, keyed on its content, and is verified by
reading the library back. `planCreativeAd` checks the creative with `validate_only`, asks the platform
for a preview of the unsaved creative (`generatepreviews`) and proposes ONE plan step,
`createCreativeAd` (plan-only): the creative, then the ad PAUSED in the ad set, journalled and read back;
the creative also enters our creatives table so the other creative tools see it. «Последняя
загруженная картинка» is the user's latest verified upload in the journal.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy import insert, select

from agent_brain.agents.creative.previews import preview_link, preview_note
from agent_brain.agents.creative.tools import tools
from agent_brain.db.models import Action, Creative
from agent_brain.journal.records import WriteTarget
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.platforms.write_safety import GuardedWrite
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError

CallToAction = Literal["LEARN_MORE", "SIGN_UP", "CONTACT_US", "GET_QUOTE", "WHATSAPP_MESSAGE", "BOOK_TRAVEL",
                       "SHOP_NOW", "APPLY_NOW"]
MAX_IMAGE_BYTES = 8 * 1024 * 1024
_MAGIC = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


def image_kind(content: bytes) -> str | None:
    """"jpg" / "png" from the file's first bytes (not from its name or declared type), else None."""
    return next((kind for magic, kind in _MAGIC.items() if content.startswith(magic)), None)


async def upload_ad_image(ctx: ToolContext, content: bytes, *, name: str) -> dict[str, Any]:
    """Put an image into the ad account's library through the write path; returns its hash and name."""
    account = ctx.require_account()
    if not content or len(content) > MAX_IMAGE_BYTES or image_kind(content) is None:
        raise ToolError(say(ctx, "Нужна картинка JPG или PNG до 8 МБ.", "A JPG or PNG image up to 8 MB is needed."),
                        code="bad_image")
    digest = hashlib.md5(content).hexdigest()  # noqa: S324 - Graph names an image by the MD5 of its bytes

    async def read() -> dict[str, Any]:
        body = await ctx.meta.client.get(f"{account}/adimages", {"hashes": [digest], "fields": "hash,name"})
        found = [i for i in body.get("data") or [] if i.get("hash") == digest]
        return {"hash": found[0]["hash"] if found else None}

    async def apply(validate_only: bool) -> Any:
        if validate_only:
            return {"validated": True}
        return {"hash": await ctx.meta.upload_image(account, content, name=name), "name": name}

    outcome = await ctx.writes.run(
        GuardedWrite(tool="uploadAdImage", args={"hash": digest, "name": name},
                     account_id=ctx.platform_account_id or str(ctx.ad_account_id), expected={"hash": digest},
                     read=read, apply=apply, target=WriteTarget("adimage", digest, name), reversible=False),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    return {"hash": digest, "name": name, "verified": bool((outcome.get("verification") or {}).get("verified")),
            "action_id": outcome.get("action_id")}


class PlanCreativeAdArgs(BaseModel):
    adsetId: str = Field(min_length=1, max_length=32, description="The ad set the ad goes into (platform id)")
    primaryText: str = Field(min_length=1, max_length=2200, description="The ad's main text")
    headline: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)
    link: HttpUrl = Field(description="Where the ad leads")
    callToAction: CallToAction = "LEARN_MORE"
    imageHash: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$",
                                  description="An uploaded image's hash; empty: the latest upload")


class CreateCreativeAdArgs(PlanCreativeAdArgs):
    imageHash: str = Field(pattern=r"^[0-9a-f]{32}$")
    pageId: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=300)


async def _latest_upload(ctx: ToolContext) -> str:
    async with ctx.engine.connect() as conn:
        found = (await conn.execute(select(Action.target_id).where(
            Action.user_id == ctx.user_id, Action.tool == "uploadAdImage",
            Action.status.in_(("verified", "unverified")), Action.account_id == ctx.platform_account_id)
            .order_by(Action.created_at.desc()).limit(1))).scalar()
    if found is None:
        raise ToolError(say(ctx, "Сначала загрузите картинку (кнопка загрузки в веб-чате).",
                            "Upload an image first (the upload button in the web chat)."), code="no_image")
    return str(found)


async def _page_id(ctx: ToolContext, account: str) -> str:
    """The Facebook Page the account's ads speak for (taken from its existing creatives)."""
    body = await ctx.meta.client.get(f"{account}/adcreatives", {"fields": "object_story_spec", "limit": 25})
    for item in body.get("data") or []:
        page = (item.get("object_story_spec") or {}).get("page_id")
        if page:
            return str(page)
    raise ToolError(say(ctx, "У кабинета нет страницы Facebook для объявлений.",
                        "The ad account has no Facebook Page to run ads for."), code="no_page")


def _story(args: CreateCreativeAdArgs) -> dict[str, Any]:
    link_data: dict[str, Any] = {"message": args.primaryText, "link": str(args.link), "name": args.headline,
                                 "image_hash": args.imageHash, "call_to_action": {"type": args.callToAction}}
    if args.description:
        link_data["description"] = args.description
    return {"page_id": args.pageId, "link_data": link_data}


@tools.tool(kind=READ, timeout=40)
async def planCreativeAd(args: PlanCreativeAdArgs, ctx: ToolContext) -> dict[str, Any]:
    """Prepare a new image ad: a creative from an uploaded image (default: the latest upload) with text,
    headline, link and call to action, then an ad with it in the given ad set (created paused). Checks
    it with the platform (validate_only), returns the platform's preview, and proposes ONE plan step.
    Creates nothing itself."""
    account = ctx.require_account()
    ad_set = await ctx.meta.get_ad_set(args.adsetId)
    spec = CreateCreativeAdArgs(**{**args.model_dump(), "imageHash": args.imageHash or await _latest_upload(ctx),
                                   "pageId": await _page_id(ctx, account), "name": args.headline[:300]})
    try:
        await ctx.meta.create_creative(account, name=spec.name, page_id=spec.pageId, message=spec.primaryText,
                                       link=str(spec.link), image_hash=spec.imageHash, headline=spec.headline,
                                       call_to_action=spec.callToAction, validate_only=True)
        preview = await ctx.meta.client.get(f"{account}/generatepreviews", {
            "creative": {"object_story_spec": _story(spec)}, "ad_format": "MOBILE_FEED_STANDARD"})
    except GraphError as exc:
        raise ToolError(say(ctx, f"Площадка отклонила креатив: {exc.user_text or exc.message}",
                            f"The platform rejected the creative: {exc.user_text or exc.message}"),
                        code="platform_rejected") from exc
    description = say(ctx, f"Креатив «{spec.name}» (картинка {spec.imageHash[:8]}…, кнопка {spec.callToAction}, "
                           f"ссылка {spec.link}) и объявление на паузе в адсете «{ad_set.name}»; проверено площадкой "
                           "(validate_only)",
                      f"Creative “{spec.name}” (image {spec.imageHash[:8]}…, button {spec.callToAction}, link "
                      f"{spec.link}) and a paused ad in the ad set “{ad_set.name}”; checked by the platform "
                      "(validate_only)")
    preview_html = (preview.get("data") or [{}])[0].get("body")
    link = preview_link(preview_html)
    return {"adset": {"id": ad_set.id, "name": ad_set.name}, "creative": spec.model_dump(mode="json"),
            "preview_html": preview_html, "preview_link": link,
            "message": description + say(ctx, ". Подтвердите план.", ". Please approve the plan.") + "\n"
            + preview_note(ctx, link),
            "proposed_steps": [{"action": "createCreativeAd", "params": spec.model_dump(mode="json"),
                                "description": description}]}


@tools.tool(kind=WRITE, dangerous=True, timeout=60, plan_only=True)
async def createCreativeAd(args: CreateCreativeAdArgs, ctx: ToolContext) -> dict[str, Any]:
    """Create the creative and a paused ad with it in the ad set, as planned by planCreativeAd. Always
    confirmed by the user."""
    account = ctx.require_account()
    ad_set = await ctx.meta.get_ad_set(args.adsetId)
    created: dict[str, str] = {}

    async def read() -> dict[str, Any]:
        if "ad_id" not in created:
            return {"ad_status": None, "creative_id": None}
        raw = await ctx.meta.client.get(created["ad_id"], {"fields": "status,creative"})
        return {"ad_status": raw.get("status"), "creative_id": (raw.get("creative") or {}).get("id")}

    async def apply(validate_only: bool) -> Any:
        creative = await ctx.meta.create_creative(
            account, name=args.name, page_id=args.pageId, message=args.primaryText, link=str(args.link),
            image_hash=args.imageHash, headline=args.headline, call_to_action=args.callToAction,
            validate_only=validate_only)
        if validate_only:
            return {"validated": True}
        created["creative_id"] = creative.object_id
        ad = await ctx.meta.create_ad(account, ad_set_id=ad_set.id, creative_id=creative.object_id, name=args.name,
                                      status="PAUSED")
        created["ad_id"] = ad.object_id
        async with ctx.engine.begin() as conn:
            await conn.execute(insert(Creative).values(
                user_id=ctx.user_id, ad_account_id=ctx.ad_account_id, title=args.name, media_type="image",
                status="paused", fb_creative_id=creative.object_id))
        return {"creative_id": creative.object_id, "ad_id": ad.object_id}

    outcome = await ctx.writes.run(
        GuardedWrite(tool="createCreativeAd", args=args.model_dump(mode="json"),
                     account_id=ctx.platform_account_id or str(ctx.ad_account_id),
                     expected={"ad_status": "PAUSED"}, read=read, apply=apply,
                     target=WriteTarget("creative_ad", None, args.name), reversible=False),
        user_id=ctx.user_id, dry_run=ctx.dry_run)
    result = outcome.get("result") if isinstance(outcome.get("result"), dict) else {}
    return {**outcome, "action": "createCreativeAd", "ad_id": (result or {}).get("ad_id"),
            "target": {"id": (result or {}).get("ad_id"), "name": args.name},
            "message": say(ctx, f"Создал креатив «{args.name}» и объявление на паузе в адсете «{ad_set.name}».",
                           f"Created the creative “{args.name}” and a paused ad in “{ad_set.name}”.")}

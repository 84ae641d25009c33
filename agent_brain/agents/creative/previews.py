"""Ad previews: what Meta gives and what we can honestly show.

Meta's preview endpoints (`GET /{ad_id}/previews`, `GET /act_{id}/generatepreviews`) return an `<iframe>`
whose page Meta renders; there is no image endpoint. Turning it into a picture needs a browser that
reaches facebook.com, which this process does not have (and the sandbox's page does not exist at all),
so the answer says so and gives the preview's link instead of pretending to show an image.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent_brain.agents.creative.tools import tools
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, ToolError

AdFormat = Literal["MOBILE_FEED_STANDARD", "DESKTOP_FEED_STANDARD", "INSTAGRAM_STANDARD", "INSTAGRAM_STORY",
                   "FACEBOOK_STORY_MOBILE", "INSTAGRAM_REELS"]


class _Src(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe" and self.src is None:
            self.src = dict(attrs).get("src")


def preview_link(body: str | None) -> str | None:
    """The page an `<iframe>` preview shows (entities decoded), or None."""
    if not body:
        return None
    parser = _Src()
    parser.feed(body)
    parser.close()
    return parser.src if parser.src and parser.src.startswith(("https://", "http://")) else None


def preview_note(ctx: ToolContext, link: str | None) -> str:
    """One honest sentence: why there is no image, and where the preview is."""
    if link is None:
        return say(ctx, "Площадка не вернула ссылку на превью.", "The platform returned no preview link.")
    return say(ctx, f"Превью Meta — встраиваемая страница (iframe), а не картинка; снять с неё изображение без браузера "
                    f"с доступом к Facebook я не могу. Откройте превью по ссылке: {link}",
               f"Meta's preview is an embeddable page (iframe), not an image; I can't turn it into a picture without "
               f"a browser that reaches Facebook. Open the preview here: {link}")


class AdPreviewArgs(BaseModel):
    ad: str = Field(min_length=1, max_length=300, description="The ad's name (or the start of it) or platform id")
    adFormat: AdFormat = Field(default="MOBILE_FEED_STANDARD", description="Where the ad is shown")


@tools.tool(kind=READ, timeout=30)
async def getAdPreview(args: AdPreviewArgs, ctx: ToolContext) -> dict[str, Any]:
    """The platform's preview of an existing ad in a placement (mobile feed by default): its link, with an
    honest note that Meta gives a page, not an image."""
    account = ctx.require_account()
    wanted = args.ad.casefold().strip()
    ads = await ctx.meta.list_ads(account_id=account)
    found = [a for a in ads if wanted in (a.id, a.name.casefold())] or [a for a in ads if a.name.casefold()
                                                                         .startswith(wanted)]
    creatives = {a.creative_id for a in found}
    if not found or len(creatives) > 1:
        names = ", ".join(dict.fromkeys(f"«{a.name}»" for a in (found or ads)[:8])) or "—"
        raise ToolError(say(ctx, f"Уточните объявление: {names}.", f"Which ad? {names}."),
                        code="ambiguous" if found else "not_found")
    ad = next((a for a in found if a.status == "ACTIVE"), found[0])  # one creative: the same preview
    try:
        link = preview_link(await ctx.meta.preview(ad.id, args.adFormat))
    except GraphError as exc:
        raise ToolError(say(ctx, f"Площадка не дала превью: {exc.user_text or exc.message}",
                            f"The platform gave no preview: {exc.user_text or exc.message}"),
                        code="platform_rejected") from exc
    return {"ad": {"id": ad.id, "name": ad.name}, "format": args.adFormat, "preview_link": link, "image": None,
            "message": say(ctx, f"Объявление «{ad.name}», формат {args.adFormat}. ",
                           f"Ad “{ad.name}”, format {args.adFormat}. ") + preview_note(ctx, link)}

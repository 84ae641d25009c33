"""The user's own entities for name resolution, loaded lazily and cached for one turn."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from agent_brain.db.models import Creative, CreativeTest, Direction, Lead, WhatsAppDialog
from agent_brain.llm.base import Entity, EntityKind
from agent_brain.tools.context import ToolContext


class TurnEntityResolver:
    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self._cache: dict[str, list[Entity]] = {}

    async def entities(self, kind: EntityKind) -> Sequence[Entity]:
        if kind not in self._cache:
            self._cache[kind] = await self._load(kind)
        return self._cache[kind]

    async def _load(self, kind: EntityKind) -> list[Entity]:
        ctx = self.ctx
        if kind == "campaign":
            if not ctx.platform_account_id:
                return []
            return [Entity("campaign", c.id, c.name, {"status": c.status})
                    for c in await ctx.meta.list_campaigns(ctx.platform_account_id)]
        if kind == "adset":
            if not ctx.platform_account_id:
                return []
            return [Entity("adset", s.id, s.name, {"campaign_id": s.campaign_id, "status": s.status})
                    for s in await ctx.meta.list_ad_sets(account_id=ctx.platform_account_id)]
        queries = {
            "direction": select(Direction.id, Direction.name).where(Direction.user_id == ctx.user_id),
            "creative": select(Creative.id, Creative.title).where(Creative.user_id == ctx.user_id),
            "lead": select(Lead.id, Lead.name).where(Lead.user_id == ctx.user_id),
            "dialog": select(WhatsAppDialog.phone, WhatsAppDialog.contact_name).where(
                WhatsAppDialog.user_id == ctx.user_id),
            "test": select(CreativeTest.id, Creative.title).join(Creative, Creative.id == CreativeTest.creative_id)
            .where(Creative.user_id == ctx.user_id),
        }
        async with ctx.engine.connect() as conn:
            rows = (await conn.execute(queries[kind])).all()
        return [Entity(kind, str(entity_id), name or str(entity_id)) for entity_id, name in rows]

"""The user's own entities for name resolution, loaded lazily and cached for one turn.

Database-backed kinds (directions, creatives, leads, dialogs, tests) come in ONE query the first
time any of them is needed; platform kinds (campaigns, ad sets) in one Graph call each.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import String, cast, literal, null, select, union_all

from agent_brain.db.models import Creative, CreativeTest, Direction, Lead, WhatsAppDialog
from agent_brain.llm.base import Entity, EntityKind
from agent_brain.tools.context import ToolContext

DB_KINDS = ("direction", "creative", "lead", "dialog", "test")


class TurnEntityResolver:
    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self._cache: dict[str, list[Entity]] = {}

    async def entities(self, kind: EntityKind) -> Sequence[Entity]:
        if kind not in self._cache:
            if kind in DB_KINDS:
                self._cache.update(await self._load_db_kinds())
            else:
                self._cache[kind] = await self._load_platform(kind)
        return self._cache.get(kind, [])

    async def _load_platform(self, kind: EntityKind) -> list[Entity]:
        ctx = self.ctx
        if not ctx.platform_account_id:
            return []
        if kind == "campaign":
            return [Entity("campaign", c.id, c.name, {"status": c.status})
                    for c in await ctx.meta.list_campaigns(ctx.platform_account_id)]
        if kind == "adset":
            return [Entity("adset", s.id, s.name, {"campaign_id": s.campaign_id, "status": s.status,
                                                   "daily_budget_cents": s.daily_budget_cents})
                    for s in await ctx.meta.list_ad_sets(account_id=ctx.platform_account_id)]
        return []

    async def _load_db_kinds(self) -> dict[str, list[Entity]]:
        user = self.ctx.user_id

        no_phone = null().cast(String)

        def part(kind: str, ident, name, *where, phone=no_phone):  # type: ignore[no-untyped-def]
            return select(literal(kind).label("kind"), cast(ident, String).label("id"),
                          cast(name, String).label("name"), phone.label("phone")).where(*where)

        query = union_all(
            part("direction", Direction.id, Direction.name, Direction.user_id == user),
            part("creative", Creative.id, Creative.title, Creative.user_id == user),
            part("lead", Lead.id, Lead.name, Lead.user_id == user, phone=Lead.phone),
            part("dialog", WhatsAppDialog.phone, WhatsAppDialog.contact_name, WhatsAppDialog.user_id == user),
            select(literal("test").label("kind"), cast(CreativeTest.id, String).label("id"),
                   Creative.title.label("name"), no_phone.label("phone"))
            .join(Creative, Creative.id == CreativeTest.creative_id).where(Creative.user_id == user),
        )
        loaded: dict[str, list[Entity]] = {kind: [] for kind in DB_KINDS}
        async with self.ctx.engine.connect() as conn:
            for kind, entity_id, name, phone in (await conn.execute(query)).all():
                loaded[kind].append(Entity(kind, entity_id, name or entity_id, {"phone": phone} if phone else {}))
        return loaded

"""The user's own entities for name resolution, loaded lazily and cached for one turn.

Database-backed kinds (directions, creatives, leads, dialogs, tests) come in ONE query the first
time any of them is needed; platform kinds (campaigns, ad sets) in one Graph call each. Entities
carry what tells equal names apart and what relative changes need: a lead's phone, stage and
direction; a direction's budget, target CPL and campaign; a campaign's direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, literal, null, select, union_all

from agent_brain.db.models import Creative, CreativeTest, Direction, FunnelStage, Lead, WhatsAppDialog
from agent_brain.llm.base import Entity, EntityKind
from agent_brain.platforms.graph.client import token_scope
from agent_brain.platforms.jsonapi.client import api_token_scope
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
                tokens = self.ctx.platform_tokens()  # the accounts' own tokens, as their tools use
                with token_scope(tokens.get("meta")), api_token_scope(tokens):
                    self._cache[kind] = await self._load_platform(kind)
        return self._cache.get(kind, [])

    async def _load_platform(self, kind: EntityKind) -> list[Entity]:
        """Campaigns or ad sets of every linked platform (a platform that fails is left out)."""
        from agent_brain.platforms.graph.errors import GraphError

        out: list[Entity] = []
        subs = [s for s in (self.ctx.on(p) for p in self.ctx.linked_platforms()) if s is not None] or [self.ctx]
        for sub in subs:
            try:
                found = await self._load_platform_on(sub, kind)
            except GraphError:
                if sub is subs[0]:
                    raise
                continue
            if len(subs) > 1:
                found = [Entity(e.kind, e.id, e.name, {**e.extra, "platform": sub.platform}) for e in found]
            out.extend(found)
        return out

    async def _load_platform_on(self, ctx: ToolContext, kind: EntityKind) -> list[Entity]:
        if not ctx.platform_account_id:
            return []
        if kind == "campaign":
            directions = ({e.extra.get("campaign_id"): e for e in await self.entities("direction")}
                          if ctx.platform == "meta" else {})
            out = []
            for c in await ctx.meta.list_campaigns(ctx.platform_account_id):
                extra: dict[str, Any] = {"status": c.status, "daily_budget_cents": c.daily_budget_cents}
                if c.id in directions:
                    extra |= {"direction_id": directions[c.id].id, "direction": directions[c.id].name}
                out.append(Entity("campaign", c.id, c.name, extra))
            return out
        if kind == "adset":
            return [Entity("adset", s.id, s.name, {"campaign_id": s.campaign_id, "status": s.status,
                                                   "daily_budget_cents": s.daily_budget_cents})
                    for s in await ctx.meta.list_ad_sets(account_id=ctx.platform_account_id)]
        return []

    async def _load_db_kinds(self) -> dict[str, list[Entity]]:
        user = self.ctx.user_id
        none = cast(null(), String)

        def part(kind: str, ident, name, *where, a=none, b=none, c=none, d=none):  # type: ignore[no-untyped-def]
            return select(literal(kind).label("kind"), cast(ident, String).label("id"),
                          cast(name, String).label("name"), cast(a, String).label("a"), cast(b, String).label("b"),
                          cast(c, String).label("c"), cast(d, String).label("d")).where(*where)

        lead_direction = Direction.__table__.alias("lead_direction")
        query = union_all(
            part("direction", Direction.id, Direction.name, Direction.user_id == user, a=Direction.daily_budget_cents,
                 b=Direction.target_cpl_cents, c=Direction.fb_campaign_id),
            part("creative", Creative.id, Creative.title, Creative.user_id == user),
            part("lead", Lead.id, Lead.name, Lead.user_id == user, a=Lead.phone, b=FunnelStage.name,
                 c=lead_direction.c.name)
            .join(FunnelStage, FunnelStage.id == Lead.stage_id)
            .outerjoin(lead_direction, lead_direction.c.id == Lead.direction_id),
            part("dialog", WhatsAppDialog.phone, WhatsAppDialog.contact_name, WhatsAppDialog.user_id == user),
            part("test", CreativeTest.id, Creative.title, Creative.user_id == user)
            .join(Creative, Creative.id == CreativeTest.creative_id),
        )
        loaded: dict[str, list[Entity]] = {kind: [] for kind in DB_KINDS}
        async with self.ctx.engine.connect() as conn:
            for kind, entity_id, name, a, b, c, _ in (await conn.execute(query)).all():
                loaded[kind].append(Entity(kind, entity_id, name or entity_id, _extra(kind, a, b, c)))
        return loaded


def _extra(kind: str, a: str | None, b: str | None, c: str | None) -> dict[str, Any]:
    if kind == "direction":
        return {k: v for k, v in (("daily_budget_cents", int(a) if a else None),
                                  ("target_cpl_cents", int(b) if b else None), ("campaign_id", c)) if v is not None}
    if kind == "lead":
        return {k: v for k, v in (("phone", a), ("stage", b), ("direction", c)) if v}
    return {}

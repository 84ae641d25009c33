"""The user's own entities for name resolution: what this turn's texts could name, cached for the turn.

`narrow(texts=…, ids=…)` says what the turn is about (the message, the open question's message,
the ids in the focus and the previous calls); database kinds (directions, creatives, leads,
dialogs, tests) then come in ONE bounded, indexed query (`entity_search`) — never every name of
the account — and later calls look up only what is new. Platform kinds (campaigns, ad sets) come
in one Graph call each. Entities carry what tells equal names apart and what relative changes
need: a lead's phone, stage and direction; a direction's budget, target CPL and campaign; a
campaign's direction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from agent_brain.llm.base import Entity, EntityKind
from agent_brain.orchestrator.entity_search import Terms, candidates_query
from agent_brain.platforms.graph.client import token_scope
from agent_brain.platforms.jsonapi.client import api_token_scope
from agent_brain.tools.context import ToolContext

DB_KINDS = ("direction", "creative", "lead", "dialog", "test")


class TurnEntityResolver:
    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self._db: dict[str, dict[str, Entity]] | None = None  # kind → id → entity, once the first lookup ran
        self._looked_up = Terms()
        self._wanted = Terms()
        self._platform: dict[str, list[Entity]] = {}

    async def narrow(self, *, texts: Iterable[str] = (), ids: Iterable[Any] = ()) -> None:
        """What the turn could name: looked up (only what is new) before the next `entities`."""
        for text in texts:
            if text:
                self._wanted.add_text(text)
        self._wanted.add_ids(ids)

    async def entities(self, kind: EntityKind) -> Sequence[Entity]:
        if kind in DB_KINDS:
            await self._lookup()
            return list((self._db or {}).get(kind, {}).values())
        if kind not in self._platform:
            tokens = self.ctx.platform_tokens()  # the accounts' own tokens, as their tools use
            with token_scope(tokens.get("meta")), api_token_scope(tokens):
                self._platform[kind] = await self._load_platform(kind)
        return self._platform[kind]

    async def _lookup(self) -> None:
        new = self._wanted.minus(self._looked_up)
        first = self._db is None
        if not first and not new:
            return
        found = self._db if self._db is not None else {kind: {} for kind in DB_KINDS}
        query = candidates_query(self.ctx.user_id, new, first=first)
        if query is not None:
            async with self.ctx.engine.connect() as conn:
                for kind, entity_id, name, a, b, c in (await conn.execute(*query)).all():
                    found[kind].setdefault(entity_id, Entity(kind, entity_id, name or entity_id, _extra(kind, a, b, c)))
        self._db = found
        self._looked_up.merge(new)

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


def _extra(kind: str, a: str | None, b: str | None, c: str | None) -> dict[str, Any]:
    if kind == "direction":
        return {k: v for k, v in (("daily_budget_cents", int(a) if a else None),
                                  ("target_cpl_cents", int(b) if b else None), ("campaign_id", c)) if v is not None}
    if kind == "lead":
        return {k: v for k, v in (("phone", a), ("stage", b), ("direction", c)) if v}
    return {}

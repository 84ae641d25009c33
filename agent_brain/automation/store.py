"""Rules and their execution log in PostgreSQL; every query is scoped to the rule's owner."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.automation.rules import RuleSpec
from agent_brain.db.models import AutomationRule, AutomationRuleEvent

_SPEC_FIELDS = tuple(f for f in RuleSpec.model_fields if f != "scope_names")


@dataclass(frozen=True)
class StoredRule:
    id: uuid.UUID
    user_id: uuid.UUID
    ad_account_id: uuid.UUID
    enabled: bool
    spec: RuleSpec
    last_evaluated_at: dt.datetime | None


def _stored(row: Any) -> StoredRule:
    m = row._mapping
    return StoredRule(m["id"], m["user_id"], m["ad_account_id"], m["enabled"],
                      RuleSpec.model_validate({k: m[k] for k in _SPEC_FIELDS}), m["last_evaluated_at"])


class RuleNotFoundError(LookupError):
    pass


class RulesStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, user_id: uuid.UUID, ad_account_id: uuid.UUID, spec: RuleSpec) -> StoredRule:
        values = spec.model_dump(include=set(_SPEC_FIELDS))
        async with self.engine.begin() as conn:
            row = (await conn.execute(insert(AutomationRule).values(
                user_id=user_id, ad_account_id=ad_account_id, **values).returning(AutomationRule))).one()
        return _stored(row)

    async def list(self, user_id: uuid.UUID) -> list[StoredRule]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(AutomationRule).where(AutomationRule.user_id == user_id)
                                       .order_by(AutomationRule.created_at))).all()
        return [_stored(r) for r in rows]

    async def get(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> StoredRule:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(AutomationRule).where(
                AutomationRule.id == rule_id, AutomationRule.user_id == user_id))).first()
        if row is None:
            raise RuleNotFoundError(str(rule_id))
        return _stored(row)

    async def get_many(self, rule_ids: list[uuid.UUID]) -> dict[uuid.UUID, StoredRule]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(AutomationRule).where(AutomationRule.id.in_(rule_ids)))).all()
        return {r.id: _stored(r) for r in rows}

    async def update(self, user_id: uuid.UUID, rule_id: uuid.UUID, **values: Any) -> StoredRule:
        """Enable/disable, switch propose/auto, or change fields (validated again as a whole)."""
        current = await self.get(user_id, rule_id)
        enabled = values.pop("enabled", current.enabled)
        spec = RuleSpec.model_validate({**current.spec.model_dump(), **values})
        async with self.engine.begin() as conn:
            row = (await conn.execute(update(AutomationRule).where(
                AutomationRule.id == rule_id, AutomationRule.user_id == user_id).values(
                enabled=enabled, updated_at=clock.now(), **spec.model_dump(include=set(_SPEC_FIELDS)))
                .returning(AutomationRule))).one()
        return _stored(row)

    async def delete(self, user_id: uuid.UUID, rule_id: uuid.UUID) -> None:
        async with self.engine.begin() as conn:
            deleted = (await conn.execute(delete(AutomationRule).where(
                AutomationRule.id == rule_id, AutomationRule.user_id == user_id))).rowcount
        if not deleted:
            raise RuleNotFoundError(str(rule_id))

    async def events(self, user_id: uuid.UUID, *, since: dt.datetime) -> list[dict[str, Any]]:
        """The log: what the user's rules did since a moment (for «что сделали правила за неделю?»)."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                select(AutomationRuleEvent, AutomationRule.name, AutomationRule.action)
                .join(AutomationRule, AutomationRule.id == AutomationRuleEvent.rule_id)
                .where(AutomationRule.user_id == user_id, AutomationRuleEvent.created_at >= since)
                .order_by(AutomationRuleEvent.created_at.desc()))).all()
        return [dict(r._mapping) for r in rows]

    async def recent_outcomes(self, rule_ids: list[uuid.UUID], since: dt.datetime) -> list[Any]:
        """Firings that acted (proposed or executed) since a moment: what cooldowns and caps count."""
        async with self.engine.connect() as conn:
            return list((await conn.execute(
                select(AutomationRuleEvent.rule_id, AutomationRuleEvent.object_id, AutomationRuleEvent.window_to,
                       AutomationRuleEvent.outcome, AutomationRuleEvent.created_at)
                .where(AutomationRuleEvent.rule_id.in_(rule_ids), AutomationRuleEvent.created_at >= since,
                       AutomationRuleEvent.outcome.in_(("proposed", "executed", "notified"))))).all())

    async def log(self, events: list[dict[str, Any]]) -> None:
        if events:
            async with self.engine.begin() as conn:
                await conn.execute(insert(AutomationRuleEvent), [{"created_at": clock.now(), **e} for e in events])

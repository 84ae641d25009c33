"""The sandbox account's state in PostgreSQL (`sandbox_objects`, `sandbox_ad_stats`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import SandboxAdStats, SandboxObject
from agent_brain.platforms.sandbox.insights import COUNT_FIELDS, StatRow


class SandboxState:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def get(self, object_id: str) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(SandboxObject).where(SandboxObject.id == object_id))).first()
        return None if row is None else dict(row._mapping)

    async def children(
        self, *, type_: str, account_id: str | None = None, parent_id: str | None = None,
        campaign_id: str | None = None, adset_id: str | None = None,
    ) -> list[dict[str, Any]]:
        stmt = select(SandboxObject).where(SandboxObject.type == type_)
        for column, value in (
            (SandboxObject.account_id, account_id),
            (SandboxObject.parent_id, parent_id),
            (SandboxObject.campaign_id, campaign_id),
            (SandboxObject.adset_id, adset_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        stmt = stmt.order_by(SandboxObject.created_time.desc(), SandboxObject.id)
        async with self._engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(stmt)).all()]

    async def create(
        self, *, type_: str, account_id: str, name: str, status: str | None = None, parent_id: str | None = None,
        campaign_id: str | None = None, adset_id: str | None = None, fields: dict[str, Any] | None = None,
        object_id: str | None = None,
    ) -> dict[str, Any]:
        values = {
            "id": object_id if object_id is not None else text("nextval('sandbox_object_id_seq')::text"),
            "type": type_, "account_id": account_id, "name": name, "status": status,
            "parent_id": parent_id, "campaign_id": campaign_id, "adset_id": adset_id, "fields": fields or {},
        }
        async with self._engine.connect() as conn:
            row = (await conn.execute(insert(SandboxObject).values(**values).returning(SandboxObject))).first()
        return dict(row._mapping)

    async def update(
        self, object_id: str, *, name: str | None = None, status: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        values: dict[str, Any] = {"updated_time": func.now()}
        if name is not None:
            values["name"] = name
        if status is not None:
            values["status"] = status
        if fields:
            values["fields"] = SandboxObject.fields.op("||")(func.cast(fields, SandboxObject.fields.type))
        stmt = update(SandboxObject).where(SandboxObject.id == object_id).values(**values).returning(SandboxObject)
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else dict(row._mapping)

    async def stat_rows(
        self, *, account_id: str, since: dt.date, until: dt.date, campaign_id: str | None = None,
        adset_id: str | None = None, ad_id: str | None = None,
    ) -> list[StatRow]:
        s = SandboxAdStats
        campaign = SandboxObject.__table__.alias("c")
        adset = SandboxObject.__table__.alias("s")
        ad = SandboxObject.__table__.alias("a")
        stmt = (
            select(s, campaign.c.name.label("campaign_name"), adset.c.name.label("adset_name"),
                   ad.c.name.label("ad_name"))
            .join(campaign, campaign.c.id == s.campaign_id)
            .join(adset, adset.c.id == s.adset_id)
            .join(ad, ad.c.id == s.ad_id)
            .where(s.account_id == account_id, s.date >= since, s.date <= until)
        )
        for column, value in ((s.campaign_id, campaign_id), (s.adset_id, adset_id), (s.ad_id, ad_id)):
            if value is not None:
                stmt = stmt.where(column == value)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            StatRow(
                date=r.date, account_id=r.account_id, campaign_id=r.campaign_id, campaign_name=r.campaign_name,
                adset_id=r.adset_id, adset_name=r.adset_name, ad_id=r.ad_id, ad_name=r.ad_name,
                counts={f: getattr(r, f) for f in COUNT_FIELDS},
                actions={a["action_type"]: int(a["value"]) for a in r.actions},
            )
            for r in rows
        ]

    async def lifetime_spend(self, account_id: str) -> int:
        """All spend of the account, in minor units (Graph's `amount_spent`)."""
        stmt = select(func.coalesce(func.sum(SandboxAdStats.spend_cents), 0)).where(
            SandboxAdStats.account_id == account_id)
        async with self._engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    async def insert_objects(self, rows: Sequence[dict[str, Any]]) -> int:
        """Bulk insert of seed objects; existing ids are left untouched (idempotent seeding).

        Returns how many rows were new.
        """
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        if not rows:
            return 0
        # A multi-row VALUES takes its columns from the first row: give every row every column.
        defaults = {"status": None, "parent_id": None, "campaign_id": None, "adset_id": None, "fields": {}}
        full = []
        for row in rows:
            created = row.get("created_time", func.now())
            full.append({**defaults, "created_time": created, "updated_time": row.get("updated_time", created), **row})
        inserted = 0
        async with self._engine.connect() as conn:
            for start in range(0, len(full), 1000):
                stmt = pg_insert(SandboxObject).values(full[start : start + 1000]).on_conflict_do_nothing()
                inserted += len((await conn.execute(stmt.returning(SandboxObject.id))).all())
        return inserted

    async def insert_stats(self, rows: Sequence[dict[str, Any]]) -> int:
        """Bulk insert of ad-day stats, keeping existing days; returns how many rows were new."""
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        inserted = 0
        async with self._engine.connect() as conn:
            for start in range(0, len(rows), 1000):
                stmt = pg_insert(SandboxAdStats).values(list(rows[start : start + 1000])).on_conflict_do_nothing()
                inserted += len((await conn.execute(stmt.returning(SandboxAdStats.ad_id))).all())
        return inserted

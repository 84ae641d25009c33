"""State of the TikTok and Google Ads sandboxes in PostgreSQL, and their shared fault queue.

Both emulators keep objects in `sandbox_platform_objects` and ad-days in `sandbox_platform_stats`
(keyed by platform), money in minor units; each renders them in its platform's format.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import SandboxPlatformObject, SandboxPlatformStats

Obj = SandboxPlatformObject
Stats = SandboxPlatformStats


class PlatformSandboxState:
    def __init__(self, engine: AsyncEngine, platform: str) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.platform = platform

    async def get(self, object_id: str) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(Obj).where(Obj.platform == self.platform, Obj.id == object_id))).first()
        return None if row is None else dict(row._mapping)

    async def objects(self, type_: str, *, account_id: str | None = None, ids: Sequence[str] | None = None,
                      parent_ids: Sequence[str] | None = None,
                      campaign_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        stmt = select(Obj).where(Obj.platform == self.platform, Obj.type == type_)
        if account_id is not None:
            stmt = stmt.where(Obj.account_id == account_id)
        if ids is not None:
            stmt = stmt.where(Obj.id.in_(list(ids)))
        if parent_ids is not None:
            stmt = stmt.where(Obj.parent_id.in_(list(parent_ids)))
        if campaign_ids is not None:
            stmt = stmt.where(Obj.campaign_id.in_(list(campaign_ids)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(Obj.created_time.desc(), Obj.id))).all()
        return [dict(r._mapping) for r in rows]

    async def update(self, object_id: str, *, status: str | None = None,
                     fields: dict[str, Any] | None = None) -> dict[str, Any] | None:
        values: dict[str, Any] = {"updated_time": func.now()}
        if status is not None:
            values["status"] = status
        if fields:
            values["fields"] = Obj.fields.op("||")(func.cast(fields, Obj.fields.type))
        stmt = (update(Obj).where(Obj.platform == self.platform, Obj.id == object_id).values(**values)
                .returning(Obj))
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return None if row is None else dict(row._mapping)

    async def stats(self, *, account_id: str, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
        stmt = select(Stats).where(Stats.platform == self.platform, Stats.account_id == account_id,
                                   Stats.date >= since, Stats.date <= until)
        async with self._engine.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(stmt)).all()]

    async def insert(self, objects: Sequence[dict[str, Any]], stats: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Idempotent seeding: existing objects and days are kept (state changed through the API survives)."""
        inserted = {"sandbox_platform_objects": 0, "sandbox_platform_stats": 0}
        defaults = {"parent_id": None, "campaign_id": None, "status": None, "fields": {}}
        async with self._engine.connect() as conn:
            for model, rows, key in ((Obj, [{**defaults, **r} for r in objects], "sandbox_platform_objects"),
                                     (Stats, list(stats), "sandbox_platform_stats")):
                for start in range(0, len(rows), 1000):
                    chunk = [{"platform": self.platform, **r} for r in rows[start:start + 1000]]
                    stmt = pg_insert(model).values(chunk).on_conflict_do_nothing()
                    inserted[key] += len((await conn.execute(stmt.returning(model.platform))).all())
        return inserted


FaultKind = Literal["server_error", "rate_limit", "token_expired", "permission_denied", "invalid_parameter",
                    "slow", "drop_write"]


@dataclass
class Fault:
    kind: FaultKind
    remaining: int = 1
    method: str | None = None
    delay_seconds: float = 0.0
    retry_after_seconds: int | None = None


@dataclass
class PlatformFaults:
    """Queued faults: each request consumes the first one matching its method (as the Graph sandbox)."""

    faults: list[Fault] = field(default_factory=list)
    served: int = 0

    def inject(self, kind: FaultKind, *, times: int = 1, method: str | None = None, delay_seconds: float = 0.0,
               retry_after_seconds: int | None = None) -> None:
        self.faults.append(Fault(kind, times, method.upper() if method else None, delay_seconds,
                                 retry_after_seconds))

    def clear(self) -> None:
        self.faults.clear()

    async def take(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method is None or fault.method == method:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                self.served += 1
                if fault.kind == "slow":
                    await asyncio.sleep(fault.delay_seconds)
                    return None
                return fault
        return None


class FaultRequest(BaseModel):
    """`POST /_sandbox/faults`: the next `times` calls (of `method`, if given) fail as `kind`."""

    kind: FaultKind
    times: int = 1
    method: str | None = None
    delay_seconds: float = 0.0
    retry_after_seconds: int | None = None


def add_control_routes(app: FastAPI, emulator: Any) -> None:
    """The sandbox's own routes, the same on every platform: inject and clear faults, count writes."""

    @app.post("/_sandbox/faults", status_code=204)
    async def inject_fault(fault: FaultRequest) -> None:
        emulator.faults.inject(**fault.model_dump())

    @app.delete("/_sandbox/faults", status_code=204)
    async def clear_faults() -> None:
        emulator.faults.clear()

    @app.get("/_sandbox/stats")
    async def stats() -> dict[str, int]:
        return {"writes_applied": emulator.writes_applied}

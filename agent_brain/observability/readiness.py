"""`/ready`: may this instance take traffic? Unlike `/health` (the process is alive), it checks the
database answers, its schema is at the migrations' head, and the platform breaker: an open breaker
makes the instance "degraded" — it answers, but platform calls fail fast — not "ok"."""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.migrate import head_revisions

log = logging.getLogger(__name__)


@functools.cache
def migration_heads() -> frozenset[str]:
    return frozenset(head_revisions())  # read from the scripts' text: no Alembic import in the web process


@dataclass
class Readiness:
    status: str  # ok | degraded | unavailable
    checks: dict[str, Any] = field(default_factory=dict)

    @property
    def http_status(self) -> int:
        return 503 if self.status == "unavailable" else 200

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, **self.checks}


async def check_ready(engine: AsyncEngine, breaker_statuses: list[Any]) -> Readiness:
    checks: dict[str, Any] = {}
    try:
        async with engine.connect() as conn:
            current = set((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        checks["database"] = True
    except Exception:  # reported, not raised
        log.warning("readiness: database unavailable", exc_info=True)
        checks.update(database=False, migrations="unknown")
        current = None
    if current is not None:
        heads = migration_heads()
        checks["migrations"] = "head" if current == heads else "behind"
        if current != heads:
            checks["migrations_current"] = sorted(current)
            checks["migrations_head"] = sorted(heads)
    checks["breakers"] = {s.platform: {"state": s.state, "retry_in": math.ceil(s.seconds_until_retry)}
                          for s in breaker_statuses}
    if not checks["database"] or checks["migrations"] != "head":
        status = "unavailable"
    elif any(s.state != "closed" for s in breaker_statuses):
        status = "degraded"
    else:
        status = "ok"
    return Readiness(status, checks)

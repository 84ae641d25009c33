"""The durable inbox: a webhook delivery is stored and its processing job queued in ONE transaction.

So the 200 Meta gets means the delivery is in PostgreSQL together with the job that will process it
(procrastinate's own defer function, called on our connection). Processing claims the row
(`FOR UPDATE SKIP LOCKED`) and marks it processed in the same transaction as everything it writes:
a crash before the commit leaves it unprocessed for the job's retry or the sweep, a crash after
leaves nothing to do. Message ids are unique, so even a delivery Meta sends twice is stored once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.db.models import InboundDelivery
from agent_brain.inbound.analysis import Analyzer
from agent_brain.inbound.ingest import Ingested, ingest
from agent_brain.inbound.live import announce
from agent_brain.inbound.payloads import parse

log = logging.getLogger(__name__)

QUEUE = "inbound"
TASK = "agent_brain:process_inbound_delivery"  # jobs.tasks.NAMESPACE + the task's name

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, NULL, NULL, CAST(:args AS jsonb), NULL)"
    "::procrastinate_job_to_defer_v1])"
)


async def receive(engine: AsyncEngine, platform: str, body: bytes) -> int:
    """Store a verified delivery and queue its processing, atomically. Returns the inbox id."""
    async with engine.begin() as conn:
        delivery_id = (await conn.execute(
            InboundDelivery.__table__.insert().values(platform=platform, body=body).returning(InboundDelivery.id)
        )).scalar_one()
        await conn.execute(_DEFER, {"queue": QUEUE, "task": TASK, "args": json.dumps({"delivery_id": delivery_id})})
    return int(delivery_id)


async def process(engine: AsyncEngine, delivery_id: int, analyzer: Analyzer) -> Ingested | None:
    """Process one delivery if nobody has (None: already processed, or being processed right now)."""
    try:
        async with engine.begin() as conn:
            row = (await conn.execute(
                select(InboundDelivery.id, InboundDelivery.platform, InboundDelivery.body)
                .where(InboundDelivery.id == delivery_id, InboundDelivery.processed_at.is_(None))
                .with_for_update(skip_locked=True))).first()
            if row is None:
                return None
            result = Ingested()
            outcome: dict[str, Any]
            try:
                body = json.loads(row.body)
                if not isinstance(body, dict):
                    raise ValueError("not a JSON object")
            except ValueError:  # signed by Meta yet unreadable: kept, marked, never retried
                outcome = {"error": "malformed"}
            else:
                messages, statuses = parse(row.platform, body)
                result = await ingest(conn, messages, statuses, analyzer)
                outcome = result.to_json()
                for user_id, dialog_ids in result.dialogs_by_user().items():  # sent on commit only
                    await announce(conn, user_id, dialog_ids)
            await conn.execute(update(InboundDelivery).where(InboundDelivery.id == delivery_id).values(
                processed_at=clock.now(), attempts=InboundDelivery.attempts + 1, result=outcome))
        return result
    except Exception as exc:
        async with engine.begin() as conn:
            await conn.execute(update(InboundDelivery).where(InboundDelivery.id == delivery_id).values(
                attempts=InboundDelivery.attempts + 1, last_error=type(exc).__name__))
        raise


async def pending(engine: AsyncEngine, *, older_than_seconds: float = 60.0, limit: int = 200) -> list[int]:
    """Deliveries still unprocessed a while after they arrived (their job was lost or failed)."""
    async with engine.connect() as conn:
        return list((await conn.execute(
            select(InboundDelivery.id)
            .where(InboundDelivery.processed_at.is_(None),
                   InboundDelivery.received_at <= func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds))
            .order_by(InboundDelivery.id).limit(limit))).scalars())

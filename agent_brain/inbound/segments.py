"""Who a broadcast goes to: the user's customer dialogs by their lead's temperature, stage, direction.

Opted-out customers are counted and never included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Direction, FunnelStage, Lead, WhatsAppDialog


@dataclass(frozen=True)
class Segment:
    temperature: str | None = None
    stage: str | None = None
    direction_id: uuid.UUID | None = None
    channel: str | None = None


@dataclass(frozen=True)
class SegmentMembers:
    dialogs: list[Row[Any]]
    opted_out: int


def _conditions(user_id: uuid.UUID, segment: Segment) -> list[Any]:
    conditions: list[Any] = [WhatsAppDialog.user_id == user_id, Lead.user_id == user_id]
    if segment.temperature:
        conditions.append(Lead.temperature == segment.temperature)
    if segment.stage:
        conditions.append(func.lower(FunnelStage.name) == segment.stage.casefold())
    if segment.direction_id:
        conditions.append(Lead.direction_id == segment.direction_id)
    if segment.channel:
        conditions.append(WhatsAppDialog.channel == segment.channel)
    return conditions


async def members(engine: AsyncEngine, user_id: uuid.UUID, segment: Segment) -> SegmentMembers:
    base = (select(WhatsAppDialog.id, WhatsAppDialog.phone, WhatsAppDialog.instagram_id, WhatsAppDialog.contact_name,
                   WhatsAppDialog.opted_out, WhatsAppDialog.channel, Direction.name.label("direction"))
            .join(Lead, Lead.id == WhatsAppDialog.lead_id)
            .join(FunnelStage, FunnelStage.id == Lead.stage_id)
            .outerjoin(Direction, Direction.id == Lead.direction_id)
            .where(*_conditions(user_id, segment))
            .order_by(WhatsAppDialog.last_message_at.desc().nulls_last(), WhatsAppDialog.id))
    async with engine.connect() as conn:
        rows = (await conn.execute(base)).all()
    return SegmentMembers([r for r in rows if not r.opted_out], sum(1 for r in rows if r.opted_out))

"""What the inbound tests share: the World handle (its fixtures are in conftest.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.inbound.service import HandoffCard, InboundService
from agent_brain.platforms.sandbox.customers import CustomerSimulator
from agent_brain.platforms.sandbox.messaging import MessagingSandbox
from agent_brain.runtime import Runtime


async def no_sleep(_: float) -> None:
    return None


@dataclass
class World:
    engine: AsyncEngine
    runtime: Runtime
    http: httpx.AsyncClient
    messaging: MessagingSandbox
    customers: CustomerSimulator
    service: InboundService
    user_id: uuid.UUID
    whatsapp_account: uuid.UUID
    instagram_account: uuid.UUID
    cards: list[HandoffCard] = field(default_factory=list)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    async def process_pending(self) -> None:
        """What the worker would do: every unprocessed delivery (the sweep with no grace period)."""
        await self.service.sweep(older_than_seconds=0)

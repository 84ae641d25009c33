"""What the automation tests share: the demo account, its platform, its plan executor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.stores.unified import UnifiedStore


@dataclass
class RulesWorld:
    engine: AsyncEngine
    meta: MetaAdapter
    store: UnifiedStore
    orchestrator: Orchestrator
    user_id: uuid.UUID
    account_id: uuid.UUID
    external_id: str
    timezone: str

    async def execute_plan(self, user_id: uuid.UUID, plan_id: uuid.UUID) -> str:
        async for _ in self.orchestrator.execute_plan(user_id, plan_id):
            pass
        return (await self.store.get_plan(plan_id, user_id=user_id)).status

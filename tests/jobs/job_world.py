"""What the job tests share: the demo world's database, its sandbox adapter and the job services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.jobs.metrics_sync import SyncAccount
from agent_brain.jobs.tasks import JobServices
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.faults import FaultInjector


@dataclass
class World:
    engine: AsyncEngine
    meta: MetaAdapter
    faults: FaultInjector
    account: SyncAccount
    services: JobServices

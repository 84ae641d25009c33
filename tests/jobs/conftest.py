"""Jobs against the demo world: a real PostgreSQL (procrastinate's schema migrated), the Graph sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from job_world import World
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import AdAccount
from agent_brain.jobs.metrics_sync import SyncAccount
from agent_brain.jobs.tasks import JobServices
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.sandbox.faults import FaultInjector
from agent_brain.stores.unified import UnifiedStore


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def world(demo_engine: AsyncEngine) -> AsyncIterator[World]:
    faults = FaultInjector()
    app = create_sandbox_app(demo_engine, faults=faults)
    client = GraphClient("t", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"),
                         sleep=_no_sleep)
    async with client:
        meta = MetaAdapter(client)
        async with demo_engine.connect() as conn:
            row = (await conn.execute(select(AdAccount.id, AdAccount.external_id, AdAccount.timezone))).one()
        yield World(demo_engine, meta, faults, SyncAccount(row.id, row.external_id, row.timezone),
                    JobServices(engine=demo_engine, platforms={"meta": meta}, store=UnifiedStore(demo_engine)))

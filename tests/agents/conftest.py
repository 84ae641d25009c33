"""Tool handlers run against the demo world: PostgreSQL business data + the Graph sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import AdAccount, User
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.tools.context import ToolContext


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def sandbox_app(demo_engine: AsyncEngine):  # type: ignore[no-untyped-def]
    return create_sandbox_app(demo_engine)


@pytest.fixture
async def tool_ctx(demo_engine: AsyncEngine, sandbox_app) -> AsyncIterator[ToolContext]:  # type: ignore[no-untyped-def]
    """The demo user's context: its ad account, the sandbox platform, write guard (no real sleeps)."""
    async with demo_engine.connect() as conn:
        user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        account = (await conn.execute(select(AdAccount).where(AdAccount.user_id == user_id))).first()
    client = GraphClient("sandbox-token", transport=httpx.ASGITransport(app=sandbox_app),
                         breaker=BreakerRegistry().get("meta"), sleep=_no_sleep)
    async with client:
        yield ToolContext(
            user_id=user_id, engine=demo_engine, meta=MetaAdapter(client),
            writes=WriteGuard(IdempotentExecutor(demo_engine, poll_interval=0.01), sleep=_no_sleep),
            ad_account_id=account.id, platform_account_id=account.external_id, currency=account.currency,
            timezone=account.timezone, language="ru",  # today: the account's calendar
        )

"""Process-wide wiring: settings → database → platform → models → agents → orchestrator. Built once per process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.agents import load_agents
from agent_brain.config import Settings
from agent_brain.db import migrate
from agent_brain.db.engine import create_engine, resolve_database_url
from agent_brain.llm.factory import build_models
from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.factory import open_meta_adapter, open_platform_adapters
from agent_brain.platforms.graph.shared import SharedHealth
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.security import TokenCipher
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    conversations: UnifiedStore
    users: UserStore
    meta: MetaAdapter
    orchestrator: Orchestrator
    # Breakers and account pauses shared with every other process (None: this runtime's own, e.g. in tests).
    health: SharedHealth | None = None

    async def database_ok(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # a health check reports, it does not raise
            log.exception("database health check failed")
            return False
        return True


@asynccontextmanager
async def open_runtime(settings: Settings, *, run_migrations: bool = True) -> AsyncIterator[Runtime]:
    engine = create_engine(resolve_database_url(settings))
    try:
        if run_migrations:  # on an existing database: one SELECT, no Alembic
            await migrate.upgrade_if_needed(engine)
        health = SharedHealth(engine)
        async with open_meta_adapter(settings, engine, health) as meta, \
                open_platform_adapters(settings, engine, health) as others:
            model, small_model = build_models(settings)
            conversations = UnifiedStore(
                engine,
                lock_lease_seconds=settings.conversation_lock_lease_seconds,
                plan_ttl_hours=settings.plan_ttl_hours,
            )
            orchestrator = Orchestrator(
                engine=engine, model=model, small_model=small_model, agents=load_agents(), meta=meta,
                store=conversations,
                writes=WriteGuard(IdempotentExecutor(engine), dry_run=settings.dry_run_mode),
                dry_run=settings.dry_run_mode, context_budget_tokens=settings.context_budget_tokens,
                cipher=TokenCipher.from_settings(settings),  # each ad account's own token, when stored
                platforms=others,
            )
            runtime = Runtime(
                settings=settings,
                engine=engine,
                conversations=conversations,
                users=UserStore(engine),
                meta=meta,
                orchestrator=orchestrator,
                health=health,
            )
            try:
                yield runtime
            finally:
                await orchestrator.wait_idle()  # turns whose callers left still finish and persist
                await health.flush()
    finally:
        await engine.dispose()

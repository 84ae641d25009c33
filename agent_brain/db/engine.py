"""Async SQLAlchemy engine over asyncpg, built from settings."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from agent_brain.config import Settings
from agent_brain.db.embedded import start_embedded_postgres


def to_asyncpg_url(url: str) -> str:
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]}")


def resolve_database_url(settings: Settings) -> str:
    """The configured DATABASE_URL, or the embedded server's URL (started on demand)."""
    if settings.database_url:
        return to_asyncpg_url(settings.database_url)
    return start_embedded_postgres(settings.data_dir)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        echo=echo,
        # JSONB columns are decoded by SQLAlchemy; keep asyncpg's own codecs untouched.
        connect_args={"server_settings": {"application_name": "agent-brain"}},
    )


async def connect_outside_pool(engine: AsyncEngine, application_name: str) -> asyncpg.Connection:
    """A plain asyncpg connection to `engine`'s database, outside its pool: for session state that must
    never go back to a pool (an advisory lock, LISTEN)."""
    url = engine.url
    host = url.query.get("host")  # a Unix socket directory (the embedded server)
    return await asyncpg.connect(user=url.username, password=url.password, database=url.database,
                                 host=host if isinstance(host, str) and host else url.host, port=url.port,
                                 server_settings={"application_name": application_name})

"""Run Alembic migrations programmatically (used by the CLI, the app start-up and the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_

from agent_brain.config import REPO_ROOT


def execute_script(connection: Connection, sql: str) -> None:
    """Run a multi-statement SQL script inside a migration's transaction.

    asyncpg prepares every statement SQLAlchemy sends, and a prepared statement holds one command;
    the driver's own `execute` without arguments uses the simple query protocol, which takes many.
    """
    driver = connection.connection.driver_connection
    await_(driver.execute(sql))  # type: ignore[union-attr]


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate compares our models only: procrastinate's tables belong to procrastinate."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


def alembic_config() -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, lambda cfg: command.downgrade(cfg, revision))


async def _run(engine: AsyncEngine, action) -> None:  # type: ignore[no-untyped-def]
    def _sync(connection) -> None:  # type: ignore[no-untyped-def]
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        action(cfg)

    async with engine.begin() as connection:
        await connection.run_sync(_sync)

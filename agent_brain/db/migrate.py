"""Run Alembic migrations programmatically (used by the CLI, the app start-up and the tests)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_

from agent_brain.config import REPO_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)


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


def head_revisions() -> set[str]:
    """The heads of the migration scripts, read from their text: no Alembic import, no script loading."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (REPO_ROOT / "migrations" / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN_REVISION.search(source)
        if down is not None:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return revisions - parents


async def at_head(engine: AsyncEngine) -> bool:
    """Whether the database is at the scripts' head: one SELECT of `alembic_version`."""
    heads = head_revisions()
    try:
        async with engine.connect() as connection:
            current = {row[0] for row in await connection.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return bool(heads) and current == heads


async def upgrade_if_needed(engine: AsyncEngine) -> bool:
    """Start-up's migration step: Alembic (seconds of imports and script loading) only when the database
    is behind the scripts. True when it ran."""
    if await at_head(engine):
        return False
    await upgrade(engine)
    return True


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    from alembic import command

    await _run(engine, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    from alembic import command

    await _run(engine, lambda cfg: command.downgrade(cfg, revision))


async def _run(engine: AsyncEngine, action) -> None:  # type: ignore[no-untyped-def]
    def _sync(connection) -> None:  # type: ignore[no-untyped-def]
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        action(cfg)

    async with engine.begin() as connection:
        await connection.run_sync(_sync)

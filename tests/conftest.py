"""Shared fixtures: a real PostgreSQL, one fresh database per test cloned from a migrated template.

`TEST_DATABASE_URL` points at a server (CI here: the local one); without it an embedded server
is started in a directory of this run's own (never pytest's shared temp root). Templates are migrated (and demo-seeded) once per session;
each test gets `CREATE DATABASE … TEMPLATE …`, which is a file copy and takes milliseconds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.engine import create_engine, to_asyncpg_url
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserRecord, UserStore

RUN_ID = uuid.uuid4().hex[:8]


class Databases:
    """Creates and drops throw-away databases on one server."""

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url)
        self.created: list[str] = []

    def url(self, name: str) -> str:
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    async def _admin(self) -> asyncpg.Connection:
        url = self.server_url.set(drivername="postgresql", database="postgres")
        host = url.query.get("host")
        return await asyncpg.connect(
            user=url.username, password=url.password, database="postgres",
            host=host if host else url.host, port=url.port,
        )

    async def create(self, name: str, *, template: str | None = None) -> str:
        conn = await self._admin()
        try:
            suffix = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
        finally:
            await conn.close()
        self.created.append(name)
        return self.url(name)

    async def drop(self, name: str) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        if name in self.created:
            self.created.remove(name)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield to_asyncpg_url(url)
        return
    from agent_brain.db.embedded import start_embedded_server

    # A directory of this run's own, outside pytest's shared temp root: each new pytest session
    # re-permissions /tmp/pytest-of-<user>, which would cut a neighbouring run's server off its files.
    data_dir = Path(tempfile.mkdtemp(prefix=f"agent-brain-test-pg-{RUN_ID}-"))
    server, url = start_embedded_server(data_dir, database="postgres", cleanup_mode="delete")
    try:
        yield url
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def databases(pg_server_url: str) -> AsyncIterator[Databases]:
    dbs = Databases(pg_server_url)
    yield dbs
    for name in list(dbs.created):
        await dbs.drop(name)


@pytest.fixture(scope="session")
async def migrated_template(databases: Databases) -> str:
    """A database at Alembic head, used as the template of every test database."""
    from agent_brain.db.migrate import upgrade

    name = f"abt_{RUN_ID}_schema"
    url = await databases.create(name)
    engine = create_engine(url, pool_size=1)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return name


@pytest.fixture(scope="session")
async def demo_template(databases: Databases, migrated_template: str) -> str:
    """The schema plus the deterministic demo world (`agent-brain demo-seed`)."""
    from agent_brain.demo.seed import seed_demo

    name = f"abt_{RUN_ID}_demo"
    url = await databases.create(name, template=migrated_template)
    engine = create_engine(url, pool_size=2)
    try:
        await seed_demo(engine)
    finally:
        await engine.dispose()
    return name


async def _fresh_engine(databases: Databases, template: str) -> AsyncIterator[AsyncEngine]:
    name = f"abt_{RUN_ID}_{uuid.uuid4().hex[:10]}"
    url = await databases.create(name, template=template)
    engine = create_engine(url, pool_size=5)
    try:
        yield engine
    finally:
        await engine.dispose()
        await databases.drop(name)


@pytest.fixture
async def engine(databases: Databases, migrated_template: str) -> AsyncIterator[AsyncEngine]:
    """An empty, migrated database of this test's own."""
    async for e in _fresh_engine(databases, migrated_template):
        yield e


@pytest.fixture
async def demo_engine(databases: Databases, demo_template: str) -> AsyncIterator[AsyncEngine]:
    """A database of this test's own holding the demo world."""
    async for e in _fresh_engine(databases, demo_template):
        yield e


@pytest.fixture
def store(engine: AsyncEngine) -> UnifiedStore:
    return UnifiedStore(engine)


@pytest.fixture
async def user(engine: AsyncEngine) -> UserRecord:
    record, _token = await UserStore(engine).create_user(f"tester-{uuid.uuid4().hex[:6]}")
    return record


@pytest.fixture
async def other_user(engine: AsyncEngine) -> UserRecord:
    record, _token = await UserStore(engine).create_user(f"other-{uuid.uuid4().hex[:6]}")
    return record

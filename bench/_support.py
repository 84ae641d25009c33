"""Shared benchmark helpers: a throw-away database and SQL statement / round-trip counters."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db import migrate
from agent_brain.db.engine import create_engine, to_asyncpg_url
from agent_brain.llm.base import ModelEvent, ModelRequest, ModelTurn, TextDelta, ToolCall, TurnDone, Usage

# Methods of asyncpg's wire protocol object; each call is one client→server exchange.
_PROTOCOL_CALLS = ("prepare", "bind_execute", "bind_execute_many", "bind", "execute", "query", "close_statement")


class QueryCounter:
    """Counts SQL statements (SQLAlchemy cursor executions) and asyncpg protocol round trips."""

    def __init__(self) -> None:
        self.statements = 0
        self.round_trips: Counter[str] = Counter()
        self.sql: list[str] = []

    def reset(self) -> None:
        self.statements = 0
        self.round_trips.clear()
        self.sql.clear()

    @property
    def total_round_trips(self) -> int:
        return sum(self.round_trips.values())

    def attach(self, engine: AsyncEngine) -> None:
        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            self.statements += 1
            self.sql.append(" ".join(statement.split())[:120])

        @event.listens_for(engine.sync_engine, "connect")
        def _wrap(dbapi_conn: Any, record: Any) -> None:
            raw = dbapi_conn.driver_connection
            raw._protocol = _CountingProtocol(raw._protocol, self.round_trips)


class _CountingProtocol:
    def __init__(self, inner: Any, counter: Counter[str]) -> None:
        self._inner = inner
        self._counter = counter

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name in _PROTOCOL_CALLS:
            def counted(*args: Any, **kwargs: Any) -> Any:
                self._counter[name] += 1
                return attr(*args, **kwargs)

            return counted
        return attr


def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return to_asyncpg_url(url)
    from pathlib import Path

    from agent_brain.db.embedded import start_embedded_postgres

    data = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/agent-brain-bench"))
    return start_embedded_postgres(data, database="postgres")


@asynccontextmanager
async def scratch_database(*, pool_size: int = 10) -> AsyncIterator[AsyncEngine]:
    """A new migrated database, dropped afterwards."""
    base = make_url(server_url())
    name = f"ab_bench_{uuid.uuid4().hex[:8]}"
    admin_kwargs = {"user": base.username, "password": base.password, "database": "postgres"}
    host = base.query.get("host")
    admin_kwargs["host"] = host if host else base.host
    admin_kwargs["port"] = base.port
    admin = await asyncpg.connect(**admin_kwargs)
    await admin.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(base.set(database=name).render_as_string(hide_password=False), pool_size=pool_size)
    try:
        await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def rows_read(engine: AsyncEngine, *, pool: int = 10) -> dict[str, int]:
    """Rows PostgreSQL read per table (seq + index fetches), sandbox tables excluded, after every pooled
    connection of `engine` reported its statistics. A backend reports when it goes idle ≥ 1 s after
    its last report: wait a second, then run one statement on `pool` connections at once (the pool
    stays warm — prepared statements are kept)."""
    await asyncio.sleep(1.05)

    async def touch() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await asyncio.sleep(0.05)

    await asyncio.gather(*(touch() for _ in range(pool)))
    await asyncio.sleep(0.2)
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables "
            "WHERE relname NOT LIKE 'sandbox%'"))
        return {name: int(n) for name, n in rows}


TOOL = "getCampaigns"
ANSWER = "Кампании работают: расход в норме, CPL в пределах цели. Подробности — в таблице выше."


class ScriptedModel:
    """Our `ChatModel`: one read tool call, then a fixed text (a summary request gets a fixed line)."""

    name = "scripted"
    is_llm = True

    def __init__(self, tool: str = TOOL) -> None:
        self.tool = tool

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        purpose = request.hints.purpose
        usage = Usage(sum(len(str(m.get("content") or "")) for m in request.messages) // 4, 20)
        if purpose == "summarize":
            yield TurnDone(ModelTurn(content="Пользователь спрашивает, как идут кампании.", usage=usage, model=self.name))
            return
        if purpose != "agent":
            yield TurnDone(ModelTurn(content="{}", usage=usage, model=self.name))
            return
        if request.messages[-1]["role"] == "tool":
            yield TextDelta(ANSWER)
            yield TurnDone(ModelTurn(content=ANSWER, usage=usage, model=self.name))
            return
        call = ToolCall(f"call_{uuid.uuid4().hex[:12]}", self.tool, "{}")
        yield TurnDone(ModelTurn(content=None, tool_calls=(call,), usage=usage, model=self.name))

"""Issue 14 measure: agent-brain's orchestrator vs LangGraph `create_react_agent` + `AsyncPostgresSaver`.

Both sides run in ONE process and ONE run, against the same PostgreSQL database, with the same
scripted model (round 1: one read tool call `getCampaigns`; round 2: a fixed text) and the same
tool path (our `getCampaigns` handler → MetaAdapter → GraphClient → the in-process Graph sandbox).
LangGraph is what a team would otherwise build: a prebuilt ReAct agent whose conversation state
lives in its Postgres checkpointer. Ours adds what the product needs per turn (the lease lock,
context, history, the journal of runs, taint, grounding) — and must still be faster.

Printed per side: turns/s at 1 and 20 concurrent conversations, latency p50/p95, CPU ms per turn
(process time: both sides share the sandbox's cost), SQL statements and round trips per turn,
bytes stored per turn (logical row bytes, pg_column_size, of the tables each side writes), rows
PostgreSQL read per turn (pg_stat_user_tables, sandbox tables excluded); the ratios; then a
growth run: turn 1–10 vs 191–200 of one conversation. Prints figures; asserts nothing.

Needs the optional extra:  pip install -e '.[bench]'   (langgraph, langgraph-checkpoint-postgres,
langchain-core). Usage:  python bench/compare_langgraph.py [--turns 100] [--growth 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langchain_core.tools import tool as lc_tool
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    with warnings.catch_warnings():  # create_react_agent: deprecated for langchain.agents, still the stack
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent
    from psycopg import AsyncConnection, AsyncCursor
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the environment
    sys.exit(f"bench/compare_langgraph.py needs the optional 'bench' extra (missing: {exc.name}).\n"
             "Install it with:  pip install -e '.[bench]'   (langgraph, langgraph-checkpoint-postgres, langchain-core)")

from _support import ANSWER, TOOL, QueryCounter, ScriptedModel, scratch_database  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from agent_brain.agents import load_agents  # noqa: E402
from agent_brain.db.engine import create_engine  # noqa: E402
from agent_brain.demo.seed import seed_demo  # noqa: E402
from agent_brain.orchestrator.orchestrator import Orchestrator, TurnRequest  # noqa: E402
from agent_brain.platforms.graph.breaker import BreakerRegistry  # noqa: E402
from agent_brain.platforms.graph.client import GraphClient  # noqa: E402
from agent_brain.platforms.meta.adapter import MetaAdapter  # noqa: E402
from agent_brain.platforms.sandbox.app import create_sandbox_app  # noqa: E402
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard  # noqa: E402
from agent_brain.tools.context import ToolContext  # noqa: E402
from agent_brain.tools.registry import run_tool  # noqa: E402

QUESTION = "Как идут кампании?"
OUR_TABLES = ("ai_conversations", "ai_messages", "ai_runs", "ai_actions", "agent_notes")
LANGGRAPH_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


# ── the scripted model, once per side ──────────────────────────────────────────────────────────

class ScriptedChat(BaseChatModel):
    """The same script as a LangChain chat model."""

    tool: str = TOOL

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChat:  # type: ignore[override]
        return self

    def _reply(self, messages: list[Any]) -> ChatResult:
        if isinstance(messages[-1], ToolMessage):
            message = AIMessage(content=ANSWER)
        else:
            message = AIMessage(content="", tool_calls=[{"name": self.tool, "args": {},
                                                         "id": f"call_{uuid.uuid4().hex[:12]}"}])
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        return self._reply(messages)

    async def _agenerate(self, messages: list[Any], stop: Any = None, run_manager: Any = None,
                         **kwargs: Any) -> ChatResult:
        return self._reply(messages)


# ── psycopg statement / round-trip counting (the checkpointer's driver) ────────────────────────

class PgCounter:
    def __init__(self) -> None:
        self.statements = 0
        self.round_trips = 0

    def reset(self) -> None:
        self.statements = self.round_trips = 0

    def configure(self, conn: AsyncConnection) -> None:
        counter = self

        class CountingCursor(AsyncCursor):  # type: ignore[type-arg]
            async def execute(self, query: Any, params: Any = None, **kw: Any) -> Any:  # type: ignore[override]
                counter.statements += 1
                return await super().execute(query, params, **kw)

            async def executemany(self, query: Any, params_seq: Any, **kw: Any) -> None:  # type: ignore[override]
                counter.statements += 1
                await super().executemany(query, params_seq, **kw)

        conn.cursor_factory = CountingCursor
        wait = conn.wait

        async def counted_wait(gen: Any, *args: Any, **kwargs: Any) -> Any:
            counter.round_trips += 1
            return await wait(gen, *args, **kwargs)

        conn.wait = counted_wait  # type: ignore[method-assign]


# ── measuring ──────────────────────────────────────────────────────────────────────────────────

Turn = Callable[[str], Awaitable[None]]  # one turn in the named conversation


class Side:
    """What differs between the two sides: how a turn runs, where state is stored, how SQL is counted."""

    def __init__(self, name: str, turn: Turn, new_conversation: Callable[[], Awaitable[str]], tables: tuple[str, ...],
                 counts: Callable[[], tuple[int, int]], reset: Callable[[], None],
                 settle: Callable[[], Awaitable[None]]) -> None:
        self.name, self.turn, self.new_conversation, self.tables = name, turn, new_conversation, tables
        self.counts, self.reset, self.settle = counts, reset, settle


async def stored_bytes(engine: AsyncEngine, tables: tuple[str, ...]) -> int:
    async with engine.connect() as conn:
        total = 0
        for table in tables:
            total += (await conn.execute(text(f"SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {table} t"))).scalar_one()
        return int(total)


async def rows_read(admin_engine: AsyncEngine) -> int:
    async with admin_engine.connect() as conn:
        return int((await conn.execute(text(
            "SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0) "
            "FROM pg_stat_user_tables WHERE relname NOT LIKE 'sandbox%'"))).scalar_one())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(side: Side, admin: AsyncEngine, *, conversations: int, turns_each: int,
                  parallel: int) -> dict[str, float]:
    convs = [await side.new_conversation() for _ in range(conversations)]
    await side.settle()
    bytes_before, rows_before = await stored_bytes(admin, side.tables), await rows_read(admin)
    side.reset()
    latencies: list[float] = []

    gate = asyncio.Semaphore(parallel)

    async def run(conv: str) -> None:
        async with gate:
            await turns_of(conv)

    async def turns_of(conv: str) -> None:
        for _ in range(turns_each):
            t0 = time.perf_counter()
            await side.turn(conv)
            latencies.append(time.perf_counter() - t0)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(run(c) for c in convs))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    statements, trips = side.counts()
    await side.settle()  # background upkeep finished, pooled backends' statistics flushed
    turns = conversations * turns_each
    return {
        "turns/s": turns / wall, "p50 ms": statistics.median(latencies) * 1e3, "p95 ms": pct(latencies, 0.95) * 1e3,
        "CPU ms/turn": cpu / turns * 1e3, "SQL/turn": statements / turns, "round trips/turn": trips / turns,
        "bytes/turn": (await stored_bytes(admin, side.tables) - bytes_before) / turns,
        "rows read/turn": (await rows_read(admin) - rows_before) / turns,
    }


async def growth(side: Side, admin: AsyncEngine, turns: int) -> tuple[float, float, float, float]:
    """Latency and stored bytes per turn: the first 10 turns of one conversation vs the last 10."""
    conv = await side.new_conversation()
    lat: list[float] = []
    marks = {-1: await stored_bytes(admin, side.tables)}  # stored bytes after turn i (-1: before the first)
    for i in range(turns):
        t0 = time.perf_counter()
        await side.turn(conv)
        lat.append(time.perf_counter() - t0)
        if i in (9, turns - 11, turns - 1):
            await side.settle()
            marks[i] = await stored_bytes(admin, side.tables)
    first_bytes = (marks[9] - marks[-1]) / 10
    last_bytes = (marks[turns - 1] - marks[turns - 11]) / 10
    return statistics.mean(lat[:10]) * 1e3, statistics.mean(lat[-10:]) * 1e3, first_bytes, last_bytes


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100, help="turns per side at 1 concurrent (20× that at 20)")
    parser.add_argument("--growth", type=int, default=200, help="turns of the one-conversation growth run")
    parser.add_argument("--tool", default=TOOL, help="the read tool of the script; listAdAccounts reads only our "
                        "database (no Graph sandbox), which leaves the two frameworks' own cost")
    opts = parser.parse_args()

    async with scratch_database(pool_size=POOL) as engine:
        report = await seed_demo(engine)
        url = engine.url.render_as_string(hide_password=False)
        sandbox_engine = create_engine(url, pool_size=POOL)
        admin = create_engine(url, pool_size=2)
        app = create_sandbox_app(sandbox_engine, usage_capacity=10**9)
        client = GraphClient("bench", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"))
        meta = MetaAdapter(client)
        counter = QueryCounter()
        counter.attach(engine)
        await engine.dispose()
        user_id = report.user_id

        # ── ours ──
        orchestrator = Orchestrator(engine=engine, model=ScriptedModel(opts.tool), agents=load_agents(), meta=meta,
                                    writes=WriteGuard(IdempotentExecutor(engine)))

        async def our_conversation() -> str:
            return str((await orchestrator.store.get_or_create(user_id=user_id, source="web")).id)

        async def our_turn(conv: str) -> None:
            async for event in orchestrator.process(TurnRequest(user_id, QUESTION, "web", uuid.UUID(conv))):
                if event.type == "error":
                    raise RuntimeError(event.message)

        async def our_settle() -> None:
            await orchestrator.wait_idle()
            await flush_statistics(lambda: _sa_touch(engine))

        ours = Side("agent-brain", our_turn, our_conversation, OUR_TABLES,
                    lambda: (counter.statements, counter.total_round_trips), counter.reset, our_settle)

        # ── LangGraph ──
        ctx: ToolContext = await orchestrator.context_for(user_id)
        handler = orchestrator.tools.get(opts.tool)

        @lc_tool(opts.tool, description=handler.description)
        async def read_tool() -> str:
            outcome = await run_tool(handler, handler.validate({}), ctx)
            return json.dumps(outcome.as_message_content(), ensure_ascii=False, default=str)

        pg = PgCounter()
        conninfo = url.replace("postgresql+asyncpg://", "postgresql://")
        state: dict[str, Any] = {}

        async def open_pool() -> None:
            pool = AsyncConnectionPool(conninfo, min_size=1, max_size=2 * POOL, open=False, configure=_configure(pg),
                                       kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
            await pool.open()
            saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
            await saver.setup()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # moved to langchain.agents in 1.x; still langgraph's prebuilt
                graph = create_react_agent(ScriptedChat(tool=opts.tool), [read_tool], checkpointer=saver)
            state.update(pool=pool, graph=graph)

        async def lg_conversation() -> str:
            return f"bench-{uuid.uuid4().hex[:12]}"

        async def lg_turn(conv: str) -> None:
            await state["graph"].ainvoke({"messages": [("user", QUESTION)]}, {"configurable": {"thread_id": conv}})

        def lg_reset() -> None:
            pg.reset()
            counter.reset()

        async def lg_settle() -> None:
            await flush_statistics(lambda: _pg_touch(state["pool"]))

        await open_pool()
        langgraph = Side("LangGraph", lg_turn, lg_conversation, LANGGRAPH_TABLES,
                         # + what its tool ran on our engine (the same handler as ours)
                         lambda: (pg.statements + counter.statements, pg.round_trips + counter.total_round_trips),
                         lg_reset, lg_settle)

        print("agent-brain vs LangGraph create_react_agent + AsyncPostgresSaver · one process, same PostgreSQL,")
        print(f"same scripted model (1 read tool call «{opts.tool}», then a fixed text), same tool handler")
        for side in (ours, langgraph):  # warm-up: prepared statements, imports, pools
            await measure(side, admin, conversations=2, turns_each=3, parallel=2)
        results: dict[tuple[str, int], dict[str, float]] = {}
        for concurrency in (1, 20):
            turns_each = opts.turns if concurrency == 1 else max(1, opts.turns // 10)
            for side in (ours, langgraph):
                if concurrency == 1:
                    results[(side.name, 1)] = await measure(side, admin, conversations=10, turns_each=turns_each // 10,
                                                            parallel=1)
                else:
                    results[(side.name, 20)] = await measure(side, admin, conversations=20, turns_each=turns_each,
                                                             parallel=20)
        for concurrency in (1, 20):
            a, b = results[("agent-brain", concurrency)], results[("LangGraph", concurrency)]
            print(f"\n{concurrency} concurrent conversation{'s' if concurrency > 1 else ''}:")
            print(f"  {'':<18}{'agent-brain':>13}{'LangGraph':>13}{'ratio':>9}")
            for key in a:
                ratio = a[key] / b[key] if b[key] else float("nan")
                print(f"  {key:<18}{a[key]:>13.1f}{b[key]:>13.1f}{ratio:>9.2f}")
        print(f"\ngrowth: one conversation, {opts.growth} turns (mean of turns 1–10 vs the last 10)")
        for side in (ours, langgraph):
            first, last, first_bytes, last_bytes = await growth(side, admin, opts.growth)
            print(f"  {side.name:<12} latency {first:6.1f} → {last:6.1f} ms ({last / first:4.1f}×)   "
                  f"bytes stored per turn {first_bytes:8.0f} → {last_bytes:8.0f} ({last_bytes / max(first_bytes, 1):4.1f}×)")
        await state["pool"].close()
        await client.aclose()
        await sandbox_engine.dispose()
        await admin.dispose()


POOL = 10  # each SQLAlchemy engine: 10 pooled + 10 overflow; the checkpointer's pool: 20


async def flush_statistics(touch: Callable[[], Awaitable[None]]) -> None:
    """Make every pooled backend report its table statistics, keeping the pools (and their prepared
    statements) warm: PostgreSQL flushes a backend's counters when it goes idle ≥ 1 s after its
    last flush, so wait a second, then run one statement on every pooled connection at once."""
    await asyncio.sleep(1.05)
    await touch()
    await asyncio.sleep(0.2)


async def _sa_touch(engine: AsyncEngine) -> None:
    async def one() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await asyncio.sleep(0.05)  # hold it, so the others take the other pooled connections

    await asyncio.gather(*(one() for _ in range(POOL)))


async def _pg_touch(pool: AsyncConnectionPool) -> None:  # type: ignore[type-arg]
    async def one() -> None:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
            await asyncio.sleep(0.05)

    await asyncio.gather(*(one() for _ in range(2 * POOL)))


def _configure(pg: PgCounter) -> Callable[[AsyncConnection], Awaitable[None]]:
    async def configure(conn: AsyncConnection) -> None:
        pg.configure(conn)

    return configure


if __name__ == "__main__":
    asyncio.run(main())

"""Where a turn's time goes: the compare_langgraph workload (scripted model, one read tool call, a
fixed text) on our side only, N turns in a row, under cProfile; prints the top functions by
cumulative and by own time, and the statements of one turn. With `--pyinstrument` (the `bench`
extra) prints a call tree instead. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import QueryCounter, ScriptedModel, scratch_database  # noqa: E402

from agent_brain.agents import load_agents  # noqa: E402
from agent_brain.db.engine import create_engine  # noqa: E402
from agent_brain.demo.seed import seed_demo  # noqa: E402
from agent_brain.orchestrator.orchestrator import Orchestrator, TurnRequest  # noqa: E402
from agent_brain.platforms.graph.breaker import BreakerRegistry  # noqa: E402
from agent_brain.platforms.graph.client import GraphClient  # noqa: E402
from agent_brain.platforms.meta.adapter import MetaAdapter  # noqa: E402
from agent_brain.platforms.sandbox.app import create_sandbox_app  # noqa: E402
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard  # noqa: E402

QUESTION = "Как идут кампании?"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--tool", default="getCampaigns", help="the scripted read tool (listAdAccounts: no sandbox)")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--callers", default="", help="also print who calls functions matching this")
    opts = parser.parse_args()
    async with scratch_database() as engine:
        report = await seed_demo(engine)
        sandbox_engine = create_engine(engine.url.render_as_string(hide_password=False))
        app = create_sandbox_app(sandbox_engine, usage_capacity=10**9)
        client = GraphClient("bench", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"))
        counter = QueryCounter()
        counter.attach(engine)
        await engine.dispose()
        orchestrator = Orchestrator(engine=engine, model=ScriptedModel(opts.tool), agents=load_agents(),
                                    meta=MetaAdapter(client), writes=WriteGuard(IdempotentExecutor(engine)))
        user_id = report.user_id

        async def turns(n: int) -> None:
            conv = (await orchestrator.store.get_or_create(user_id=user_id, source="web")).id
            for _ in range(n):
                async for event in orchestrator.process(TurnRequest(user_id, QUESTION, "web", uuid.UUID(str(conv)))):
                    if event.type == "error":
                        raise RuntimeError(event.message)
                await orchestrator.wait_idle()

        await turns(3)  # warm: prepared statements, pools, caches
        counter.reset()
        await turns(1)
        print(f"one turn: {counter.statements} statements, {counter.total_round_trips} round trips "
              f"{dict(counter.round_trips)}")
        for sql in counter.sql:
            print(f"  · {sql[:115]}")
        before = await _table_reads(engine)
        await turns(1)
        after = await _table_reads(engine)
        print("rows read by one turn, per table (pg_stat_user_tables; sandbox tables excluded):")
        for table, n in sorted(((t, after.get(t, 0) - before.get(t, 0)) for t in after), key=lambda x: -x[1]):
            if n:
                print(f"  {table:<28}{n:>8}")
        await turns(2)  # warm again after the statistics flush
        if opts.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="disabled")
            profiler.start()
            await turns(opts.turns)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        else:
            profile = cProfile.Profile()
            profile.enable()
            await turns(opts.turns)
            profile.disable()
            for key in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats(key).print_stats(opts.top)
                print(f"── by {key} ──")
                print("\n".join(line[:160] for line in out.getvalue().splitlines()[6:]))
            if opts.callers:
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_callers(opts.callers)
                print("\n".join(line[:200] for line in out.getvalue().splitlines()[:60]))
        await client.aclose()
        await sandbox_engine.dispose()


async def _table_reads(engine: AsyncEngine) -> dict[str, int]:
    """Per-table rows read, after every pooled backend has flushed its statistics (≥ 1 s idle)."""
    await asyncio.sleep(1.05)
    await engine.dispose()  # closing backends flush their counters
    await asyncio.sleep(0.3)
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables "
            "WHERE relname NOT LIKE 'sandbox%'"))
        return {name: int(n) for name, n in rows}


if __name__ == "__main__":
    asyncio.run(main())

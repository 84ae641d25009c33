"""Issue 4 measure: turns per second and SQL statements per turn (offline model, sandbox, PostgreSQL).

A READ turn ("Покажи расходы за неделю") and a planned WRITE turn ("Поставь на паузу кампанию
Виниры СПб", plan mode) for 50 concurrent conversations. The Graph sandbox gets an engine of its
own so the statements it runs to emulate Facebook are not counted as ours. Target: ≤ 12 SQL
statements per READ turn. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import QueryCounter, scratch_database  # noqa: E402

from agent_brain.agents import load_agents  # noqa: E402
from agent_brain.db.engine import create_engine  # noqa: E402
from agent_brain.demo.seed import seed_demo  # noqa: E402
from agent_brain.llm.offline import OfflineModel  # noqa: E402
from agent_brain.orchestrator.orchestrator import Orchestrator, TurnRequest  # noqa: E402
from agent_brain.platforms.graph.breaker import BreakerRegistry  # noqa: E402
from agent_brain.platforms.graph.client import GraphClient  # noqa: E402
from agent_brain.platforms.meta.adapter import MetaAdapter  # noqa: E402
from agent_brain.platforms.sandbox.app import create_sandbox_app  # noqa: E402
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard  # noqa: E402

CONVERSATIONS = 50
READ_TEXT = "Покажи расходы за неделю"
WRITE_TEXT = "Поставь на паузу кампанию Виниры СПб"


async def run_turns(orchestrator: Orchestrator, user_id, conversations, text: str) -> tuple[float, list[float], int]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    plans = 0

    async def one(conv_id) -> None:  # type: ignore[no-untyped-def]
        nonlocal plans
        t0 = time.perf_counter()
        async for event in orchestrator.process(TurnRequest(user_id, text, "web", conv_id)):
            if event.type == "approval_required":
                plans += 1
            if event.type == "error":
                raise RuntimeError(event.message)
        latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(one(c.id) for c in conversations))
    return time.perf_counter() - started, latencies, plans


async def main() -> None:
    async with scratch_database(pool_size=20) as engine:
        report = await seed_demo(engine)
        sandbox_engine = create_engine(engine.url.render_as_string(hide_password=False), pool_size=20)
        app = create_sandbox_app(sandbox_engine, usage_capacity=10**9)
        client = GraphClient("bench", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"))
        counter = QueryCounter()
        counter.attach(engine)
        await engine.dispose()
        model = OfflineModel()
        orchestrator = Orchestrator(engine=engine, model=model, agents=load_agents(), meta=MetaAdapter(client),
                                    writes=WriteGuard(IdempotentExecutor(engine)))
        user_id = report.user_id
        store = orchestrator.store

        async def fresh(mode: str):  # type: ignore[no-untyped-def]
            convs = [await store.get_or_create(user_id=user_id, source="web") for _ in range(CONVERSATIONS)]
            for c in convs:
                await store.set_mode(c.id, mode)  # type: ignore[arg-type]
            return convs

        print(f"{CONVERSATIONS} concurrent conversations · offline model · Graph sandbox · PostgreSQL")
        for label, text, mode in (("READ turn", READ_TEXT, "plan"), ("planned WRITE turn", WRITE_TEXT, "plan")):
            warm = await fresh(mode)
            await run_turns(orchestrator, user_id, warm[:2], text)  # warm caches and prepared statements
            convs = await fresh(mode)
            counter.reset()
            elapsed, latencies, plans = await run_turns(orchestrator, user_id, convs, text)
            statements = counter.statements / CONVERSATIONS
            print(f"  {label:<20} «{text}»")
            print(f"    SQL statements per turn: {statements:5.1f}   (target for READ ≤ 12)")
            print(f"    wire round trips per turn: {counter.total_round_trips / CONVERSATIONS:5.1f}")
            print(f"    turns/s: {CONVERSATIONS / elapsed:6.1f}   latency median {statistics.median(latencies) * 1000:6.0f} ms"
                  f"   p95 {sorted(latencies)[int(0.95 * len(latencies)) - 1] * 1000:6.0f} ms"
                  + (f"   plans created: {plans}" if plans else ""))
        one_turn = await fresh("plan")
        counter.reset()
        await run_turns(orchestrator, user_id, one_turn[:1], READ_TEXT)
        print("  statements of one READ turn:")
        for sql in counter.sql:
            print(f"    · {sql[:110]}")
        await client.aclose()
        await sandbox_engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())

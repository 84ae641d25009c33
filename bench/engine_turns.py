"""Issue 4 measure: turns per second and SQL statements per turn (offline model, sandbox, PostgreSQL).

A READ turn ("Покажи расходы за неделю") and a planned WRITE turn ("Поставь на паузу кампанию
Виниры СПб", plan mode) for 50 concurrent conversations. The Graph sandbox gets an engine of its
own so the statements it runs to emulate Facebook are not counted as ours. Target: ≤ 12 SQL
statements per READ turn. Prints figures; asserts nothing about time.

`--scales 1,10,100` (issue 14) repeats it on the demo world grown ×N (creatives with their daily
metrics, leads, dialogs; bench/_scale.py) and prints rows PostgreSQL read per turn
(pg_stat_user_tables, sandbox tables excluded) next to statements: both should stay flat.

`--processes N` (issue 14 item 5) runs the READ turn workload in 1, 2, …, N OS processes at once against
one PostgreSQL, each with its own engine, orchestrator and in-process Graph sandbox (as the workers of
`serve --workers N` are), and prints the total turns/s for each count: throughput should rise with
processes up to the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scale import scale_world  # noqa: E402
from _support import QueryCounter, rows_read, scratch_database  # noqa: E402

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1", help="comma-separated world sizes, e.g. 1,10,100")
    parser.add_argument("--processes", type=int, default=0,
                        help="READ turns in 1..N OS processes on one PostgreSQL; prints turns/s for each count")
    parser.add_argument("--rounds", type=int, default=3, help="with --processes: READ turns per conversation")
    opts = parser.parse_args()
    if opts.processes:
        await run_processes(opts.processes, opts.rounds)
        return
    summary = []
    for factor in (int(x) for x in opts.scales.split(",")):
        summary.append(await run_world(factor))
    if len(summary) > 1:
        print("\nper turn, by world size        SQL   round trips   rows read   turns/s")
        for factor, label, statements, trips, rows, rate in summary_rows(summary):
            print(f"  ×{factor:<4} {label:<20} {statements:6.1f} {trips:12.1f} {rows:11.0f} {rate:9.1f}")


def summary_rows(summary):  # type: ignore[no-untyped-def]
    for factor, figures in summary:
        for label, (statements, trips, rows, rate) in figures.items():
            yield factor, label, statements, trips, rows, rate


async def run_world(factor: int):  # type: ignore[no-untyped-def]
    figures = {}
    async with scratch_database(pool_size=20) as engine:
        report = await seed_demo(engine)
        sizes = await scale_world(engine, factor)
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

        print(f"world ×{factor} ({', '.join(f'{t} {n}' for t, n in sizes.items() if t in ('creatives', 'creative_metrics_history', 'leads', 'whatsapp_dialogs'))})")
        print(f"{CONVERSATIONS} concurrent conversations · offline model · Graph sandbox · PostgreSQL")
        for label, text, mode in (("READ turn", READ_TEXT, "plan"), ("planned WRITE turn", WRITE_TEXT, "plan")):
            warm = await fresh(mode)
            await run_turns(orchestrator, user_id, warm[:2], text)  # warm caches and prepared statements
            await orchestrator.wait_idle()
            convs = await fresh(mode)
            before = await rows_read(engine, pool=20)
            counter.reset()
            elapsed, latencies, plans = await run_turns(orchestrator, user_id, convs, text)
            await orchestrator.wait_idle()  # the turns' background upkeep (notes, summary) counts too
            statements, trips = counter.statements / CONVERSATIONS, counter.total_round_trips / CONVERSATIONS
            after = await rows_read(engine, pool=20)
            by_table = {t: (after[t] - before.get(t, 0)) / CONVERSATIONS for t in after}
            rows = sum(by_table.values())
            figures[label] = (statements, trips, rows, CONVERSATIONS / elapsed)
            print(f"  {label:<20} «{text}»")
            print(f"    SQL statements per turn: {statements:5.1f}   (target for READ ≤ 12)")
            print(f"    wire round trips per turn: {trips:5.1f}")
            print(f"    rows read per turn: {rows:7.0f}   (pg_stat_user_tables, sandbox excluded)")
            top = sorted(((n, t) for t, n in by_table.items() if n >= 1), reverse=True)[:5]
            print("      most from: " + ", ".join(f"{t} {n:.0f}" for n, t in top))
            print(f"    turns/s: {CONVERSATIONS / elapsed:6.1f}   latency median {statistics.median(latencies) * 1000:6.0f} ms"
                  f"   p95 {sorted(latencies)[int(0.95 * len(latencies)) - 1] * 1000:6.0f} ms"
                  + (f"   plans created: {plans}" if plans else ""))
        one_turn = await fresh("plan")
        counter.reset()
        await run_turns(orchestrator, user_id, one_turn[:1], READ_TEXT)
        await orchestrator.wait_idle()
        print("  statements of one READ turn:")
        for sql in counter.sql:
            print(f"    · {sql[:110]}")
        await client.aclose()
        await sandbox_engine.dispose()
    return factor, figures


async def run_processes(most: int, rounds: int) -> None:
    async with scratch_database(pool_size=5) as engine:
        report = await seed_demo(engine)
        url = engine.url.render_as_string(hide_password=False)
        print(f"READ turn «{READ_TEXT}» · {CONVERSATIONS} concurrent conversations × {rounds} rounds per process · "
              f"offline model · in-process Graph sandbox · one PostgreSQL · {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f} before the run")
        print("  processes   turns   seconds   turns/s   per process   our CPU (cores busy)")
        base = None
        for count in range(1, most + 1):
            turns, seconds, cpu = await asyncio.to_thread(_run_in_processes, count, url, str(report.user_id), rounds)
            rate = turns / seconds
            base = base or rate
            print(f"  {count:9d} {turns:7d} {seconds:9.2f} {rate:9.1f} {rate / count:13.1f}   {cpu / seconds:8.2f}"
                  f"   ({rate / base:.2f}× one process)")
        print("  (our CPU: the processes' own CPU time over the run's wall time; PostgreSQL's is not in it)")


def _run_in_processes(count: int, url: str, user_id: str, rounds: int) -> tuple[int, float, float]:
    """Start `count` processes; they prepare (engine, sandbox, conversations, warm-up), meet at a barrier,
    then run their turns. Throughput = all their turns / the time from the barrier to the last finish."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(count + 1)
    results = ctx.Queue()
    workers = [ctx.Process(target=_process_main, args=(url, user_id, rounds, barrier, results)) for _ in range(count)]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(timeout=600)
    except threading.BrokenBarrierError:
        raise RuntimeError(f"a bench process failed while preparing: {results.get(timeout=60)!r}") from None
    started = time.perf_counter()
    done = [results.get(timeout=600) for _ in workers]
    seconds = time.perf_counter() - started
    failed = [result for result in done if isinstance(result, BaseException)]
    if failed:
        raise RuntimeError(f"a bench process failed: {failed[0]!r}")
    for worker in workers:
        worker.join()
    return sum(turns for turns, _ in done), seconds, sum(cpu for _, cpu in done)


def _process_main(url: str, user_id: str, rounds: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    try:
        results.put(asyncio.run(_process_turns(url, user_id, rounds, barrier)))
    except BaseException as exc:
        barrier.abort()  # the others (and the parent) stop waiting at the barrier
        results.put(exc)
        raise


async def _process_turns(url: str, user_id: str, rounds: int, barrier) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    import uuid

    # At most 30 connections per process (20 ours, 10 the sandbox's): two processes stay well within
    # PostgreSQL's default 100, which other users of the server share.
    engine = create_engine(url, pool_size=10)
    sandbox_engine = create_engine(url, pool_size=5)
    app = create_sandbox_app(sandbox_engine, usage_capacity=10**9)
    client = GraphClient("bench", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"))
    orchestrator = Orchestrator(engine=engine, model=OfflineModel(), agents=load_agents(), meta=MetaAdapter(client),
                                writes=WriteGuard(IdempotentExecutor(engine)))
    store = orchestrator.store
    owner = uuid.UUID(user_id)
    convs = [await store.get_or_create(user_id=owner, source="web") for _ in range(CONVERSATIONS)]
    await run_turns(orchestrator, owner, convs[:2], READ_TEXT)  # warm caches and prepared statements
    await orchestrator.wait_idle()
    await asyncio.to_thread(barrier.wait, 600)
    cpu = time.process_time()
    for _ in range(rounds):
        await run_turns(orchestrator, owner, convs, READ_TEXT)
    await orchestrator.wait_idle()
    cpu = time.process_time() - cpu
    await client.aclose()
    await sandbox_engine.dispose()
    await engine.dispose()
    return rounds * CONVERSATIONS, cpu


if __name__ == "__main__":
    asyncio.run(main())

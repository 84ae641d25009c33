"""Issue 21 measure: what observability costs. Per-call overhead of the metrics a tool or platform call
records (a counter and a histogram), the cost of one JSON log record with the turn id and redaction,
and the time of one `/metrics` scrape (gauges read from PostgreSQL, demo world). Prints figures;
asserts nothing."""

from __future__ import annotations

import asyncio
import io
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import scratch_database  # noqa: E402

from agent_brain.demo.seed import seed_demo  # noqa: E402
from agent_brain.observability import metrics  # noqa: E402
from agent_brain.observability.logs import make_handler, turn_scope  # noqa: E402
from agent_brain.platforms.graph.breaker import default_registry  # noqa: E402
from agent_brain.platforms.graph.redact import register_secret  # noqa: E402

N = 100_000


def _per_call(fn, n: int = N) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


def _tool_call() -> None:
    metrics.TOOL_CALLS.labels("getCampaigns", "ok").inc()
    metrics.TOOL_SECONDS.labels("getCampaigns").observe(0.012)


def _platform_call() -> None:
    metrics.PLATFORM_CALLS.labels("meta", "GET", "2xx", "none").inc()
    metrics.PLATFORM_SECONDS.labels("meta", "GET").observe(0.05)


async def main() -> None:
    print(f"tool call metrics:      {_per_call(_tool_call):.2f} µs per call ({N:,} calls)")
    print(f"platform call metrics:  {_per_call(_platform_call):.2f} µs per call")
    register_secret("EAAB-bench-secret-token-0123456789")
    logger = logging.getLogger("bench.observability")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(make_handler("json", stream=io.StringIO()))
    with turn_scope():
        per_record = _per_call(lambda: logger.info("graph GET %s -> %d", "act_1/insights", 200), 20_000)
    print(f"JSON log record:        {per_record:.1f} µs per record (turn id + redaction)")
    async with scratch_database(pool_size=2) as engine:
        await seed_demo(engine)
        times = []
        for _ in range(30):
            started = time.perf_counter()
            await metrics.collect_state(engine, default_registry.statuses(), [])
            body = metrics.render()
            times.append((time.perf_counter() - started) * 1000)
    print(f"/metrics scrape:        median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
          f"({len(body):,} bytes; 2 SQL statements)")


if __name__ == "__main__":
    asyncio.run(main())

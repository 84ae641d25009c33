"""The Dialogs panel's live path: from the commit of a processed delivery to the web process's
subscriber (PostgreSQL NOTIFY → the feed's LISTEN connection → the user's queue), as the SSE stream
sees it. Also how many subscribers one feed fans a notification out to without slowing down.

    python bench/inbound_live.py   (TEST_DATABASE_URL or DATABASE_URL: a PostgreSQL server; else embedded)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import scratch_database  # noqa: E402

from agent_brain.inbound.live import DialogFeed, announce, listen_dsn  # noqa: E402

ROUNDS = 300
SUBSCRIBERS = 200


async def _latencies(engine, feed: DialogFeed, user: uuid.UUID, listeners: int) -> list[float]:  # type: ignore[no-untyped-def]
    timings: list[float] = []
    async with _many(feed, user, listeners) as queues:
        for _ in range(ROUNDS):
            started = time.perf_counter()
            async with engine.begin() as conn:
                await announce(conn, user, [uuid.uuid4()])
            for queue in queues:
                await asyncio.wait_for(queue.get(), 5)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings


class _many:
    def __init__(self, feed: DialogFeed, user: uuid.UUID, n: int) -> None:
        self.contexts = [feed.subscribe(user) for _ in range(n)]

    async def __aenter__(self) -> list[asyncio.Queue]:  # type: ignore[type-arg]
        return [await c.__aenter__() for c in self.contexts]

    async def __aexit__(self, *exc: object) -> None:
        for c in self.contexts:
            await c.__aexit__(None, None, None)


async def main() -> None:
    async with scratch_database() as engine:
        feed = DialogFeed(listen_dsn(engine.url))
        user = uuid.uuid4()
        try:
            for listeners in (1, SUBSCRIBERS):
                t = await _latencies(engine, feed, user, listeners)
                print(f"commit with NOTIFY → {listeners} subscriber(s) of one LISTEN connection, {ROUNDS} rounds: "
                      f"median {statistics.median(t):.2f} ms, p95 {t[int(len(t) * 0.95)]:.2f} ms")
        finally:
            await feed.close()


if __name__ == "__main__":
    asyncio.run(main())

"""Issue 6 measure: 50 concurrent SSE chat streams through a real uvicorn server.

The app runs in-process on 127.0.0.1 (a free port) over a scratch database holding the demo world,
built from settings like `agent-brain serve` (offline model, in-process Graph sandbox). Each client
opens a new conversation with a READ turn ("Покажи расходы за неделю") and reads the stream with
httpx-sse to its end. Prints time to first SSE event (median/p95) and events/s; asserts nothing
about time. Bounded: every stream and the whole run have time limits.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn
from httpx_sse import aconnect_sse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import scratch_database  # noqa: E402

from agent_brain.config import load_settings  # noqa: E402
from agent_brain.demo.seed import seed_demo  # noqa: E402
from agent_brain.stores.users import UserStore  # noqa: E402
from web_api.app import create_app  # noqa: E402

STREAMS = 50
TEXT = "Покажи расходы за неделю"
STREAM_TIMEOUT_SECONDS = 60
RUN_TIMEOUT_SECONDS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def one_stream(http: httpx.AsyncClient, token: str) -> tuple[float, int, float]:
    """(seconds to the first event, events received, seconds to the last event) of one turn."""
    started = time.perf_counter()
    first = 0.0
    count = 0
    async with aconnect_sse(http, "POST", "/api/brain/chat/message", json={"message": TEXT},
                            headers={"Authorization": f"Bearer {token}"}) as source:
        source.response.raise_for_status()
        async for event in source.aiter_sse():
            if count == 0:
                first = time.perf_counter() - started
            count += 1
            if event.event == "error":
                raise RuntimeError(event.data)
    return first, count, time.perf_counter() - started


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(0.95 * len(values)) - 1)]


async def run(base_url: str, token: str) -> None:
    limits = httpx.Limits(max_connections=STREAMS + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=STREAM_TIMEOUT_SECONDS, limits=limits) as http:
        await asyncio.gather(*(one_stream(http, token) for _ in range(2)))  # warm caches and prepared statements
        started = time.perf_counter()
        results = await asyncio.gather(*(one_stream(http, token) for _ in range(STREAMS)))
        elapsed = time.perf_counter() - started
    firsts = [r[0] for r in results]
    totals = [r[2] for r in results]
    events = sum(r[1] for r in results)
    print(f"{STREAMS} concurrent SSE streams · uvicorn on {base_url} · offline model · Graph sandbox · PostgreSQL")
    print(f"  «{TEXT}»: {events} events in {elapsed:.2f} s → {events / elapsed:7.1f} events/s, "
          f"{STREAMS / elapsed:5.1f} turns/s")
    print(f"  time to first SSE event: median {statistics.median(firsts) * 1000:6.0f} ms   "
          f"p95 {p95(firsts) * 1000:6.0f} ms")
    print(f"  time to last event:      median {statistics.median(totals) * 1000:6.0f} ms   "
          f"p95 {p95(totals) * 1000:6.0f} ms")


async def main() -> None:
    async with scratch_database(pool_size=2) as engine:
        report = await seed_demo(engine)
        token = await UserStore(engine).issue_token(report.user_id, label="bench")
        url = engine.url.render_as_string(hide_password=False)
        await engine.dispose()
        with tempfile.TemporaryDirectory() as data_dir:
            settings = load_settings(database_url=url, data_dir=Path(data_dir), openai_api_key="",
                                     fb_access_token="", log_level="WARNING")
            port = free_port()
            server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                                   log_level="warning", lifespan="on"))
            serving = asyncio.create_task(server.serve())
            try:
                while not server.started:
                    if serving.done():
                        await serving  # raises the start-up error
                        return
                    await asyncio.sleep(0.02)
                await asyncio.wait_for(run(f"http://127.0.0.1:{port}", token), RUN_TIMEOUT_SECONDS)
            finally:
                server.should_exit = True
                await asyncio.wait_for(serving, 30)


if __name__ == "__main__":
    asyncio.run(main())

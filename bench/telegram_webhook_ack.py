"""How fast the Telegram webhook answers, now that it only stores the update (durable inbox) and the
reply is produced afterwards: N real-format updates POSTed to the FastAPI route (secret checked,
Update validated, one INSERT … ON CONFLICT), `--concurrency` at a time, against PostgreSQL; then
one worker drains the inbox claim by claim (no bot traffic: `process` is a no-op) to show the
inbox's own cost per update. Prints the ack time (median, p95) and the drain rate.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/telegram_webhook_ack.py
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import scratch_database  # noqa: E402

from agent_brain.config import load_settings  # noqa: E402
from telegram_bot.bot import build_bot  # noqa: E402
from telegram_bot.inbox import InboxWorker, WebhookInbox  # noqa: E402
from telegram_bot.standin import message_update  # noqa: E402
from telegram_bot.webhook import WebhookHub, build_webhook_router  # noqa: E402

SECRET = "bench_secret"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def main(updates: int, concurrency: int, chats: int) -> None:
    async with scratch_database(pool_size=concurrency + 2) as engine:
        settings = load_settings(telegram_bot_token="1:BENCH", telegram_webhook_secret=SECRET)
        hub = WebhookHub(inbox=WebhookInbox(engine))  # no worker: the route only stores
        app = FastAPI()
        app.include_router(build_webhook_router(settings, runtime=object(), bot=build_bot(settings),  # type: ignore[arg-type]
                                                dispatcher=object(), hub=hub))  # type: ignore[arg-type]
        bodies = [message_update(1000 + n % chats, f"вопрос {n}", update_id=n + 1) for n in range(updates)]
        slots = asyncio.Semaphore(concurrency)
        acks: list[float] = []

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
            async def post(body: dict[str, Any]) -> None:
                async with slots:
                    started = time.perf_counter()
                    response = await client.post("/telegram/webhook", json=body,
                                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                    acks.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text

            started = time.perf_counter()
            await asyncio.gather(*(post(b) for b in bodies))
            posting = time.perf_counter() - started

        async def process(_: dict[str, Any]) -> None:
            return None

        worker = InboxWorker(hub.inbox, process, settle=0.0, poll_every=0.05)  # type: ignore[arg-type]
        started = time.perf_counter()
        runner = asyncio.create_task(worker.run())
        await worker.drained(within=600)
        draining = time.perf_counter() - started
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        print(f"{updates} webhook updates over {chats} chats, {concurrency} at a time · FastAPI route · PostgreSQL inbox")
        print(f"  ack (POST → 200): median {statistics.median(acks) * 1000:5.1f} ms   p95 {pct(acks, 0.95) * 1000:5.1f} ms"
              f"   ({updates / posting:5.0f} updates/s stored)")
        print(f"  inbox drained by one worker (no-op handler, per-chat order kept): {draining:5.2f} s"
              f"   ({updates / draining:5.0f} updates/s; handled {worker.handled})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--chats", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.concurrency, args.chats))

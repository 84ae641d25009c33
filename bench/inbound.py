"""Inbound messaging figures: webhook POST → 200 latency (signature + inbox row + queued job in one
transaction), then processing throughput (parse, analyse, customer dialog + lead, rule reply sent
through the write path to the messaging sandbox) and SQL statements per delivery.

    python bench/inbound.py        (TEST_DATABASE_URL or DATABASE_URL: a PostgreSQL server; else embedded)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from _support import QueryCounter, scratch_database  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import text  # noqa: E402

from agent_brain.config import load_settings  # noqa: E402
from agent_brain.demo.seed import seed_demo  # noqa: E402
from agent_brain.inbound import SANDBOX_APP_SECRET  # noqa: E402
from agent_brain.inbound.accounts import add_rule, register_account  # noqa: E402
from agent_brain.inbound.analysis import RulesAnalyzer  # noqa: E402
from agent_brain.inbound.send import MessageSender  # noqa: E402
from agent_brain.inbound.service import InboundService  # noqa: E402
from agent_brain.inbound.webhooks import build_webhooks_router  # noqa: E402
from agent_brain.platforms.graph.breaker import BreakerRegistry  # noqa: E402
from agent_brain.platforms.graph.client import GraphClient  # noqa: E402
from agent_brain.platforms.sandbox.app import create_sandbox_app  # noqa: E402
from agent_brain.platforms.sandbox.customers import CustomerSimulator  # noqa: E402
from agent_brain.platforms.sandbox.messaging import DEMO_INSTAGRAM_ID, DEMO_PHONE_NUMBER_ID, MessagingSandbox  # noqa: E402
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard  # noqa: E402

DELIVERIES = 200


async def main() -> None:
    async with scratch_database() as engine:
        report = await seed_demo(engine)
        always = {"start": 0, "end": 24, "days": list(range(7))}
        await register_account(engine, report.user_id, "whatsapp", DEMO_PHONE_NUMBER_ID, name="wa", business_hours=always)
        await register_account(engine, report.user_id, "instagram", DEMO_INSTAGRAM_ID, name="ig", business_hours=always)
        await add_rule(engine, report.user_id, name="prices", intents=["price_question"],
                       template_ru="Чистка стоит 15 000 ₸. Записать вас?", template_en="Cleaning is $30. Book you?")
        messaging = MessagingSandbox(throughput_per_second=10_000)
        sandbox = create_sandbox_app(engine, messaging=messaging)
        client = GraphClient("bench", transport=httpx.ASGITransport(app=sandbox), breaker=BreakerRegistry().get("meta"))
        app = FastAPI()
        app.state.runtime = SimpleNamespace(settings=load_settings(), engine=engine)
        app.include_router(build_webhooks_router())
        async with client, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as http:
            customers = CustomerSimulator(messaging, http, SANDBOX_APP_SECRET)
            timings = []
            for n in range(DELIVERIES):
                started = time.perf_counter()
                if n % 2:
                    await customers.instagram(f"55100000{n:06d}", "How much is the cleaning?")
                else:
                    await customers.whatsapp(f"+7701{n:07d}", "Сколько стоит чистка?")
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            print(f"webhook POST → 200 (signature, inbox row + queued job, one transaction), {DELIVERIES} deliveries:")
            print(f"  median {statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95)]:.1f} ms")

            counter = QueryCounter()
            counter.attach(engine)
            await engine.dispose()
            writes = WriteGuard(IdempotentExecutor(engine))
            service = InboundService(engine, RulesAnalyzer(), MessageSender(engine, client, writes))
            started = time.perf_counter()
            result = await service.sweep(older_than_seconds=0)
            elapsed = time.perf_counter() - started
            async with engine.connect() as conn:
                stored = (await conn.execute(text("SELECT count(*) FROM whatsapp_messages WHERE sender = 'customer'"))).scalar()
            print(f"processing {result['deliveries']} deliveries (analysis, dialog, lead, rule reply sent): "
                  f"{elapsed:.1f} s → {result['deliveries'] / elapsed:.0f} deliveries/s sequentially; "
                  f"{counter.statements / DELIVERIES:.0f} SQL statements per delivery incl. the reply's write path")
            print(f"  stored customer messages {stored}, replies accepted by the sandbox {len(messaging.sent)}")


if __name__ == "__main__":
    asyncio.run(main())

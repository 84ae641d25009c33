"""Issue 20 measure: TikTok and Google Ads clients, and a read across three platforms.

1. Median µs per call through `ApiClient` (TikTok: GET campaign/get; Google: POST searchStream)
   vs a bare httpx.AsyncClient on the same ASGI transport against the PostgreSQL-backed sandboxes.
2. The account totals of Meta + TikTok + Google read concurrently (as `getSpendReport(groupBy=
   platform)` does) vs one after another, in-process and behind a 50 ms network round trip.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import scratch_database  # noqa: E402

from agent_brain import clock  # noqa: E402
from agent_brain.demo.world import DEMO_TIMEZONE  # noqa: E402
from agent_brain.platforms.base import InsightsQuery  # noqa: E402
from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client  # noqa: E402
from agent_brain.platforms.google.sandbox import create_google_sandbox_app  # noqa: E402
from agent_brain.platforms.graph.breaker import BreakerRegistry  # noqa: E402
from agent_brain.platforms.graph.client import GraphClient  # noqa: E402
from agent_brain.platforms.meta.adapter import MetaAdapter  # noqa: E402
from agent_brain.platforms.sandbox.app import create_sandbox_app  # noqa: E402
from agent_brain.platforms.sandbox.platform_seed import GOOGLE_CUSTOMER_ID, TIKTOK_ADVERTISER_ID  # noqa: E402
from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client  # noqa: E402
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app  # noqa: E402

ROUNDS = 200
META = "act_100200300400"
QUERY = "SELECT campaign.id, campaign.name, campaign.status FROM campaign"


async def median_us(call, rounds: int = ROUNDS) -> float:  # type: ignore[no-untyped-def]
    for _ in range(10):
        await call()
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(samples)


async def paired(bare_call, ours_call, rounds: int = ROUNDS) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Medians of the two calls measured alternately, so load from other processes hits both alike."""
    for _ in range(10):
        await bare_call()
        await ours_call()
    bare, ours = [], []
    for _ in range(rounds):
        for call, samples in ((bare_call, bare), (ours_call, ours)):
            t0 = time.perf_counter()
            response = await call()
            samples.append((time.perf_counter() - t0) * 1e6)
            if isinstance(response, httpx.Response):
                response.json()  # ApiClient parses every answer: so does the bare peer
    return statistics.median(bare), statistics.median(ours)


async def overhead(engine) -> None:  # type: ignore[no-untyped-def]
    breakers = BreakerRegistry()
    tt = httpx.ASGITransport(app=create_tiktok_sandbox_app(engine))
    async with (httpx.AsyncClient(transport=tt, base_url="https://business-api.tiktok.com",
                                  headers={"Access-Token": "t"}) as raw,
                tiktok_client("t", transport=tt, breaker=breakers.get("tiktok")) as client):
        bare, ours = await paired(
            lambda: raw.get("/open_api/v1.3/campaign/get/", params={"advertiser_id": TIKTOK_ADVERTISER_ID}),
            lambda: client.get("campaign/get/", {"advertiser_id": TIKTOK_ADVERTISER_ID}))
    print(f"  TikTok campaign/get       bare httpx {bare:8.0f} µs   ApiClient {ours:8.0f} µs   "
          f"overhead {ours - bare:6.0f} µs ({ours / bare:.2f}×)")
    gg = httpx.ASGITransport(app=create_google_sandbox_app(engine))
    path = f"/v26/customers/{GOOGLE_CUSTOMER_ID}/googleAds:searchStream"
    async with (httpx.AsyncClient(transport=gg, base_url="https://googleads.googleapis.com",
                                  headers={"Authorization": "Bearer t", "developer-token": "d"}) as raw,
                google_client("t", "d", transport=gg, breaker=breakers.get("google")) as client):
        bare, ours = await paired(lambda: raw.post(path, json={"query": QUERY}),
                                  lambda: client.read_post(path.removeprefix("/v26/"), {"query": QUERY}))
    print(f"  Google searchStream       bare httpx {bare:8.0f} µs   ApiClient {ours:8.0f} µs   "
          f"overhead {ours - bare:6.0f} µs ({ours / bare:.2f}×)")


class _Latency(httpx.AsyncBaseTransport):
    """A network's round trip in front of an in-process sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.seconds)
        return await self.inner.handle_async_request(request)


async def across(engine, rtt: float) -> None:  # type: ignore[no-untyped-def]
    breakers = BreakerRegistry()
    today = clock.today_in(DEMO_TIMEZONE)
    query = InsightsQuery(level="account", date_preset=None, since=today - dt.timedelta(days=7),
                          until=today - dt.timedelta(days=1))
    async with (
        GraphClient("t", transport=_Latency(httpx.ASGITransport(app=create_sandbox_app(
            engine, usage_capacity=10**9)), rtt), breaker=breakers.get("meta")) as g,
        tiktok_client("t", transport=_Latency(httpx.ASGITransport(app=create_tiktok_sandbox_app(engine)), rtt),
                      breaker=breakers.get("tiktok")) as t,
        google_client("t", "d", transport=_Latency(httpx.ASGITransport(app=create_google_sandbox_app(engine)), rtt),
                      breaker=breakers.get("google")) as c,
    ):
        reads = [(MetaAdapter(g), META), (TikTokAdapter(t, [TIKTOK_ADVERTISER_ID]), TIKTOK_ADVERTISER_ID),
                 (GoogleAdsAdapter(c, [GOOGLE_CUSTOMER_ID]), GOOGLE_CUSTOMER_ID)]
        for adapter, account in reads:  # currencies cached, as in a running process
            await adapter.insights(account, query)
        before = (t.calls, c.calls)

        async def concurrent() -> None:
            await asyncio.gather(*(a.insights(acct, query) for a, acct in reads))

        async def sequential() -> None:
            for a, acct in reads:
                await a.insights(acct, query)

        conc = await median_us(concurrent, 50) / 1000
        calls = ((t.calls - before[0]) / 60, (c.calls - before[1]) / 60)
        seq = await median_us(sequential, 50) / 1000
    print(f"  RTT {rtt * 1000:3.0f} ms: 3 platforms concurrently {conc:6.1f} ms, one after another {seq:6.1f} ms   "
          f"(HTTP calls per read: Meta 1, TikTok {calls[0]:.0f}, Google {calls[1]:.0f})")


async def main() -> None:
    from agent_brain.demo.seed import DEMO_PLATFORMS, seed_demo

    async with scratch_database() as engine:
        await seed_demo(engine, platforms=DEMO_PLATFORMS)
        print(f"ApiClient overhead per call (median of {ROUNDS}, ASGI transport, PostgreSQL-backed sandboxes)")
        await overhead(engine)
        print("Account totals over 7 days on Meta + TikTok + Google Ads (median of 50)")
        for rtt in (0.0, 0.05):
            await across(engine, rtt)


if __name__ == "__main__":
    asyncio.run(main())

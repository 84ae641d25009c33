"""`agent-brain sandbox` serves all three platforms from one app: Graph at /, TikTok at /tiktok, Google at /google."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.sandbox.combined import create_all_sandboxes_app
from agent_brain.platforms.sandbox.platform_seed import (
    GOOGLE_CUSTOMER_ID,
    TIKTOK_ADVERTISER_ID,
    seed_platform_sandboxes,
)

pytestmark = pytest.mark.asyncio


async def test_one_server_three_platforms(demo_engine: AsyncEngine) -> None:
    await seed_platform_sandboxes(demo_engine, dt.date(2026, 3, 10))
    app = create_all_sandboxes_app(demo_engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        graph = await http.get("/v26.0/act_100200300400", params={"access_token": "t", "fields": "name,currency"})
        tiktok = await http.get("/tiktok/open_api/v1.3/advertiser/info/",
                                params={"advertiser_ids": f'["{TIKTOK_ADVERTISER_ID}"]'}, headers={"Access-Token": "t"})
        google = await http.post(f"/google/v26/customers/{GOOGLE_CUSTOMER_ID}/googleAds:searchStream",
                                 json={"query": "SELECT customer.id, customer.currency_code FROM customer"},
                                 headers={"Authorization": "Bearer t", "developer-token": "d"})
        no_dev_token = await http.post(f"/google/v26/customers/{GOOGLE_CUSTOMER_ID}/googleAds:searchStream",
                                       json={"query": "SELECT customer.id FROM customer"},
                                       headers={"Authorization": "Bearer t"})
        fault = await http.post("/tiktok/_sandbox/faults", json={"kind": "rate_limit"})
        throttled = await http.get("/tiktok/open_api/v1.3/campaign/get/", params={"advertiser_id": TIKTOK_ADVERTISER_ID},
                                   headers={"Access-Token": "t"})
    assert graph.json()["currency"] == "USD"
    assert tiktok.json()["code"] == 0 and tiktok.json()["data"]["list"][0]["advertiser_id"] == TIKTOK_ADVERTISER_ID
    assert google.json()[0]["results"][0]["customer"] == {"id": GOOGLE_CUSTOMER_ID, "currencyCode": "USD",
                                                          "resourceName": f"customers/{GOOGLE_CUSTOMER_ID}"}
    assert no_dev_token.status_code == 401
    assert no_dev_token.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "authenticationError": "DEVELOPER_TOKEN_PARAMETER_MISSING"}
    assert fault.status_code == 204 and throttled.status_code == 200 and throttled.json()["code"] == 40100

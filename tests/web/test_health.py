"""The app started from settings: migrations, sandbox platform by default, health check."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest
from asgi_lifespan import LifespanManager

from agent_brain.config import load_settings
from agent_brain.platforms.factory import open_meta_adapter
from agent_brain.runtime import open_runtime
from web_api.app import create_app


@pytest.fixture
def settings(databases, migrated_template, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "FB_ACCESS_TOKEN", "FB_AD_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    return load_settings(data_dir=tmp_path)


async def test_health_with_no_keys_reports_offline_model_and_sandbox(settings, databases, migrated_template) -> None:  # type: ignore[no-untyped-def]
    url = await databases.create(f"abt_health_{uuid.uuid4().hex[:8]}", template=migrated_template)
    settings = settings.model_copy(update={"database_url": url})
    app = create_app(settings)
    async with LifespanManager(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "pid": os.getpid(), "database": True, "model": "offline", "platform": "sandbox",
                                "circuit_breaker": "closed", "circuit_breaker_retry_in": 0,
                                "throttled_accounts": []}


async def test_runtime_platform_is_the_sandbox_without_a_token(settings, engine) -> None:  # type: ignore[no-untyped-def]
    async with open_meta_adapter(settings, engine) as meta:
        assert meta.client.root_url == "https://graph.facebook.com/v26.0"
        assert isinstance(meta.client._http._transport._inner, httpx.ASGITransport)


async def test_runtime_platform_is_meta_with_a_token(settings, engine) -> None:  # type: ignore[no-untyped-def]
    real = settings.model_copy(update={"fb_access_token": load_settings(fb_access_token="EAAB-real").fb_access_token})
    async with open_meta_adapter(real, engine) as meta:
        assert isinstance(meta.client._http._transport._inner, httpx.AsyncHTTPTransport)
        assert "EAAB-real" not in repr(meta.client)


async def test_open_runtime_migrates_an_empty_database(settings, databases) -> None:  # type: ignore[no-untyped-def]
    url = await databases.create(f"abt_empty_{uuid.uuid4().hex[:8]}")
    async with open_runtime(settings.model_copy(update={"database_url": url})) as runtime:
        assert await runtime.database_ok()


async def test_health_names_a_throttled_account_while_the_platform_stays_up(api) -> None:  # type: ignore[no-untyped-def]
    [account] = await api.runtime.users.ad_accounts(api.user_id)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.sandbox), base_url="http://sandbox") as sandbox:
        response = await sandbox.post("/_sandbox/faults", json={"kind": "throttle", "times": 3, "regain_minutes": 10})
        assert response.status_code == 204
    reply = (await api.http.post("/api/brain/chat/message", headers=api.auth,
                                 json={"message": "Покажи кампании"})).json()
    assert f"рекламному аккаунту {account.external_id}" in reply["text"] and "10 мин" in reply["text"]
    health = (await api.http.get("/health")).json()
    assert health["status"] == "ok" and health["circuit_breaker"] == "closed"
    [throttled] = health["throttled_accounts"]
    assert throttled["account_id"] == account.external_id and throttled["code"] == 80004
    assert 590 <= throttled["retry_in"] <= 600

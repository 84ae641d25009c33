"""The web app serves the Telegram webhook only in webhook mode (token and secret both set)."""

from __future__ import annotations

import httpx

from agent_brain.config import load_settings
from web_api.app import create_app


async def _post(app) -> int:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/telegram/webhook", json={"update_id": 1},
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
    return response.status_code


async def test_webhook_is_mounted_in_webhook_mode_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    polling = load_settings(data_dir=tmp_path, telegram_bot_token="123:ABC")
    assert await _post(create_app(polling)) == 404
    webhook = load_settings(data_dir=tmp_path, telegram_bot_token="123:ABC", telegram_webhook_secret="s3cret_-x")
    assert await _post(create_app(webhook)) == 401  # mounted, and a wrong secret is refused

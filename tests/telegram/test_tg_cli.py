"""`agent-brain telegram set-webhook URL` / `delete-webhook` through the real CLI entry point, against the
stand-in (which checks what Telegram checks: an HTTPS URL and a well-formed secret)."""

from __future__ import annotations

import asyncio

import pytest
from tg_support import SECRET, TOKEN

from agent_brain import cli
from telegram_bot.standin import BotAPIStandIn, message_update


@pytest.fixture
def env(standin: BotAPIStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", standin.base_url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)


async def _run(*argv: str) -> int:
    # main() runs its own event loop: off this one, which serves the stand-in.
    return await asyncio.to_thread(cli.main, list(argv))


async def test_set_webhook_registers_url_secret_and_drops_pending(env: None, standin: BotAPIStandIn,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    standin.push_update(message_update(1, "старое"))
    url = "https://bot.example.com/telegram/webhook"
    assert await _run("telegram", "set-webhook", url, "--drop-pending") == 0
    assert standin.webhook is not None
    assert standin.webhook["url"] == url and standin.webhook["secret_token"] == SECRET
    assert set(standin.webhook["allowed_updates"]) >= {"message", "edited_message", "callback_query"}
    assert standin._updates == []  # pending updates dropped
    out = capsys.readouterr().out
    assert url in out and SECRET not in out  # the secret is never printed


async def test_delete_webhook(env: None, standin: BotAPIStandIn) -> None:
    assert await _run("telegram", "set-webhook", "https://bot.example.com/telegram/webhook") == 0
    assert await _run("telegram", "delete-webhook") == 0
    assert standin.webhook is None and standin.calls_of("deleteWebhook")


async def test_refusals_are_clear(env: None, standin: BotAPIStandIn, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run("telegram", "set-webhook", "http://bot.example.com/hook") == 2
    assert "https://" in capsys.readouterr().err and standin.calls_of("setWebhook") == []
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    assert await _run("telegram", "set-webhook", "https://bot.example.com/hook") == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err

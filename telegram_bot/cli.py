"""`agent-brain telegram set-webhook URL` / `delete-webhook`: what the operator runs once per deployment."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from aiogram.exceptions import TelegramAPIError

from agent_brain.config import Settings
from telegram_bot.bot import TelegramNotConfiguredError, build_bot
from telegram_bot.webhook import WebhookNotConfiguredError, delete_webhook, set_webhook, webhook_secret


async def webhook_command(settings: Settings, url: str | None, *, drop_pending: bool = False) -> int:
    """Register (`url` given) or remove the webhook; prints one line saying what Telegram now does."""
    try:
        bot = build_bot(settings)
        secret = webhook_secret(settings) if url is not None else ""
    except (TelegramNotConfiguredError, WebhookNotConfiguredError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            print("error: Telegram delivers webhooks to https:// URLs only (ports 443, 80, 88 or 8443)",
                  file=sys.stderr)
            return 2
    try:
        if url is None:
            await delete_webhook(bot, drop_pending=drop_pending)
            print("webhook removed" + (", pending updates dropped" if drop_pending else "")
                  + "; the bot can poll again (unset TELEGRAM_WEBHOOK_SECRET for `serve` to poll)")
        else:
            await set_webhook(bot, url, secret, drop_pending=drop_pending)
            print(f"webhook set: Telegram now posts updates to {url} with the secret token"
                  + (" (pending updates dropped)" if drop_pending else ""))
    except TelegramAPIError as exc:
        print(f"error: Telegram refused: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await bot.session.close()
    return 0

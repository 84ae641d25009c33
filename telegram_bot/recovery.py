"""Recovery's message to Telegram: after a restart, the chat where a plan was approved hears how it ended.

`agent_brain.journal.recovery` writes the outcome into the conversation; this notifier also sends
it to the Telegram chat of a plan that came from Telegram (the `RecoveryNotifier` interface).
"""

from __future__ import annotations

from aiogram import Bot

from agent_brain.config import Settings
from agent_brain.stores.records import PlanRecord
from telegram_bot.render import escape


class TelegramRecoveryNotifier:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def plan_recovered(self, plan: PlanRecord, text: str) -> None:
        if plan.source != "telegram" or plan.telegram_chat_id is None:
            return
        await self.bot.send_message(plan.telegram_chat_id, escape(text))


def recovery_notifiers(settings: Settings) -> list[TelegramRecoveryNotifier]:
    """The notifiers `serve` passes to recovery: Telegram's when a bot token is configured."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        return []
    from telegram_bot.bot import build_bot

    return [TelegramRecoveryNotifier(build_bot(settings))]

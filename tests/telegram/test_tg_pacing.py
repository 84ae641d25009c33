"""Pacing against Telegram's documented limits, through the real aiogram Bot and the stand-in: about one
message a second in a chat, 20 a minute in a group, 30 a second over the whole bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from tg_support import TOKEN, FakeClock

from agent_brain.config import load_settings
from telegram_bot.bot import build_bot
from telegram_bot.outbox import ChatOutbox, Outboxes, Pacing
from telegram_bot.standin import BotAPIStandIn


@pytest.fixture
async def bot(standin: BotAPIStandIn) -> AsyncIterator[Bot]:
    bot = build_bot(load_settings(telegram_bot_token=TOKEN, telegram_api_base=standin.base_url))
    yield bot
    await bot.session.close()


async def _send_one(outbox: ChatOutbox) -> None:
    await outbox.call(lambda: SendMessage(chat_id=outbox.chat_id, text="привет"))


async def test_many_chats_at_once_stay_within_30_a_second(bot: Bot, standin: BotAPIStandIn) -> None:
    outboxes = Outboxes(Pacing())  # the real clock: the stand-in times the calls
    await asyncio.gather(*(_send_one(outboxes.get(bot, 9000 + n)) for n in range(45)))
    calls = standin.calls_of("sendMessage")
    assert len(calls) == 45 and standin.bot_violations == 0
    assert calls[-1].at - calls[0].at >= 44 / 30 - 0.1  # evenly spaced at 30 a second


async def test_without_the_shared_bucket_the_stand_in_sees_the_excess(bot: Bot, standin: BotAPIStandIn) -> None:
    """The check above can fail: per-chat pacing alone sends all 45 at once."""
    await asyncio.gather(*(_send_one(ChatOutbox(bot, 9100 + n, Pacing())) for n in range(45)))
    assert standin.bot_violations > 0


async def test_a_group_gets_20_messages_a_minute(bot: Bot, standin: BotAPIStandIn) -> None:
    clock = FakeClock()
    outboxes = Outboxes(Pacing(clock=clock, sleep=clock.sleep))
    group = outboxes.get(bot, -100123)
    for _ in range(23):
        await _send_one(group)
    # 3 at once, then 20 more at one every 3 s: an hour of waiting is not needed, a minute is.
    assert 59.0 <= clock.now - 1000.0 <= 61.0
    private = outboxes.get(bot, 4242)
    before = clock.now
    for _ in range(5):
        await _send_one(private)
    assert 3.9 <= clock.now - before <= 5.1  # a private chat keeps one a second

"""TelegramStreamer against the stand-in, driven by hand-made events (no orchestrator)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from tg_support import TOKEN, FakeClock

from agent_brain.config import load_settings
from agent_brain.orchestrator.events import Done, Error, Text, ToolResult, ToolStart
from agent_brain.texts import activity
from telegram_bot.bot import build_bot
from telegram_bot.outbox import ChatOutbox, Pacing
from telegram_bot.render import pack, text_lines, tg_len
from telegram_bot.standin import BotAPIStandIn, visible_text
from telegram_bot.streamer import TelegramStreamer

CHAT = 777


@pytest.fixture
async def bot(standin: BotAPIStandIn) -> AsyncIterator[Bot]:
    bot = build_bot(load_settings(telegram_bot_token=TOKEN, telegram_api_base=standin.base_url))
    yield bot
    await bot.session.close()


@pytest.fixture
def outbox(bot: Bot) -> ChatOutbox:
    clock = FakeClock()
    return ChatOutbox(bot, CHAT, Pacing(clock=clock, sleep=clock.sleep))


async def test_progress_lines_then_text_and_no_redundant_edits(outbox: ChatOutbox, standin: BotAPIStandIn) -> None:
    async with TelegramStreamer(outbox) as streamer:
        await streamer.feed(ToolStart(tool="getSpendReport", args={}, agent="ads", call_id="1"))
        await streamer.feed(ToolResult(tool="getSpendReport", agent="ads", call_id="1", success=True))
        await streamer.feed(ToolStart(tool="getLeads", args={}, agent="crm", call_id="2"))
        await streamer.feed(ToolResult(tool="getLeads", agent="crm", call_id="2", success=False, error="<boom>"))
        for word in ("Итого ", "за неделю: ", "<b>не тег</b> & ", "**$10**"):
            await streamer.feed(Text(text=word))
        await streamer.feed(Done(conversation_id="c", text="Итого за неделю: <b>не тег</b> & **$10**"))
        await streamer.feed(Error(code="x", message="часть данных недоступна"))
    shown = [visible_text(m.text or "") for m in standin.chat_messages(CHAT)]
    assert shown == [f"✓ {activity('getSpendReport', 'ru')}\n✗ {activity('getLeads', 'ru')}: <boom>\n\n"
                     "Итого за неделю: <b>не тег</b> & $10\n⚠️ часть данных недоступна"]
    assert all(c.status == 200 for c in standin.calls)  # no "message is not modified", no bad HTML
    texts = [c.params["text"] for c in standin.calls_of("sendMessage", "editMessageText")]
    assert len(texts) == len(set(texts))


async def test_final_text_survives_a_deleted_message(outbox: ChatOutbox, standin: BotAPIStandIn) -> None:
    async with TelegramStreamer(outbox) as streamer:
        await streamer.feed(Text(text="Первая часть"))
        await standin.wait_for(lambda: standin.calls_of("sendMessage"))
        for message in standin.chat_messages(CHAT):
            message.deleted = True  # the user deleted it mid-stream: edits now fail with 400
        await streamer.feed(Done(conversation_id="c", text="Первая часть и финал"))
    assert [visible_text(m.text or "") for m in standin.chat_messages(CHAT)] == ["Первая часть и финал"]


async def test_empty_turn_sends_nothing(outbox: ChatOutbox, standin: BotAPIStandIn) -> None:
    async with TelegramStreamer(outbox):
        pass
    assert standin.calls_of("sendMessage") == [] and len(standin.calls_of("sendChatAction")) == 1


def test_one_huge_line_is_cut_within_the_limit() -> None:
    line = "&<>" * 5000  # escapes to 4–5 characters each
    parts = pack(text_lines(line))
    assert len(parts) > 3 and all(tg_len(p) <= 4096 for p in parts)
    assert "".join(visible_text(p) for p in parts) == line

"""/stop ends the chat's running answer: it is not queued behind that answer (the sequencer and the
webhook inbox let it pass), the partial reply is kept and marked; a stop written by another process
(the row in telegram_chat_state) is picked up by the process running the turn."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from tg_support import DEMO_CHAT, ScriptedModel, Telegram

from telegram_bot import stop
from telegram_bot.inbox import chat_of
from telegram_bot.standin import message_update

SLOW = "Дай очень длинный отчёт"


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel(replies={SLOW: "Это ответ, который не успеет начаться."}, thinking={SLOW: 4.0})


async def _last_answer(tg: Telegram) -> str:
    async with tg.engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT m.content FROM ai_messages m JOIN ai_conversations c ON c.id = m.conversation_id "
            "WHERE c.telegram_chat_id = :chat AND m.role = 'assistant' ORDER BY m.id DESC LIMIT 1"),
            {"chat": DEMO_CHAT})).scalar_one()


async def _start_slow_turn(tg: Telegram) -> int:
    update_id = tg.standin.push_update(message_update(DEMO_CHAT, SLOW))
    await tg.standin.wait_for(lambda: tg.standin.calls_of("sendChatAction", chat_id=DEMO_CHAT))  # it runs
    return update_id


async def test_stop_command_ends_the_running_answer(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    turn = await _start_slow_turn(tg)
    stop_update = tg.standin.push_update(message_update(DEMO_CHAT, "/stop"))
    await tg.processed(stop_update, within=3.0)  # answered while the turn still runs
    assert turn not in tg.done
    assert tg.last_reply(DEMO_CHAT) == stop.TEXTS["stopping"]["ru"]
    await tg.processed(turn)
    assert (await _last_answer(tg)).endswith("_(ответ остановлен)_")
    assert "не успеет" not in " ".join(tg.replies(DEMO_CHAT))
    assert tg.replies(DEMO_CHAT)[-1].endswith("(ответ остановлен)")  # the Markdown mark shown in italics


async def test_a_stop_from_another_process_is_picked_up(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    turn = await _start_slow_turn(tg)
    await stop.request(tg.engine, DEMO_CHAT)  # what /stop does when another process runs the turn
    await tg.processed(turn)  # the stop lands at the model's next delta (after its 4 s of thinking)
    assert (await _last_answer(tg)).endswith("_(ответ остановлен)_")
    assert "не успеет" not in " ".join(tg.replies(DEMO_CHAT))
    assert not await stop.take(tg.engine, DEMO_CHAT)  # consumed: the next turn is not stopped by it


async def test_stop_with_nothing_running_says_so(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "/stop")
    assert tg.last_reply(DEMO_CHAT) == stop.TEXTS["idle"]["ru"]


def test_stop_is_not_ordered_behind_the_chats_turn_in_the_inbox() -> None:
    assert chat_of(message_update(DEMO_CHAT, "/stop")) is None
    assert chat_of(message_update(DEMO_CHAT, "/stop@agent_brain_test_bot")) is None
    assert chat_of(message_update(DEMO_CHAT, "стоп-кран")) == DEMO_CHAT

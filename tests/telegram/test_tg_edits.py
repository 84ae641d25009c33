"""Edited messages through the real client and the stand-in: the newest message edited → answered again
(after a note saying so); an older one edited → a note and no turn; an edited command is not run."""

from __future__ import annotations

from sqlalchemy import text
from tg_support import DEMO_CHAT, Telegram

from telegram_bot.edits import TEXTS
from telegram_bot.standin import edited_update, message_update


async def _say(tg: Telegram, body: str) -> int:
    update = message_update(DEMO_CHAT, body)
    await tg.processed(tg.standin.push_update(update))
    return int(update["message"]["message_id"])


async def _edit(tg: Telegram, message_id: int, body: str) -> None:
    await tg.processed(tg.standin.push_update(edited_update(DEMO_CHAT, message_id, body)))


async def _user_turns(tg: Telegram) -> list[str]:
    async with tg.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT m.content FROM ai_messages m JOIN ai_conversations c ON c.id = m.conversation_id "
            "WHERE c.telegram_chat_id = :chat AND m.role = 'user' ORDER BY m.id"), {"chat": DEMO_CHAT})).all()
    return [r.content for r in rows]


async def test_an_edit_of_the_last_message_is_answered_again(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    first = await _say(tg, "Покажи расходы за неделю")
    shown_before = len(tg.replies(DEMO_CHAT))
    await _edit(tg, first, "Покажи лиды за неделю")
    assert await _user_turns(tg) == ["Покажи расходы за неделю", "Покажи лиды за неделю"]
    new = tg.replies(DEMO_CHAT)[shown_before:]
    assert new[0] == TEXTS["reanswer"]["ru"]
    note = tg.standin.chat_messages(DEMO_CHAT)[shown_before]
    sent_note = next(c for c in tg.standin.calls_of("sendMessage", chat_id=DEMO_CHAT)
                     if c.params["text"] == TEXTS["reanswer"]["ru"])
    assert str(first) in sent_note.params["reply_parameters"] and note.text == TEXTS["reanswer"]["ru"]
    assert any("лид" in r.lower() for r in new[1:])  # the new question's answer follows the note


async def test_an_edit_of_an_older_message_gets_a_note_and_no_turn(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    first = await _say(tg, "Покажи расходы за неделю")
    await _say(tg, "Покажи лиды за неделю")
    turns = await _user_turns(tg)
    await _edit(tg, first, "Покажи расходы за вчера")
    assert await _user_turns(tg) == turns  # nothing answered
    assert tg.last_reply(DEMO_CHAT) == TEXTS["old_edit"]["ru"]


async def test_an_edited_command_is_not_run(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    first = await _say(tg, "Покажи расходы за неделю")
    await _edit(tg, first, "/clear")
    assert tg.last_reply(DEMO_CHAT) == TEXTS["command_edit"]["ru"]
    assert await _user_turns(tg) == ["Покажи расходы за неделю"]  # history not cleared either

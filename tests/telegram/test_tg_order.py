"""One chat's updates are handled strictly in arrival order, whatever each one costs; other chats
are not held up. Driven through the stand-in with the real aiogram client and polling loop."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from tg_support import DEMO_CHAT, ScriptedModel, Telegram, new_chat

from telegram_bot.standin import callback_update, message_update

# The first question takes the model longest, the last one no time at all: handled concurrently,
# the answers would arrive in reverse.
QUESTIONS = {"расход сегодня?": 0.6, "а вчера?": 0.4, "а за 30 дней?": 0.2, "а за 7 дней?": 0.0}
ANSWERS = {q: f"Ответ на «{q}»" for q in QUESTIONS}


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel(replies=ANSWERS, thinking=QUESTIONS)


async def test_messages_sent_quickly_are_answered_in_order(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    update_ids = [tg.standin.push_update(message_update(DEMO_CHAT, q)) for q in QUESTIONS]
    for update_id in update_ids:
        await tg.processed(update_id)
    assert tg.replies(DEMO_CHAT) == list(ANSWERS.values())
    async with tg.engine.connect() as conn:
        history = (await conn.execute(text(
            "SELECT m.role, m.content FROM ai_messages m JOIN ai_conversations c ON c.id = m.conversation_id "
            "WHERE c.telegram_chat_id = :chat AND m.role IN ('user', 'assistant') ORDER BY m.created_at, m.id"),
            {"chat": DEMO_CHAT})).all()
    expected = [row for q, a in ANSWERS.items() for row in (("user", q), ("assistant", a))]
    assert [(r.role, r.content) for r in history] == expected


async def test_a_press_waits_for_the_reply_before_it_and_other_chats_do_not(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Останови кампанию Виниры СПб")
    card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    assert card.reply_markup is not None
    other = new_chat()
    someone_else, _ = await tg.runtime.users.create_user("order-other", language="ru")
    await tg.link(other, someone_else)  # an account links one chat: another account for another chat

    slow = tg.standin.push_update(message_update(DEMO_CHAT, "расход сегодня?"))
    pressed = tg.standin.push_update(callback_update(DEMO_CHAT, card.message_id,
                                                     card.reply_markup["inline_keyboard"][0][1]["callback_data"]))
    elsewhere = tg.standin.push_update(message_update(other, "а за 7 дней?"))
    for update_id in (slow, pressed, elsewhere):
        await tg.processed(update_id)

    calls = [(c.method, c.chat_id, (c.params.get("text") or "")) for c in tg.standin.calls]
    reply_done = max(i for i, (_, chat, body) in enumerate(calls) if chat == DEMO_CHAT and "расход сегодня" in body)
    press_answered = next(i for i, (method, _, _) in enumerate(calls) if method == "answerCallbackQuery")
    other_answered = next(i for i, (_, chat, body) in enumerate(calls) if chat == other and "а за 7 дней" in body)
    assert reply_done < press_answered  # the press was handled after the message sent before it
    assert other_answered < reply_done  # another chat was not held up by this one's slow turn

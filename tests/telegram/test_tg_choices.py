"""A clarifying question's choices in Telegram: an inline keyboard (`ch:<index>`), a press sends the
choice through the same path as typed text, checked against the chat's own open question."""

from __future__ import annotations

from sqlalchemy import text
from tg_support import DEMO_CHAT, Telegram

from telegram_bot.standin import StoredMessage


async def _duplicate_name(tg: Telegram) -> tuple[str, list[tuple[str, str]]]:
    async with tg.engine.connect() as conn:
        name = (await conn.execute(text("SELECT name FROM leads GROUP BY name HAVING count(*) > 1 "
                                        "ORDER BY count(*) DESC, name LIMIT 1"))).scalar_one()
        rows = (await conn.execute(text("SELECT id::text, phone FROM leads WHERE name = :n"), {"n": name})).all()
    return name, [(r[0], r[1]) for r in rows]


async def _stage(tg: Telegram, lead_id: str) -> str:
    async with tg.engine.connect() as conn:
        return (await conn.execute(text("SELECT s.name FROM leads l JOIN funnel_stages s ON s.id = l.stage_id "
                                        "WHERE l.id = :id"), {"id": lead_id})).scalar_one()


async def _auto_mode(tg: Telegram) -> None:
    user = await tg.demo_user()
    conv = await tg.runtime.conversations.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=DEMO_CHAT)
    await tg.runtime.conversations.set_mode(conv.id, "auto")


def _rows(card: StoredMessage) -> list[dict[str, str]]:
    assert card.reply_markup is not None
    return [row[0] for row in card.reply_markup["inline_keyboard"]]


async def test_choice_buttons_answer_the_question_in_its_context(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await _auto_mode(tg)
    name, leads = await _duplicate_name(tg)
    await tg.say(DEMO_CHAT, f"Переведи {name} на этап Лечение")
    card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    buttons = _rows(card)
    assert len(buttons) == min(len(leads), 5)
    assert [b["callback_data"] for b in buttons] == [f"ch:{i}" for i in range(len(buttons))]
    phones = {phone for _, phone in leads}
    assert all(any(p in b["text"] for p in phones) for b in buttons)  # told apart by phone
    target = next(lead_id for lead_id, phone in leads if phone in buttons[1]["text"])
    before = {lead_id: await _stage(tg, lead_id) for lead_id, _ in leads}

    await tg.press(DEMO_CHAT, card.message_id, "ch:1")
    assert await _stage(tg, target) == "Лечение"
    assert {i: await _stage(tg, i) for i, _ in leads if i != target} == {i: s for i, s in before.items() if i != target}
    assert tg.standin.messages[(DEMO_CHAT, card.message_id)].reply_markup is None  # one press answers it

    # The same button again: the question is closed, nothing is sent or written.
    replies = len(tg.standin.chat_messages(DEMO_CHAT))
    await tg.press(DEMO_CHAT, card.message_id, "ch:0")
    answer = tg.standin.calls_of("answerCallbackQuery")[-1].params
    assert answer.get("show_alert") and "неактуален" in answer["text"]
    assert len(tg.standin.chat_messages(DEMO_CHAT)) == replies
    other = next(i for i, _ in leads if i != target)
    assert await _stage(tg, other) == before[other]

"""/start <code>: single-use, expiring codes; an unlinked chat gets instructions and never any data."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from tg_support import Telegram, new_chat

from telegram_bot.approvals import callback_data


async def _conversations_of_chat(tg: Telegram, chat_id: int) -> int:
    async with tg.engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM ai_conversations WHERE telegram_chat_id = :c"),
                                   {"c": chat_id})).scalar_one()


async def test_valid_code_links_the_chat(tg: Telegram) -> None:
    user = await tg.demo_user()
    code, _ = await tg.links.codes.issue(user.id)
    chat = new_chat()
    await tg.say(chat, f"/start {code}")
    assert "Чат привязан к аккаунту demo" in tg.last_reply(chat)
    assert (await tg.links.user_for_chat(chat)).id == user.id  # type: ignore[union-attr]
    await tg.say(chat, "/start")
    assert "уже привязан" in tg.last_reply(chat)


async def test_a_used_code_does_not_work_twice(tg: Telegram) -> None:
    user = await tg.demo_user()
    code, _ = await tg.links.codes.issue(user.id)
    first, second = new_chat(), new_chat()
    await tg.say(first, f"/start {code}")
    await tg.say(second, f"/start {code}")
    assert "Код не подошёл" in tg.last_reply(second)
    assert await tg.links.user_for_chat(second) is None
    assert (await tg.links.user_for_chat(first)).id == user.id  # type: ignore[union-attr]


async def test_an_expired_code_is_refused(tg: Telegram) -> None:
    user = await tg.demo_user()
    code, _ = await tg.links.codes.issue(user.id)
    async with tg.engine.begin() as conn:
        await conn.execute(text("UPDATE telegram_link_codes SET expires_at = now() - interval '1 minute'"))
    chat = new_chat()
    await tg.say(chat, f"/start {code}", language_code="en")
    assert "That code did not work" in tg.last_reply(chat)
    assert await tg.links.user_for_chat(chat) is None


async def test_unlinked_chat_gets_instructions_and_no_data(tg: Telegram) -> None:
    chat = new_chat()
    for message in ("/start", "/status", "/mode auto", "/clear", "/help", "Покажи расходы за неделю", "да"):
        await tg.say(chat, message)
        assert "не привязан" in tg.last_reply(chat) and "/start" in tg.last_reply(chat)
    replies = tg.replies(chat)
    assert len(replies) == 7
    assert not any("$" in r or "Режим" in r or "Статус" in r for r in replies)
    # A button press from an unlinked chat (forged: it never got a card) is refused with an alert.
    plan_button = callback_data("a", uuid.uuid4())
    await tg.press(chat, 1, plan_button)
    answer = tg.standin.calls_of("answerCallbackQuery")[-1].params
    assert "не привязан" in answer["text"] and answer["show_alert"] == "true"
    assert await _conversations_of_chat(tg, chat) == 0  # no turn ran: nothing was read or stored


async def test_relinking_a_chat_to_another_account_hands_it_over(tg: Telegram) -> None:
    chat = new_chat()
    await tg.link(chat)
    await tg.say(chat, "Покажи расходы за неделю")
    other, _ = await tg.runtime.users.create_user("second-account")
    code, _ = await tg.links.codes.issue(other.id)
    await tg.say(chat, f"/start {code}")
    assert "second-account" in tg.last_reply(chat)
    await tg.say(chat, "/status")
    assert "Сообщений в истории: 0" in tg.last_reply(chat)  # the new owner does not see the old history

"""Telegram identity is a person: only the Telegram user who linked a chat (or people they /allow)
may talk to the bot there, press ✅/❌ or type «да»; groups link only when enabled, and there every
write is a plan."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from tg_support import Telegram

from agent_brain.stores.telegram_links import TelegramPerson
from telegram_bot.standin import callback_update, message_update, visible_text

PAUSE = "Останови кампанию Виниры СПб"
CAMPAIGN = "Виниры СПб"
OWNER, OTHER, THIRD = 71001, 71002, 71003


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"telegram_allow_groups": True}


def new_group() -> int:
    return -(1_000_000_000_000 + uuid.uuid4().int % 1_000_000)


async def send(tg: Telegram, chat_id: int, sender: int, message: str, *, username: str | None = None,
               reply_to: dict[str, Any] | None = None, chat_type: str = "group") -> None:
    update = message_update(chat_id, message, user_id=sender, username=username, chat_type=chat_type,
                            reply_to=reply_to)
    await tg.processed(tg.standin.push_update(update))


async def press(tg: Telegram, chat_id: int, sender: int, message_id: int, data: str) -> dict[str, Any]:
    update = callback_update(chat_id, message_id, data, user_id=sender, chat_type="group")
    await tg.processed(tg.standin.push_update(update))
    return tg.standin.calls_of("answerCallbackQuery")[-1].params


async def link_group(tg: Telegram, chat_id: int) -> None:
    code, _ = await tg.links.codes.issue((await tg.demo_user()).id)
    await send(tg, chat_id, OWNER, f"/start {code}", username="Owner_Anna")
    assert "Чат привязан к аккаунту demo" in tg.last_reply(chat_id)


async def campaign_status(tg: Telegram) -> str:
    campaigns = await tg.runtime.meta.list_campaigns("act_100200300400")
    return next(c.status for c in campaigns if c.name == CAMPAIGN)


async def messages_in(tg: Telegram, chat_id: int) -> int:
    async with tg.engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT count(*) FROM ai_messages m JOIN ai_conversations c ON c.id = m.conversation_id "
            "WHERE c.telegram_chat_id = :chat"), {"chat": chat_id})).scalar_one()


async def pending_plan(tg: Telegram, chat_id: int) -> Any:
    conversation = await tg.runtime.conversations.get_or_create(
        user_id=(await tg.demo_user()).id, source="telegram", telegram_chat_id=chat_id)
    return await tg.runtime.conversations.get_pending_plan(conversation.id)


async def test_linking_records_the_person_who_sent_the_code(tg: Telegram) -> None:
    chat = new_group()
    await link_group(tg, chat)
    [owner] = await tg.links.codes.members(chat)
    assert (owner.telegram_user_id, owner.username, owner.role, owner.label) == (
        OWNER, "owner_anna", "owner", "@owner_anna")


async def test_another_member_cannot_talk_press_or_say_yes(tg: Telegram) -> None:
    chat = new_group()
    await link_group(tg, chat)
    await send(tg, chat, OWNER, PAUSE)
    card = tg.standin.chat_messages(chat)[-1]
    assert card.reply_markup is not None
    approve = card.reply_markup["inline_keyboard"][0][0]["callback_data"]
    stored = await messages_in(tg, chat)
    writes = tg.writes

    answer = await press(tg, chat, OTHER, card.message_id, approve)
    assert answer["show_alert"] == "true"
    assert answer["text"] == "⛔ Подтверждать планы здесь может только @owner_anna (или те, кого он добавил)."
    await send(tg, chat, OTHER, "да")
    assert tg.last_reply(chat).startswith("⛔ Здесь мной управляет @owner_anna.")
    await send(tg, chat, OTHER, "Покажи расходы за неделю")
    assert "$" not in tg.last_reply(chat)
    await send(tg, chat, OTHER, "/start")
    assert tg.last_reply(chat).startswith("⛔") and "demo" not in tg.last_reply(chat)
    plan = await pending_plan(tg, chat)
    assert plan is not None and plan.status == "pending"
    assert tg.writes == writes and await campaign_status(tg) == "ACTIVE"
    assert await messages_in(tg, chat) == stored  # nothing of theirs reached the assistant

    await send(tg, chat, OWNER, "да")
    assert await campaign_status(tg) == "PAUSED" and tg.writes == writes + 1


async def test_in_a_group_every_write_is_a_plan_and_auto_mode_is_refused(tg: Telegram) -> None:
    chat = new_group()
    await link_group(tg, chat)
    await send(tg, chat, OWNER, "/mode auto")
    assert "доступны режимы plan и ask" in tg.last_reply(chat)
    conversation = await tg.runtime.conversations.get_or_create(
        user_id=(await tg.demo_user()).id, source="telegram", telegram_chat_id=chat)
    await tg.runtime.conversations.set_mode(conversation.id, "auto")  # e.g. switched from the web chat
    writes = tg.writes
    await send(tg, chat, OWNER, "Включи кампанию Виниры СПб")  # a plain (not dangerous) write
    assert tg.standin.chat_messages(chat)[-1].reply_markup is not None, "a plan with buttons, not a write"
    assert tg.writes == writes
    assert (await tg.runtime.conversations.get_by_id(conversation.id)).mode == "plan"


async def test_allow_by_reply_lets_a_member_act_and_deny_takes_it_back(tg: Telegram) -> None:
    chat = new_group()
    await link_group(tg, chat)
    their_message = message_update(chat, "можно мне?", user_id=OTHER, chat_type="group")["message"]
    await send(tg, chat, OTHER, "/allow")  # nobody here yet
    assert tg.last_reply(chat).startswith("⛔ Здесь мной управляет @owner_anna.")
    await send(tg, chat, OWNER, "/allow", reply_to=their_message)
    assert "✅ Marketer теперь может писать мне здесь и подтверждать планы." in tg.last_reply(chat)
    third = message_update(chat, "и мне", user_id=THIRD, chat_type="group")["message"]
    await send(tg, chat, OTHER, "/allow", reply_to=third)  # allowed, but not the owner: cannot allow others
    assert "только тот, кто привязал чат (@owner_anna)" in tg.last_reply(chat)
    assert (await tg.links.access(chat, TelegramPerson(THIRD)))[1] is None

    await send(tg, chat, OTHER, PAUSE)
    card = tg.standin.chat_messages(chat)[-1]
    assert card.reply_markup is not None
    answer = await press(tg, chat, OTHER, card.message_id, card.reply_markup["inline_keyboard"][0][0]["callback_data"])
    assert answer["text"] == "Готово" and await campaign_status(tg) == "PAUSED"

    await send(tg, chat, OWNER, "/deny", reply_to=their_message)
    assert "больше не может действовать" in tg.last_reply(chat)
    await send(tg, chat, OTHER, "Покажи расходы за неделю")
    assert tg.last_reply(chat).startswith("⛔")


async def test_allow_by_username_pins_the_person_at_first_use(tg: Telegram) -> None:
    chat = new_group()
    await link_group(tg, chat)
    await send(tg, chat, OWNER, "/allow @Bob_Ads")
    assert "@Bob_Ads теперь может" in tg.last_reply(chat)
    await send(tg, chat, THIRD, "/status", username="bob_ads")
    assert "Статус" in tg.last_reply(chat) and "@owner_anna (владелец), @bob_ads" in tg.last_reply(chat)
    # The right stays with that person's id: someone who takes the username later gets nothing.
    assert (await tg.links.access(chat, TelegramPerson(THIRD, "renamed")))[1] == "allowed"
    assert (await tg.links.access(chat, TelegramPerson(OTHER, "bob_ads")))[1] is None


async def test_groups_cannot_be_linked_unless_enabled(tg: Telegram, make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime, _ = make_runtime()  # the default settings
    assert runtime.settings.telegram_allow_groups is False
    tg.dispatcher["deps"].runtime = runtime  # same database and bot, groups switched off
    user = await tg.demo_user()
    code, _ = await tg.links.codes.issue(user.id)
    chat = new_group()
    await send(tg, chat, OWNER, f"/start {code}")
    assert visible_text(tg.last_reply(chat)).startswith("🔒 Привязать можно только личный чат с ботом")
    assert await tg.links.user_for_chat(chat) is None
    await send(tg, OWNER, OWNER, f"/start {code}", chat_type="private")  # the code was not spent
    assert "Чат привязан к аккаунту demo" in tg.last_reply(OWNER)

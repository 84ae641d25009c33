"""/help, /mode, /status, /clear and the command menu, through the real bot and the stand-in."""

from __future__ import annotations

import contextlib
import json

from tg_support import DEMO_CHAT, Telegram, new_chat

from agent_brain.platforms.graph.errors import TransientError
from telegram_bot.standin import message_update


async def test_command_menu_is_set_in_russian_and_english_at_start(tg: Telegram) -> None:
    calls = tg.standin.calls_of("setMyCommands")
    by_language = {c.params.get("language_code"): json.loads(c.params["commands"]) for c in calls}
    assert set(by_language) == {"ru", "en", None}
    assert [c["command"] for c in by_language["ru"]] == ["status", "mode", "clear", "allow", "deny", "help", "stop"]
    assert "Очистить" in by_language["ru"][2]["description"]
    assert "Clear" in by_language["en"][2]["description"] and by_language[None] == by_language["en"]


async def test_help_in_the_clients_language(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "/help")
    assert "/mode auto|plan|ask" in tg.last_reply(DEMO_CHAT) and "Очистить" not in tg.last_reply(DEMO_CHAT)
    assert "очистить историю" in tg.last_reply(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "/help", language_code="en")
    assert "clear the conversation history" in tg.last_reply(DEMO_CHAT)


async def test_mode_switches_and_rejects_invalid_values(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "/mode auto")
    assert tg.last_reply(DEMO_CHAT) == "Режим: auto"
    conv = await tg.runtime.conversations.get_or_create(user_id=(await tg.demo_user()).id, source="telegram",
                                                        telegram_chat_id=DEMO_CHAT)
    assert conv.mode == "auto"
    for invalid in ("/mode turbo", "/mode"):
        await tg.say(DEMO_CHAT, invalid)
        assert tg.last_reply(DEMO_CHAT).startswith("Использование: /mode auto|plan|ask\nСейчас: auto")
    assert (await tg.runtime.conversations.get_by_id(conv.id)).mode == "auto"
    await tg.say(DEMO_CHAT, "/mode ASK")
    assert (await tg.runtime.conversations.get_by_id(conv.id)).mode == "ask"


async def test_status_shows_mode_history_agent_plan_and_breaker(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "/status")
    status = tg.last_reply(DEMO_CHAT)
    assert "Режим: plan" in status and "Сообщений в истории: 0" in status
    assert "Ожидает подтверждения: нет" in status and "Facebook API: ✅ работает" in status
    await tg.say(DEMO_CHAT, "Останови кампанию Виниры СПб")
    await tg.say(DEMO_CHAT, "/status")
    status = tg.last_reply(DEMO_CHAT)
    assert "Последний агент: ads" in status and "Последний домен: ads" in status
    assert "Ожидает подтверждения: pauseCampaign" in status
    assert "Сообщений в истории: 0" not in status

    async def fail() -> None:
        raise TransientError("503", http_status=503)

    breaker = tg.runtime.meta.client.breaker
    for _ in range(breaker.config.fail_max):
        with contextlib.suppress(TransientError):
            await breaker.call(fail)
    await tg.say(DEMO_CHAT, "/status", language_code="en")
    assert "Facebook API: ⛔ unavailable, retry in 60 s" in tg.last_reply(DEMO_CHAT)


async def test_clear_empties_history_and_cancels_the_pending_plan(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Останови кампанию Виниры СПб")
    conv = await tg.runtime.conversations.get_or_create(user_id=(await tg.demo_user()).id, source="telegram",
                                                        telegram_chat_id=DEMO_CHAT)
    pending = await tg.runtime.conversations.get_pending_plan(conv.id)
    assert pending is not None and conv.message_count > 0
    await tg.say(DEMO_CHAT, "/clear")
    assert tg.last_reply(DEMO_CHAT).startswith(f"🧹 История очищена ({conv.message_count} сообщ.)")
    assert (await tg.runtime.conversations.get_by_id(conv.id)).message_count == 0
    assert (await tg.runtime.conversations.get_plan(pending.id)).status == "rejected"


async def test_unknown_command_and_non_text(tg: Telegram) -> None:
    chat = new_chat()
    await tg.link(chat)
    await tg.say(chat, "/launch_rockets")
    assert "Не знаю такой команды" in tg.last_reply(chat)
    sticker = message_update(chat, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
                                     "height": 512, "is_animated": False, "is_video": False}
    await tg.processed(tg.standin.push_update(sticker))
    assert tg.last_reply(chat) == "Я понимаю только текстовые сообщения."


async def test_a_throttled_account_is_named_in_the_reply_and_in_status(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "/status")
    assert f"Могут действовать: {DEMO_CHAT} (владелец)" in tg.last_reply(DEMO_CHAT)
    [account] = await tg.runtime.users.ad_accounts((await tg.demo_user()).id)
    tg.sandbox.state.emulator.faults.inject("throttle", times=3, regain_minutes=10)
    await tg.say(DEMO_CHAT, "Покажи кампании")
    assert f"Facebook временно ограничил запросы к рекламному аккаунту {account.external_id}. " \
           "Повторите через 10 мин." in tg.last_reply(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "/status")
    status = tg.last_reply(DEMO_CHAT)
    assert "Facebook API: ✅ работает" in status  # one busy account is not the platform being down
    assert f"аккаунт {account.external_id} ограничен Facebook, повтор через 10 мин" in status

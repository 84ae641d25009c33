"""Approval cards: ✅/❌ buttons tied to the plan and its chat, executed once, the card edited with
each step's verified result and its buttons removed; «да»/«нет» typed instead of pressed."""

from __future__ import annotations

import asyncio
import uuid

from tg_support import DEMO_CHAT, Telegram, new_chat

from telegram_bot.approvals import callback_data
from telegram_bot.standin import StoredMessage, callback_update, visible_text

PAUSE = "Останови кампанию Виниры СПб"
CAMPAIGN = "Виниры СПб"


async def _campaign_status(tg: Telegram) -> str:
    campaigns = await tg.runtime.meta.list_campaigns("act_100200300400")
    return next(c.status for c in campaigns if c.name == CAMPAIGN)


async def _card(tg: Telegram, chat_id: int, text: str = PAUSE, language_code: str = "ru") -> StoredMessage:
    await tg.say(chat_id, text, language_code=language_code)
    card = tg.standin.chat_messages(chat_id)[-1]
    assert card.reply_markup is not None, "the plan's card carries the buttons"
    return card


def _buttons(card: StoredMessage) -> list[dict[str, str]]:
    assert card.reply_markup is not None
    return card.reply_markup["inline_keyboard"][0]


def _answers(tg: Telegram) -> list[dict[str, str]]:
    return [c.params for c in tg.standin.calls_of("answerCallbackQuery")]


async def test_card_lists_steps_with_buttons_bound_to_the_plan(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    # In words, with the object, before → after and the spend it stops; never the tool's name.
    assert visible_text(card.text or "").startswith(
        "📋 Требуется подтверждение\n\n1. ⚠️ Поставить кампанию на паузу «Виниры СПб»\n    Статус: активна → на паузе\n"
        "    💸 затронутый расход: $")
    assert "pauseCampaign" not in (card.text or "")
    # Shown once: the engine's announcement became the card, no second message about the same plan.
    assert sum("Виниры СПб" in r for r in tg.replies(DEMO_CHAT)) == 1
    approve, reject = _buttons(card)
    assert (approve["text"], reject["text"]) == ("✅ Выполнить", "❌ Отменить")
    conv = await tg.runtime.conversations.get_or_create(user_id=(await tg.demo_user()).id, source="telegram",
                                                        telegram_chat_id=DEMO_CHAT)
    plan = await tg.runtime.conversations.get_pending_plan(conv.id)
    assert plan is not None and plan.telegram_message_id == card.message_id and plan.telegram_chat_id == DEMO_CHAT
    assert approve["callback_data"] == f"pl:a:{plan.id.hex}" and reject["callback_data"] == f"pl:r:{plan.id.hex}"
    assert all(len(b["callback_data"].encode()) <= 64 for b in (approve, reject))
    assert await _campaign_status(tg) == "ACTIVE"  # nothing ran before the press


async def test_english_users_get_english_buttons(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT, "Pause the campaign Виниры СПб", language_code="en")
    assert [b["text"] for b in _buttons(card)] == ["✅ Execute", "❌ Cancel"]
    assert visible_text(card.text or "").startswith("📋 Approval needed")


async def test_approve_button_executes_and_edits_the_card(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    writes = tg.writes
    await tg.press(DEMO_CHAT, card.message_id, _buttons(card)[0]["callback_data"])
    assert _answers(tg)[-1]["text"] == "Готово"
    assert await _campaign_status(tg) == "PAUSED" and tg.writes == writes + 1
    edited = tg.standin.messages[(DEMO_CHAT, card.message_id)]
    assert edited.reply_markup is None  # buttons gone
    shown = visible_text(edited.text or "")
    assert shown.startswith("📋 План\n\n1. ⚠️ Поставить кампанию на паузу «Виниры СПб»\n\nПлан: выполнено 1 из 1.")
    assert "План: выполнено 1 из 1.\nПоставить кампанию на паузу «Виниры СПб»: ✅ выполнено и проверено" in shown


async def test_double_press_executes_once(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    writes = tg.writes
    data = _buttons(card)[0]["callback_data"]
    await tg.press(DEMO_CHAT, card.message_id, data)
    await tg.press(DEMO_CHAT, card.message_id, data)
    assert tg.writes == writes + 1
    assert _answers(tg)[-1]["text"] == "Уже обработано: план уже выполнен."


async def test_simultaneous_presses_execute_once(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    writes = tg.writes
    data = _buttons(card)[0]["callback_data"]
    ids = [tg.standin.push_update(callback_update(DEMO_CHAT, card.message_id, data)) for _ in range(2)]
    await asyncio.gather(*(tg.processed(i) for i in ids))
    assert tg.writes == writes + 1
    texts = sorted(a["text"] for a in _answers(tg))
    assert texts[0] == "Готово" and texts[1].startswith("Уже обработано")
    assert tg.standin.calls_of("editMessageText", chat_id=DEMO_CHAT)[-1].status == 200


async def test_reject_button_cancels_without_writing(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    approve, reject = _buttons(card)
    writes = tg.writes
    await tg.press(DEMO_CHAT, card.message_id, reject["callback_data"])
    assert _answers(tg)[-1]["text"] == "План отменён"
    edited = tg.standin.messages[(DEMO_CHAT, card.message_id)]
    assert edited.reply_markup is None and visible_text(edited.text or "").endswith("❌ План отменён.")
    assert tg.writes == writes and await _campaign_status(tg) == "ACTIVE"
    await tg.press(DEMO_CHAT, card.message_id, approve["callback_data"])  # approve after reject
    assert _answers(tg)[-1]["text"] == "Уже обработано: план отменён." and tg.writes == writes


async def test_text_yes_approves_and_removes_the_buttons(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    approve = _buttons(card)[0]
    writes = tg.writes
    await tg.say(DEMO_CHAT, "да")
    assert tg.writes == writes + 1 and await _campaign_status(tg) == "PAUSED"
    assert "План: выполнено 1 из 1." in tg.last_reply(DEMO_CHAT)
    edited = tg.standin.messages[(DEMO_CHAT, card.message_id)]
    assert edited.reply_markup is None and "✅ выполнено и проверено" in visible_text(edited.text or "")
    await tg.press(DEMO_CHAT, card.message_id, approve["callback_data"])  # a stale button
    assert _answers(tg)[-1]["text"].startswith("Уже обработано") and tg.writes == writes + 1


async def test_text_no_rejects(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    writes = tg.writes
    await tg.say(DEMO_CHAT, "нет")
    assert "план отменён" in tg.last_reply(DEMO_CHAT)
    assert tg.standin.messages[(DEMO_CHAT, card.message_id)].reply_markup is None
    assert tg.writes == writes and await _campaign_status(tg) == "ACTIVE"


async def test_press_from_another_chat_is_refused(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    intruder_chat = new_chat()
    intruder, _ = await tg.runtime.users.create_user("intruder")
    await tg.link(intruder_chat, intruder)
    writes = tg.writes
    for data in (_buttons(card)[0]["callback_data"], _buttons(card)[1]["callback_data"]):
        await tg.press(intruder_chat, card.message_id, data)
        assert _answers(tg)[-1] == {**_answers(tg)[-1], "text": "⛔ Это не ваш план.", "show_alert": "true"}
    assert tg.writes == writes and await _campaign_status(tg) == "ACTIVE"
    assert tg.standin.messages[(DEMO_CHAT, card.message_id)].reply_markup is not None  # card untouched
    plan_id = uuid.UUID(hex=_buttons(card)[0]["callback_data"][5:])
    assert (await tg.runtime.conversations.get_plan(plan_id)).status == "pending"


async def test_forged_or_garbage_callback_data_is_refused(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    card = await _card(tg, DEMO_CHAT)
    writes = tg.writes
    real = _buttons(card)[0]["callback_data"]
    for data in ("pl:a:xyz", "pl:x:" + real[5:], real + "0", "approve:" + real[5:], "' OR 1=1 --"):
        await tg.press(DEMO_CHAT, card.message_id, data)
        assert _answers(tg)[-1]["text"] == "Неизвестная кнопка." and _answers(tg)[-1]["show_alert"] == "true"
    await tg.press(DEMO_CHAT, card.message_id, callback_data("a", uuid.uuid4()))  # well-formed, no such plan
    assert _answers(tg)[-1]["text"] == "План не найден."
    assert tg.writes == writes and await _campaign_status(tg) == "ACTIVE"

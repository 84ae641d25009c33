"""Issue 19's handoff round trip through the Bot API stand-in: a customer's complaint reaches the
marketer as a card with buttons; «send the draft» delivers it to the customer, «I'll take it»
silences the rules in that dialog."""

from __future__ import annotations

from sqlalchemy import text
from tg_support import DEMO_CHAT, Telegram

from agent_brain import clock
from agent_brain.inbound.accounts import register_account
from agent_brain.inbound.service import InboundService
from agent_brain.platforms.sandbox.customers import whatsapp_message_body
from agent_brain.platforms.sandbox.messaging import DEMO_PHONE_NUMBER_ID
from telegram_bot.inbound import TelegramHandoffNotifier
from telegram_bot.standin import visible_text


async def _customer_writes(tg: Telegram, service: InboundService, phone: str, words: str, mid: str) -> None:
    now = clock.now()
    await tg.sandbox.state.messaging.customer_wrote(DEMO_PHONE_NUMBER_ID, phone, now)
    body = whatsapp_message_body(DEMO_PHONE_NUMBER_ID, phone.lstrip("+"), words, mid, now, name="Ольга")
    delivery = await service.receive("whatsapp", body)
    await service.process(delivery)


async def test_a_complaint_is_handed_to_the_marketer_and_the_draft_goes_out_on_a_press(tg: Telegram) -> None:
    user = await tg.link(DEMO_CHAT)
    await register_account(tg.engine, user.id, "whatsapp", DEMO_PHONE_NUMBER_ID, name="Клиника",
                           business_hours={"start": 0, "end": 24, "days": list(range(7))})
    service = InboundService.for_runtime(tg.runtime, notify=TelegramHandoffNotifier(tg.runtime))
    await _customer_writes(tg, service, "+77017770001", "Это ужасно, у вас хамят на ресепшене!", "wamid.C1")

    card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    shown = visible_text(card.text or "")
    assert shown.startswith("🙋 Нужен ответ человека — WhatsApp, Ольга")
    assert "хамят на ресепшене" in shown and "жалоба" in shown and "Черновик ответа:" in shown
    buttons = card.reply_markup["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["✉️ Отправить черновик", "✏️ Изменить", "🙋 Беру на себя"]

    await tg.press(DEMO_CHAT, card.message_id, buttons[0]["callback_data"])
    sent = tg.sandbox.state.messaging.sent
    assert [(s["to"], s["text"]) for s in sent] == [("77017770001", "Нам очень жаль, что так вышло. Менеджер уже "
                                                                    "разбирается и ответит вам в ближайшее время.")]
    closed = tg.standin.chat_messages(DEMO_CHAT)[-1]
    assert closed.message_id == card.message_id and closed.reply_markup is None
    assert visible_text(closed.text or "").endswith("✅ Ответ отправлен клиенту.")
    async with tg.engine.connect() as conn:
        journal = (await conn.execute(text(
            "SELECT source, telegram_chat_id, status FROM ai_actions WHERE tool = 'sendMessage'"))).one()
    assert (journal.source, journal.telegram_chat_id, journal.status) == ("telegram", DEMO_CHAT, "verified")
    # A second press on the same card sends nothing more.
    await tg.press(DEMO_CHAT, card.message_id, buttons[0]["callback_data"])
    assert len(tg.sandbox.state.messaging.sent) == 1


async def test_taking_a_dialog_over_silences_the_rules_there(tg: Telegram) -> None:
    user = await tg.link(DEMO_CHAT)
    await register_account(tg.engine, user.id, "whatsapp", DEMO_PHONE_NUMBER_ID, name="Клиника")
    service = InboundService.for_runtime(tg.runtime, notify=TelegramHandoffNotifier(tg.runtime))
    await _customer_writes(tg, service, "+77017770002", "Позовите менеджера", "wamid.C2")
    card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    await tg.press(DEMO_CHAT, card.message_id, card.reply_markup["inline_keyboard"][0][2]["callback_data"])
    assert tg.last_reply(DEMO_CHAT).endswith("Диалог ваш: автоответы в нём выключены.")
    cards = len(tg.standin.chat_messages(DEMO_CHAT))
    await _customer_writes(tg, service, "+77017770002", "Позовите менеджера ещё раз", "wamid.C3")
    assert len(tg.standin.chat_messages(DEMO_CHAT)) == cards  # the marketer owns it now: no card, no auto-reply
    assert tg.sandbox.state.messaging.sent == []


async def test_the_marketer_edits_the_reply_and_their_own_text_goes_out_once(tg: Telegram) -> None:
    from telegram_bot.standin import message_update

    user = await tg.link(DEMO_CHAT)
    await register_account(tg.engine, user.id, "whatsapp", DEMO_PHONE_NUMBER_ID, name="Клиника")
    service = InboundService.for_runtime(tg.runtime, notify=TelegramHandoffNotifier(tg.runtime))
    await _customer_writes(tg, service, "+77017770003", "Позовите менеджера", "wamid.C4")
    card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    await tg.press(DEMO_CHAT, card.message_id, card.reply_markup["inline_keyboard"][0][1]["callback_data"])
    prompt = tg.standin.chat_messages(DEMO_CHAT)[-1]
    assert visible_text(prompt.text or "").startswith("✏️ Напишите ответ клиенту ответом (reply)")
    reply_to = {"message_id": prompt.message_id, "date": 0, "chat": {"id": DEMO_CHAT, "type": "private"},
                "text": visible_text(prompt.text or "")}
    own = "Здравствуйте, Ольга! Я менеджер клиники, перезвоню вам через 10 минут."
    for _ in range(2):  # sent twice by mistake: the customer still gets it once
        update_id = tg.standin.push_update(message_update(DEMO_CHAT, own, reply_to=reply_to))
        await tg.processed(update_id)
    assert [(s["to"], s["text"]) for s in tg.sandbox.state.messaging.sent] == [("77017770003", own)]
    assert tg.last_reply(DEMO_CHAT) == "✅ Ответ отправлен клиенту."

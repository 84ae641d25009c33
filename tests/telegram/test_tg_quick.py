"""Quick-action buttons under answers: chosen from the answer's tools, signed for this user, conversation,
chat and answer; a press asks the phrase as the next message (a pause comes back as a plan, nothing is
written); forged, foreign and stale buttons are refused with an alert and nothing runs."""

from __future__ import annotations

import json

from sqlalchemy import text
from tg_support import DEMO_CHAT, Telegram, new_chat

from telegram_bot.quick import TEXTS
from telegram_bot.standin import StoredMessage, callback_update


def _with_buttons(tg: Telegram, chat_id: int) -> StoredMessage:
    return next(m for m in reversed(tg.standin.chat_messages(chat_id)) if m.reply_markup)


def _buttons(message: StoredMessage) -> dict[str, str]:
    assert message.reply_markup is not None
    return {b["text"]: b["callback_data"] for row in message.reply_markup["inline_keyboard"] for b in row}


async def _user_turns(tg: Telegram, chat_id: int = DEMO_CHAT) -> list[str]:
    async with tg.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT m.content FROM ai_messages m JOIN ai_conversations c ON c.id = m.conversation_id "
            "WHERE c.telegram_chat_id = :chat AND m.role = 'user' ORDER BY m.id"), {"chat": chat_id})).all()
    return [r.content for r in rows]


def _alerts(tg: Telegram) -> list[str]:
    return [c.params.get("text", "") for c in tg.standin.calls_of("answerCallbackQuery")
            if str(c.params.get("show_alert")).lower() == "true"]


async def test_a_report_gets_follow_ups_and_a_press_asks_the_next_question(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Покажи расходы за неделю")
    message = _with_buttons(tg, DEMO_CHAT)
    assert message.photo is not None  # under the chart, the answer's last message
    buttons = _buttons(message)
    assert list(buttons) == ["За вчера", "По дням", "📈 График", "Подробнее"]
    assert all(len(d.encode()) <= 64 and d.startswith("qa:") for d in buttons.values())
    await tg.press(DEMO_CHAT, message.message_id, buttons["По дням"])
    assert (await _user_turns(tg))[-1] == TEXTS["by_day_text"]["ru"]
    assert tg.standin.messages[(DEMO_CHAT, message.message_id)].reply_markup is None  # one press, buttons gone
    assert _alerts(tg) == []


async def test_campaign_buttons_pause_only_through_a_plan(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Расскажи про кампанию Имплантация Москва")
    message = _with_buttons(tg, DEMO_CHAT)
    buttons = _buttons(message)
    assert "⏸ Пауза" in buttons and "Отчёт за неделю" in buttons
    writes = tg.writes
    await tg.press(DEMO_CHAT, message.message_id, buttons["⏸ Пауза"])
    assert (await _user_turns(tg))[-1] == "Поставь на паузу кампанию «Имплантация Москва»"
    card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    assert card.reply_markup is not None and card.reply_markup["inline_keyboard"][0][0]["callback_data"].startswith("pl:a:")
    assert tg.writes == writes  # a plan waiting for ✅, nothing written
    campaigns = await tg.runtime.meta.list_campaigns("act_100200300400")
    assert next(c.status for c in campaigns if c.name == "Имплантация Москва") == "ACTIVE"


async def test_forged_stale_and_foreign_buttons_are_refused(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Покажи расходы за неделю")
    message = _with_buttons(tg, DEMO_CHAT)
    data = _buttons(message)["По дням"]
    turns = await _user_turns(tg)
    prefix, signature = data.rsplit(":", 1)
    forged = [prefix + ":" + ("A" if signature[0] != "A" else "B") + signature[1:],  # signature altered
              "qa:3:" + data.split(":")[2] + ":" + signature,  # another action under the same signature
              "qa:1:999999:" + signature, "qa:garbage"]
    for bad in forged:
        await tg.press(DEMO_CHAT, message.message_id, bad)
    assert await _user_turns(tg) == turns
    assert _alerts(tg) == [TEXTS["forged"]["ru"]] * len(forged)
    # The same, genuine data pressed in another person's chat: bound to this user and conversation.
    other_chat = new_chat()
    other, _ = await tg.runtime.users.create_user("quick-other")
    await tg.link(other_chat, other)
    await tg.say(other_chat, "Покажи расходы за неделю")
    await tg.processed(tg.standin.push_update(callback_update(other_chat, message.message_id, data)))
    assert _alerts(tg)[-1] == TEXTS["forged"]["ru"] and len(await _user_turns(tg, other_chat)) == 1
    # A newer answer makes the old buttons stale.
    await tg.say(DEMO_CHAT, "Покажи лиды за неделю")
    await tg.press(DEMO_CHAT, message.message_id, data)
    assert _alerts(tg)[-1] == TEXTS["forged"]["ru"] and len(await _user_turns(tg)) == len(turns) + 1


async def _last_call(tg: Telegram) -> tuple[str, dict]:  # type: ignore[type-arg]
    conv = await tg.runtime.conversations.get_or_create(user_id=(await tg.demo_user()).id, source="telegram",
                                                        telegram_chat_id=DEMO_CHAT)
    messages = await tg.runtime.conversations.load_messages(conv.id, 20)
    call = next(m.tool_calls[-1]["function"] for m in reversed(messages) if m.role == "assistant" and m.tool_calls)
    return call["name"], json.loads(call["arguments"])


async def test_every_quick_phrase_is_understood_in_both_languages(tg: Telegram) -> None:
    """No dead buttons: each phrase a button sends reaches the tool it promises (offline model, RU and EN)."""
    await tg.link(DEMO_CHAT)
    expected = {"by_day_text": ("getSpendReport", {"groupBy": "day"}), "chart_text": ("getSpendReport", {"groupBy": "day"}),
                "more_text": ("getSpendReport", {"groupBy": "campaign"}),
                "week_text": ("getCampaignDetails", {"period": "last_7d"}),
                "pause_text": ("pauseCampaign", {}), "budget_text": ("updateBudget", {})}
    for lang in ("ru", "en"):
        await tg.say(DEMO_CHAT, "Покажи расходы за неделю", language_code=lang)
        await tg.say(DEMO_CHAT, TEXTS["yesterday_text"][lang], language_code=lang)
        name, args = await _last_call(tg)
        assert (name, args.get("period")) == ("getSpendReport", "yesterday"), lang
        for key, (tool, subset) in expected.items():
            target = "Москва 25-45" if key == "budget_text" else "Имплантация Москва"
            await tg.say(DEMO_CHAT, TEXTS[key][lang].format(name=target), language_code=lang)
            name, args = await _last_call(tg)
            assert name == tool and subset.items() <= args.items(), (lang, key, name, args)
            if tool in ("pauseCampaign", "updateBudget"):
                await tg.say(DEMO_CHAT, "нет" if lang == "ru" else "no", language_code=lang)  # a plan: declined

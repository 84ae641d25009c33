"""/history lists the journal of changes with ↩️ undo buttons; an undo is a new plan card, run like any plan."""

from __future__ import annotations

from tg_support import DEMO_CHAT, Telegram

from telegram_bot.standin import visible_text

PAUSE = "Останови кампанию Виниры СПб"


async def _status(tg: Telegram) -> str:
    campaigns = await tg.runtime.meta.list_campaigns("act_100200300400")
    return next(c.status for c in campaigns if c.name == "Виниры СПб")


async def test_history_lists_changes_and_undo_runs_through_a_plan_card(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "/history")
    assert visible_text(tg.standin.chat_messages(DEMO_CHAT)[-1].text or "") == "Я ещё ничего не менял."

    await tg.say(DEMO_CHAT, PAUSE)
    card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    assert card.reply_markup is not None
    await tg.press(DEMO_CHAT, card.message_id, card.reply_markup["inline_keyboard"][0][0]["callback_data"])
    assert await _status(tg) == "PAUSED"

    await tg.say(DEMO_CHAT, "/history")
    listing = tg.standin.chat_messages(DEMO_CHAT)[-1]
    shown = visible_text(listing.text or "")
    assert shown.startswith("Последние изменения:\n1. ") and "pauseCampaign «Виниры СПб»: ACTIVE → PAUSED" in shown
    assert listing.reply_markup is not None
    [[undo]] = listing.reply_markup["inline_keyboard"]
    assert undo["text"] == "↩️ Отменить 1" and len(undo["callback_data"].encode()) <= 64

    await tg.press(DEMO_CHAT, listing.message_id, undo["callback_data"])
    undo_card = tg.standin.chat_messages(DEMO_CHAT)[-1]
    shown = visible_text(undo_card.text or "")
    assert "Включить кампанию «Виниры СПб»" in shown and "на паузе → активна" in shown
    assert undo_card.reply_markup is not None
    assert await _status(tg) == "PAUSED"  # gated like any write
    await tg.press(DEMO_CHAT, undo_card.message_id, undo_card.reply_markup["inline_keyboard"][0][0]["callback_data"])
    assert await _status(tg) == "ACTIVE"

    await tg.press(DEMO_CHAT, listing.message_id, undo["callback_data"])  # the same undo again: refused
    assert "уже отменено" in visible_text(tg.standin.chat_messages(DEMO_CHAT)[-1].text or "")


async def test_recovery_tells_the_telegram_chat_where_the_plan_was_approved(tg: Telegram) -> None:
    from telegram_bot.recovery import TelegramRecoveryNotifier

    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, PAUSE)
    user = await tg.links.user_for_chat(DEMO_CHAT)
    assert user is not None
    conversation = await tg.runtime.conversations.get_or_create(user_id=user.id, source="telegram",
                                                                telegram_chat_id=DEMO_CHAT)
    plan = await tg.runtime.conversations.get_pending_plan(conversation.id)
    assert plan is not None and plan.source == "telegram"
    await TelegramRecoveryNotifier(tg.bot).plan_recovered(plan, "План выполнен <полностью>.")
    assert visible_text(tg.standin.chat_messages(DEMO_CHAT)[-1].text or "") == "План выполнен <полностью>."

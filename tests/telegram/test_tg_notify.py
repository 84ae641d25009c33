"""What the product starts itself reaches Telegram: a rule's plan with its buttons (approved like any
plan), a scheduled report with its chart."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from tg_support import DEMO_CHAT, Telegram

from agent_brain import clock
from agent_brain.automation.act import run_rules
from agent_brain.automation.reports import ReportScheduleSpec, create_schedule, send_due_reports
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RulesStore
from telegram_bot.notify import TelegramNotifier
from telegram_bot.standin import visible_text


async def _setup(tg: Telegram):  # type: ignore[no-untyped-def]
    user = await tg.link(DEMO_CHAT)
    await tg.runtime.conversations.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=DEMO_CHAT)
    async with tg.engine.connect() as conn:
        account = (await conn.execute(text("SELECT id FROM ad_accounts"))).scalar_one()
    return user, account


async def test_a_rules_plan_arrives_with_buttons_and_the_press_runs_it(tg: Telegram) -> None:
    user, account = await _setup(tg)
    ad_sets = [s for s in await tg.runtime.meta.list_ad_sets(account_id="act_100200300400") if s.status == "ACTIVE"]
    target = ad_sets[0]
    rule = await RulesStore(tg.engine).create(user.id, account, RuleSpec(
        name="Проверка", scope_level="adset", scope_ids=[target.id], metric="spend", operator=">", threshold=0,
        window_days=7, action="pause"))
    run = await run_rules(tg.engine, tg.runtime.meta, tg.runtime.conversations, only=[rule.id],
                          notify=TelegramNotifier(tg.runtime))
    assert run.outcomes == {"proposed": 1}
    messages = tg.standin.chat_messages(DEMO_CHAT)
    assert visible_text(messages[-2].text or "").startswith("⚙️ Правило «Проверка» сработало:")
    card = messages[-1]
    assert card.reply_markup is not None and target.name in visible_text(card.text or "")
    writes = tg.writes
    await tg.press(DEMO_CHAT, card.message_id, card.reply_markup["inline_keyboard"][0][0]["callback_data"])
    assert tg.writes == writes + 1
    assert {s.id: s.status for s in await tg.runtime.meta.list_ad_sets(account_id="act_100200300400")}[target.id] \
        == "PAUSED"


async def test_a_scheduled_report_arrives_with_its_chart(tg: Telegram) -> None:
    user, account = await _setup(tg)
    await create_schedule(tg.engine, user.id, account, ReportScheduleSpec("daily", 9))
    sent = await send_due_reports(tg.engine, tg.runtime.conversations, now=clock.now() + dt.timedelta(days=1),
                                  notify=TelegramNotifier(tg.runtime))
    assert sent == 1
    photo, report = tg.standin.chat_messages(DEMO_CHAT)[-2:]
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG")
    assert visible_text(report.text or "").startswith("📊 Отчёт за")

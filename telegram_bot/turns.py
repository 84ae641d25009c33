"""One user message in a Telegram chat → one orchestrator turn rendered into the chat.

The reply streams into one message; after it come, in this order, a chart of the turn's daily
series (if any), the buttons of a clarifying question's choices, then the approval card of a new
plan — or, when the message was a typed «да» / «нет» that decided an existing plan, that plan's
card loses its buttons and shows the outcome.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from aiogram import Bot
from aiogram.methods import SendPhoto
from aiogram.types import BufferedInputFile

from agent_brain.orchestrator.events import ApprovalRequired, Done, ToolResult
from agent_brain.orchestrator.orchestrator import TurnRequest
from agent_brain.stores.users import UserRecord
from telegram_bot import approvals, charts, choices, exports
from telegram_bot.deps import TelegramDeps
from telegram_bot.streamer import TelegramStreamer
from telegram_bot.texts import Lang

log = logging.getLogger(__name__)


async def run_turn(deps: TelegramDeps, bot: Bot, chat_id: int, user: UserRecord, text: str, lang: Lang,
                   *, in_group: bool = False) -> None:
    """`lang` is for the bot's own labels (card, chart); the reply's language is the orchestrator's choice.

    In a group the conversation never runs in auto mode: every write is a plan that the linked
    person (or someone they allowed) approves, so nothing is written as a side effect of a message.
    """
    if in_group:
        conversation = await deps.runtime.conversations.get_or_create(user_id=user.id, source="telegram",
                                                                     telegram_chat_id=chat_id)
        if conversation.mode == "auto":
            await deps.runtime.conversations.set_mode(conversation.id, "plan")
    request = TurnRequest(user_id=user.id, text=text, source="telegram", telegram_chat_id=chat_id)
    approval: ApprovalRequired | None = None
    decided_plan: str | None = None
    chart: dict[str, Any] | None = None
    export: dict[str, Any] | None = None
    options: list[dict[str, str]] = []
    outbox = deps.outboxes.get(bot, chat_id)
    async with TelegramStreamer(outbox) as streamer:
        async for event in deps.runtime.orchestrator.process(request):
            await streamer.feed(event)
            if isinstance(event, ApprovalRequired):
                approval = event
            elif isinstance(event, ToolResult) and event.success and charts.chartable(event.result):
                chart = event.result
            elif isinstance(event, ToolResult) and event.success and exports.exported(event.result):
                export = exports.exported(event.result)
            elif isinstance(event, Done) and event.plan_id:
                decided_plan = event.plan_id
            elif isinstance(event, Done) and event.choices:
                options = event.choices
    if chart is not None and deps.charts:
        await _send_chart(deps, bot, chat_id, user, chart, lang)
    if export is not None:
        await exports.send_export(deps, bot, chat_id, user, export)
    if options:
        await choices.send_card(deps.outboxes, bot, chat_id, options, lang)
    if approval is not None:
        await approvals.send_card(deps.runtime, deps.outboxes, bot, chat_id, uuid.UUID(approval.plan_id),
                                  approval.plan, lang)
    elif decided_plan is not None:
        await approvals.close_card_after_text_reply(deps.runtime, deps.outboxes, bot, chat_id,
                                                    uuid.UUID(decided_plan), user, streamer.text, lang)


async def _send_chart(deps: TelegramDeps, bot: Bot, chat_id: int, user: UserRecord, result: dict[str, Any],
                      language: Lang) -> None:
    accounts = await deps.runtime.users.ad_accounts(user.id)
    currency = accounts[0].currency if accounts else "USD"
    try:
        # Drawing takes ~100 ms of CPU: off the event loop, other chats keep streaming meanwhile.
        async with deps.chart_slots:
            png = await asyncio.to_thread(charts.render_png, result, language, currency)
    except Exception:  # the text reply is already there; a chart is an extra
        log.exception("chart rendering failed")
        return
    photo = BufferedInputFile(png, filename="chart.png")
    await deps.outboxes.get(bot, chat_id).call(lambda: SendPhoto(
        chat_id=chat_id, photo=photo, caption=charts.caption(result, language, currency)))

"""One user message in a Telegram chat → one orchestrator turn rendered into the chat.

The reply streams into one message; after it come, in this order, a chart of each series and
breakdown the turn used, quick-action buttons under the last of these messages, the buttons of a clarifying question's choices, then the approval card of a new
plan — or, when the message was a typed «да» / «нет» that decided an existing plan, that plan's
card loses its buttons and shows the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageReplyMarkup, SendPhoto
from aiogram.types import BufferedInputFile, Message

from agent_brain.orchestrator.events import ApprovalRequired, Done, ToolResult
from agent_brain.orchestrator.orchestrator import TurnRequest
from agent_brain.stores.users import UserRecord
from telegram_bot import approvals, charts, choices, exports, quick, stop
from telegram_bot.deps import TelegramDeps
from telegram_bot.streamer import TelegramStreamer
from telegram_bot.texts import Lang

log = logging.getLogger(__name__)

MAX_CHARTS = 4  # each is a message (≥ 1 s apart); more would bury the answer


async def run_turn(deps: TelegramDeps, bot: Bot, chat_id: int, user: UserRecord, text: str, lang: Lang,
                   *, in_group: bool = False) -> None:
    """`lang` is for the bot's own labels (card, chart); the reply's language is the orchestrator's choice.

    In a group the conversation never runs in auto mode: every write is a plan that the linked
    person (or someone they allowed) approves, so nothing is written as a side effect of a message.
    """
    conversation = await deps.runtime.conversations.get_or_create(user_id=user.id, source="telegram",
                                                                 telegram_chat_id=chat_id)
    if in_group and conversation.mode == "auto":
        await deps.runtime.conversations.set_mode(conversation.id, "plan")
    request = TurnRequest(user_id=user.id, text=text, source="telegram", telegram_chat_id=chat_id)
    approval: ApprovalRequired | None = None
    decided_plan: str | None = None
    charted: list[dict[str, Any]] = []  # every series and breakdown the answer used, in order
    export: dict[str, Any] | None = None
    options: list[dict[str, str]] = []
    outbox = deps.outboxes.get(bot, chat_id)
    # Watching starts first: it clears a stale /stop before the chat sees this turn begin.
    async with stop.watching(deps.runtime.engine, deps.runtime.orchestrator, chat_id, conversation.id), \
            TelegramStreamer(outbox, lang=lang) as streamer:
        async for event in deps.runtime.orchestrator.process(request):
            await streamer.feed(event)
            if isinstance(event, ApprovalRequired):
                approval = event
            elif isinstance(event, ToolResult) and event.success and charts.chartable(event.result):
                if event.result not in charted:
                    charted.append(event.result)
            elif isinstance(event, ToolResult) and event.success and exports.exported(event.result):
                export = exports.exported(event.result)
            elif isinstance(event, Done) and event.plan_id:
                decided_plan = event.plan_id
            elif isinstance(event, Done) and event.choices:
                options = event.choices
    last_message = streamer.message_ids[-1] if streamer.message_ids else None
    if deps.charts:
        for chart in charted[:MAX_CHARTS]:
            last_message = await _send_chart(deps, bot, chat_id, user, chart, lang) or last_message
    if export is not None:
        await exports.send_export(deps, bot, chat_id, user, export)
    if approval is None and decided_plan is None and not options and last_message is not None:
        await _offer_quick_actions(deps, bot, chat_id, user, lang, last_message)
    if options:
        await choices.send_card(deps.outboxes, bot, chat_id, options, lang)
    if approval is not None:
        # The engine's own announcement of the plan (it starts with 📋) becomes the card itself:
        # one plan, shown once, in words, with ✅/❌. Prose of a model stays, the card follows it.
        only_announced = streamer.text.lstrip().startswith("📋") and len(streamer.message_ids) == 1 and not charted
        await approvals.send_card(deps.runtime, deps.outboxes, bot, chat_id, uuid.UUID(approval.plan_id),
                                  approval.plan, lang, replace=streamer.message_ids[0] if only_announced else None)
    elif decided_plan is not None:
        await approvals.close_card_after_text_reply(deps.runtime, deps.outboxes, bot, chat_id,
                                                    uuid.UUID(decided_plan), user, streamer.text, lang)


async def _offer_quick_actions(deps: TelegramDeps, bot: Bot, chat_id: int, user: UserRecord, lang: Lang,
                               message_id: int) -> None:
    """Buttons for the likely next question under the answer's last message (its chart, if any)."""
    conversation = await deps.runtime.conversations.get_or_create(user_id=user.id, source="telegram",
                                                                 telegram_chat_id=chat_id)
    turn = quick.last_turn(await deps.runtime.conversations.load_messages(conversation.id, limit=40))
    actions = quick.actions_for(turn.results, lang) if turn is not None else []
    if turn is None or not actions:
        return
    markup = deps.quick.keyboard(actions, user_id=user.id, conversation_id=conversation.id, chat_id=chat_id,
                                 answer_id=turn.answer_id)
    with contextlib.suppress(TelegramBadRequest):  # the user deleted the message meanwhile: no buttons
        await deps.outboxes.get(bot, chat_id).call(lambda: EditMessageReplyMarkup(
            chat_id=chat_id, message_id=message_id, reply_markup=markup))


async def _send_chart(deps: TelegramDeps, bot: Bot, chat_id: int, user: UserRecord, result: dict[str, Any],
                      language: Lang) -> int | None:
    accounts = await deps.runtime.users.ad_accounts(user.id)
    currency = accounts[0].currency if accounts else "USD"
    try:
        # Drawing takes ~100 ms of CPU: off the event loop, other chats keep streaming meanwhile.
        async with deps.chart_slots:
            png = await asyncio.to_thread(charts.render, result, language, currency)
    except Exception:  # the text reply is already there; a chart is an extra
        log.exception("chart rendering failed")
        return None
    photo = BufferedInputFile(png, filename="chart.png")
    sent = await deps.outboxes.get(bot, chat_id).call(lambda: SendPhoto(
        chat_id=chat_id, photo=photo, caption=charts.chart_caption(result, language, currency)))
    return sent.message_id if isinstance(sent, Message) else None

"""Plans in Telegram: the approval card with ✅/❌ buttons, and what a press does.

callback_data is `pl:a:<plan uuid hex>` (approve) or `pl:r:<hex>` (reject): 37 bytes, within
Telegram's 64. The data only names a plan; whether the press may act on it is decided twice: the
presser must be a person who may act in the chat (`LinkedChatMiddleware`: the one who linked it, or
someone they allowed), and here the plan must belong to the chat's linked user and to that chat.
Executing goes through `Orchestrator.execute_plan`, whose state machine lets one caller win,
so a double press (or a press racing a typed «да») executes once.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from agent_brain import texts
from agent_brain.orchestrator.events import Error, Text
from agent_brain.plan_view import StepView, describe_steps
from agent_brain.runtime import Runtime
from agent_brain.stores.errors import ConversationNotFoundError, IllegalPlanTransitionError, PlanNotFoundError
from agent_brain.stores.records import PlanRecord, PlanStep
from agent_brain.stores.users import UserRecord
from telegram_bot.outbox import Outboxes
from telegram_bot.render import TEXT_LIMIT, escape, pack, text_lines
from telegram_bot.texts import Lang, plan_status, t

log = logging.getLogger(__name__)

_DATA = re.compile(r"^pl:([ar]):([0-9a-f]{32})$")


def callback_data(action: str, plan_id: uuid.UUID) -> str:
    return f"pl:{action}:{plan_id.hex}"


def parse_callback_data(data: str | None) -> tuple[str, uuid.UUID] | None:
    """(action, plan id) from well-formed data; None for anything else."""
    match = _DATA.match(data or "")
    return (match.group(1), uuid.UUID(hex=match.group(2))) if match else None


def keyboard(plan_id: uuid.UUID, lang: Lang) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=t(lang, "btn_approve"), callback_data=callback_data("a", plan_id)),
        InlineKeyboardButton(text=t(lang, "btn_reject"), callback_data=callback_data("r", plan_id)),
    ]])


def _step_line(n: int, step: dict[str, Any], lang: Lang, view: StepView | None) -> list[str]:
    """A step in words: the action, the object's name, before → after, the spend it affects."""
    mark = "⚠️ " if step.get("dangerous") else ""
    title = view.title if view is not None else texts.action(str(step.get("action")), lang)
    target = view.target if view is not None else None
    lines = [f"{n}. {mark}<b>{escape(title)}</b>" + (f" «{escape(target)}»" if target else "")]
    for change in view.changes if view is not None else []:
        before = f"{escape(change.before)} → " if change.before else ""
        lines.append(f"    {escape(change.label)}: {before}<b>{escape(change.after)}</b>")
    if view is not None and view.spend_per_day:
        lines.append(f"    💸 {escape(t(lang, 'plan_spend'))}: {escape(view.spend_per_day)}")
    return lines


def card_html(plan_json: dict[str, Any], lang: Lang, outcome: str | None = None,
              views: list[StepView] | None = None) -> str:
    """The plan in plain words (⚠️ on dangerous steps); with `outcome` (plain text), the result under them.

    `views` (from `plan_view.describe_steps`, read when the card is sent) add the object, before → after
    and the spend; without them each step still reads as an action, never as a tool's name."""
    lines = [t(lang, "plan_title_decided" if outcome else "plan_title"), ""]
    steps = plan_json.get("steps") or []
    for n, step in enumerate(steps, start=1):
        view = views[n - 1] if views is not None and n - 1 < len(views) else None
        lines.extend(_step_line(n, step, lang, view))
    if outcome:
        lines += ["", *text_lines(outcome)]
    parts = pack(lines, TEXT_LIMIT)
    return parts[0] if len(parts) == 1 else parts[0] + "\n…"


async def describe(runtime: Runtime, plan_id: uuid.UUID, plan_json: dict[str, Any], lang: Lang) -> list[StepView] | None:
    """Step views read now from the platform and the database; None if the plan can't be read."""
    try:
        plan = await runtime.conversations.get_plan(plan_id)
        ctx = await runtime.orchestrator.context_for(plan.user_id, language=lang,
                                                     conversation_id=plan.conversation_id)
        return await describe_steps([PlanStep.model_validate(s) for s in plan_json.get("steps") or []], ctx)
    except Exception:  # the card must go out even if the details can't be read
        log.warning("plan %s: steps could not be described", plan_id, exc_info=True)
        return None


async def send_card(runtime: Runtime, outboxes: Outboxes, bot: Bot, chat_id: int, plan_id: uuid.UUID,
                    plan_json: dict[str, Any], lang: Lang, *, replace: int | None = None) -> int | None:
    """Send the approval card and remember its message id on the plan (for editing it later).

    `replace`: a message of ours that only announced this plan becomes the card, so the plan is
    shown once."""
    views = await describe(runtime, plan_id, plan_json, lang)
    html, markup = card_html(plan_json, lang, views=views), keyboard(plan_id, lang)
    outbox = outboxes.get(bot, chat_id)
    message: Message | bool | None = None
    if replace is not None:
        with contextlib.suppress(TelegramBadRequest):  # deleted meanwhile: send the card afresh
            message = await outbox.call(lambda: EditMessageText(chat_id=chat_id, message_id=replace, text=html,
                                                                reply_markup=markup))
    if not isinstance(message, Message):
        message = await outbox.call(lambda: SendMessage(chat_id=chat_id, text=html, reply_markup=markup))
    if not isinstance(message, Message):
        return None
    await runtime.conversations.update_telegram_message_id(plan_id, message.message_id, chat_id)
    return message.message_id


async def close_card(outboxes: Outboxes, bot: Bot, chat_id: int, plan: PlanRecord, outcome: str, lang: Lang,
                     *, message_id: int | None = None, runtime: Runtime | None = None) -> None:
    """Show the outcome on the card and remove its buttons (an edit without reply_markup drops them).

    The steps keep their objects' names; before → after is left to the outcome (the state has moved)."""
    target = plan.telegram_message_id or message_id
    if target is None:
        return
    views = await describe(runtime, plan.id, plan.plan_json, lang) if runtime is not None else None
    named = [StepView(title=v.title, target=v.target, dangerous=v.dangerous) for v in views] if views else None
    await outboxes.get(bot, chat_id).call(lambda: EditMessageText(
        chat_id=chat_id, message_id=target, text=card_html(plan.plan_json, lang, outcome, views=named)))


async def close_card_after_text_reply(runtime: Runtime, outboxes: Outboxes, bot: Bot, chat_id: int,
                                      plan_id: uuid.UUID, user: UserRecord, outcome: str, lang: Lang) -> None:
    """A plan decided by a typed «да»/«нет»: its card must not keep live buttons."""
    try:
        plan = await runtime.conversations.get_plan(plan_id, user_id=user.id)
    except PlanNotFoundError:
        return
    if plan.telegram_chat_id == chat_id and plan.status not in ("pending", "approved"):
        await close_card(outboxes, bot, chat_id, plan, outcome, lang, runtime=runtime)


@dataclass(frozen=True)
class PressAnswer:
    """What answerCallbackQuery says."""

    text: str
    alert: bool = False


async def handle_press(runtime: Runtime, outboxes: Outboxes, bot: Bot, *, chat_id: int, message_id: int | None,
                       user: UserRecord, data: str | None, lang: Lang) -> PressAnswer:
    parsed = parse_callback_data(data)
    if parsed is None:
        return PressAnswer(t(lang, "cb_bad"), alert=True)
    action, plan_id = parsed
    try:
        plan = await runtime.conversations.get_plan(plan_id)
    except PlanNotFoundError:
        return PressAnswer(t(lang, "cb_not_found"), alert=True)
    if not await _owned_here(runtime, plan, user, chat_id):
        log.warning("chat %s pressed a button of plan %s it does not own", chat_id, plan_id)
        return PressAnswer(t(lang, "cb_not_yours"), alert=True)
    if plan.status not in ("pending", "approved"):
        return PressAnswer(t(lang, "cb_already", why=plan_status(lang, plan.status)))
    if action == "r":
        try:
            await runtime.orchestrator.reject_plan(user.id, plan_id, language=lang)
        except IllegalPlanTransitionError as exc:
            return PressAnswer(t(lang, "cb_already", why=plan_status(lang, exc.current)))
        await close_card(outboxes, bot, chat_id, plan, t(lang, "plan_rejected"), lang, message_id=message_id,
                         runtime=runtime)
        return PressAnswer(t(lang, "cb_rejected"))
    report: str | None = None
    async for event in runtime.orchestrator.execute_plan(user.id, plan_id, language=lang):
        if isinstance(event, Error):
            # Lost the race to another press (or a typed «да»): the winner edits the card.
            return PressAnswer(t(lang, "cb_already", why=event.message))
        if isinstance(event, Text):
            report = event.text
    await close_card(outboxes, bot, chat_id, plan, report or t(lang, "cb_done"), lang, message_id=message_id,
                     runtime=runtime)
    return PressAnswer(t(lang, "cb_done"))


async def _owned_here(runtime: Runtime, plan: PlanRecord, user: UserRecord, chat_id: int) -> bool:
    if plan.user_id != user.id:
        return False
    if plan.telegram_chat_id is not None:
        return plan.telegram_chat_id == chat_id
    try:
        conversation = await runtime.conversations.get_by_id(plan.conversation_id, user_id=user.id)
    except ConversationNotFoundError:
        return False
    return conversation.telegram_chat_id == chat_id

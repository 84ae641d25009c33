"""Presses on a handoff card: send the draft to the customer, or take the dialog over."""

from __future__ import annotations

import contextlib
import re

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import CallbackQuery, Message
from magic_filter import RegexpMode

from agent_brain.inbound.send import SendResult
from agent_brain.inbound.service import InboundService
from agent_brain.stores.users import UserRecord
from telegram_bot.deps import TelegramDeps
from telegram_bot.inbound import EDIT, EDIT_MARK, SEND, TAKE
from telegram_bot.texts import Lang

_REASONS = {"opted_out": ("клиент отписался", "the customer opted out"),
            "outside_window": ("прошло больше 24 часов с сообщения клиента — можно только шаблон",
                               "more than 24 hours since the customer wrote — only a template may go")}


def build_router() -> Router:
    router = Router(name="inbound")

    @router.callback_query(F.data.startswith(EDIT))
    async def edit(query: CallbackQuery, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        """Ask for the marketer's own text, as a reply to a prompt that names the customer message."""
        message = query.message
        assert message is not None and query.data is not None
        i = 0 if lang == "ru" else 1
        message_id = _id(query.data)
        chat_id = message.chat.id
        if await InboundService.for_runtime(deps.runtime).dialog_of(user.id, message_id) is None:
            text = ("Диалог не найден.", "Dialog not found.")[i]
        else:
            text = ("✏️ Напишите ответ клиенту ответом (reply) на это сообщение — он уйдёт как есть. {}{}",
                    "✏️ Write the reply to the customer as a reply to this message — it goes out as is. {}{}")[i] \
                .format(EDIT_MARK, message_id)
        await deps.outboxes.get(bot, chat_id).call(lambda: SendMessage(chat_id=chat_id, text=text))
        with contextlib.suppress(TelegramBadRequest):
            await query.answer()

    @router.message(F.reply_to_message.text.regexp(rf"{EDIT_MARK}(\d+)$", mode=RegexpMode.SEARCH).as_("mark"), F.text)
    async def edited(message: Message, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps,
                     mark: re.Match[str]) -> None:
        """The marketer's own reply to the customer: sent once, through the write path."""
        i = 0 if lang == "ru" else 1
        service = InboundService.for_runtime(deps.runtime)
        message_id, chat_id = int(mark.group(1)), message.chat.id
        writes = service.sender.writes.scoped(f"telegram:ib-edit:{message_id}", user_id=user.id,
                                              source="telegram", telegram_chat_id=chat_id,
                                              telegram_user_id=message.from_user.id if message.from_user else None)
        sent = await service.send_draft(user.id, message_id, writes=writes, text=message.text)
        answer = _outcome(sent, i)
        await deps.outboxes.get(bot, chat_id).call(lambda: SendMessage(chat_id=chat_id, text=answer))

    @router.callback_query(F.data.startswith(SEND) | F.data.startswith(TAKE))
    async def press(query: CallbackQuery, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        message = query.message
        assert message is not None and query.data is not None
        i = 0 if lang == "ru" else 1
        message_id = _id(query.data)
        service = InboundService.for_runtime(deps.runtime)
        chat_id = message.chat.id
        if query.data.startswith(TAKE):
            done = await service.take_over(user.id, message_id)
            answer = ("Диалог ваш: автоответы в нём выключены.", "The dialog is yours: no auto-replies in it.")[i] \
                if done else ("Диалог не найден.", "Dialog not found.")[i]
        else:
            writes = service.sender.writes.scoped(f"telegram:ib:{message_id}", user_id=user.id, source="telegram",
                                                  telegram_chat_id=chat_id,
                                                  telegram_user_id=query.from_user.id if query.from_user else None)
            sent = await service.send_draft(user.id, message_id, writes=writes)
            done = sent is not None and sent.status == "sent"
            answer = _outcome(sent, i)
        # The card shows the outcome; once acted on, its buttons go (an edit without reply_markup drops them).
        card = getattr(message, "html_text", None) or ""
        keep = None if done else getattr(message, "reply_markup", None)
        await deps.outboxes.get(bot, chat_id).call(lambda: EditMessageText(
            chat_id=chat_id, message_id=message.message_id, text=f"{card}\n\n{answer}"[:4096], reply_markup=keep))
        with contextlib.suppress(TelegramBadRequest):
            await query.answer(answer[:200])

    return router


def _id(data: str) -> int:
    try:
        return int(data[len(SEND):])  # every prefix has the same length
    except ValueError:
        return -1


def _outcome(sent: SendResult | None, i: int) -> str:
    if sent is None:
        return ("Черновика нет или диалог не найден.", "No draft, or the dialog was not found.")[i]
    if sent.status == "sent":
        return ("✅ Ответ отправлен клиенту.", "✅ The reply was sent to the customer.")[i]
    reason = _REASONS.get(sent.reason or "", (sent.reason or "", sent.reason or ""))[i]
    return ("❌ Не отправлено: {}", "❌ Not sent: {}")[i].format(reason)

"""Presses on a handoff card: send the draft to the customer, or take the dialog over."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText
from aiogram.types import CallbackQuery

from agent_brain.inbound.service import InboundService
from agent_brain.stores.users import UserRecord
from telegram_bot.deps import TelegramDeps
from telegram_bot.inbound import SEND, TAKE
from telegram_bot.texts import Lang

_REASONS = {"opted_out": ("клиент отписался", "the customer opted out"),
            "outside_window": ("прошло больше 24 часов с сообщения клиента — можно только шаблон",
                               "more than 24 hours since the customer wrote — only a template may go")}


def build_router() -> Router:
    router = Router(name="inbound")

    @router.callback_query(F.data.startswith(SEND) | F.data.startswith(TAKE))
    async def press(query: CallbackQuery, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        message = query.message
        assert message is not None and query.data is not None
        i = 0 if lang == "ru" else 1
        try:
            message_id = int(query.data[len(SEND):])
        except ValueError:
            message_id = -1
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
            if sent is None:
                answer = ("Черновика нет или диалог не найден.", "No draft, or the dialog was not found.")[i]
            elif done:
                answer = ("✅ Черновик отправлен клиенту.", "✅ The draft was sent to the customer.")[i]
            else:
                reason = _REASONS.get(sent.reason or "", (sent.reason or "", sent.reason or ""))[i]
                answer = ("❌ Не отправлено: {}", "❌ Not sent: {}")[i].format(reason)
        # The card shows the outcome; once acted on, its buttons go (an edit without reply_markup drops them).
        card = getattr(message, "html_text", None) or ""
        keep = None if done else getattr(message, "reply_markup", None)
        await deps.outboxes.get(bot, chat_id).call(lambda: EditMessageText(
            chat_id=chat_id, message_id=message.message_id, text=f"{card}\n\n{answer}"[:4096], reply_markup=keep))
        with contextlib.suppress(TelegramBadRequest):
            await query.answer(answer[:200])

    return router

"""/history (the journal of changes) and its ↩️ undo buttons (linked chats only).

/history lists the user's latest platform writes; each reversible one carries a button that
proposes undoing it. The proposal is an ordinary plan with the usual ✅ / ❌ card, checked and run
like any other plan.
"""

from __future__ import annotations

import contextlib
import uuid

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from agent_brain.journal.history import describe
from agent_brain.journal.store import ActionJournal
from agent_brain.journal.undo import INVERSES, propose_undo
from agent_brain.stores.users import UserRecord
from telegram_bot.approvals import send_card
from telegram_bot.deps import TelegramDeps
from telegram_bot.render import escape
from telegram_bot.texts import Lang

SHOWN = 10
UNDO_PREFIX = "u:"  # callback data: "u:<action id hex>" (34 bytes, within Telegram's 64)


def undo_keyboard(action_ids: list[tuple[int, uuid.UUID]], lang: Lang) -> InlineKeyboardMarkup | None:
    label = "↩️ Отменить" if lang == "ru" else "↩️ Undo"
    rows = [[InlineKeyboardButton(text=f"{label} {n}", callback_data=f"{UNDO_PREFIX}{action_id.hex}")]
            for n, action_id in action_ids]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def build_router() -> Router:
    router = Router(name="history")

    @router.message(Command("history"))
    async def history(message: Message, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        actions = await ActionJournal(deps.runtime.engine).list(user.id, limit=SHOWN)
        if not actions:
            await message.answer("Я ещё ничего не менял." if lang == "ru" else "I have not changed anything yet.")
            return
        timezone = await _timezone(deps, user)
        lines = ["<b>" + ("Последние изменения:" if lang == "ru" else "Latest changes:") + "</b>"]
        undoable: list[tuple[int, uuid.UUID]] = []
        for n, action in enumerate(actions, 1):
            parts = describe(action, lang, timezone)
            lines.append(f"{n}. {escape(parts['name'])}: {escape(parts['change'])} — {escape(parts['outcome'])}")
            if (action.reversible and action.tool in INVERSES and action.reverts_action_id is None
                    and action.status in ("verified", "unverified")):
                undoable.append((n, action.id))
        await message.answer("\n".join(lines), reply_markup=undo_keyboard(undoable, lang))

    @router.callback_query(F.data.startswith(UNDO_PREFIX))
    async def undo(query: CallbackQuery, bot: Bot, user: UserRecord, lang: Lang, deps: TelegramDeps) -> None:
        message = query.message
        assert message is not None
        try:
            action_id = uuid.UUID(hex=(query.data or "")[len(UNDO_PREFIX):])
        except ValueError:
            action_id = None
        text = "?"
        if action_id is not None:
            conversation = await deps.runtime.conversations.get_or_create(
                user_id=user.id, source="telegram", telegram_chat_id=message.chat.id)
            proposal = await propose_undo(engine=deps.runtime.engine, meta=deps.runtime.orchestrator.router,
                                          store=deps.runtime.conversations, user_id=user.id, language=lang,
                                          action_id=action_id, conversation_id=conversation.id, source="telegram",
                                          telegram_chat_id=message.chat.id)
            text = proposal.text
            if proposal.plan is not None:
                await send_card(deps.runtime, deps.outboxes, bot, message.chat.id, proposal.plan.id,
                                proposal.plan.plan_json, lang)
            else:
                await message.answer(escape(proposal.text))
        with contextlib.suppress(TelegramBadRequest):
            await query.answer(text[:200])

    return router


async def _timezone(deps: TelegramDeps, user: UserRecord) -> str:
    accounts = await deps.runtime.users.ad_accounts(user.id)
    return accounts[0].timezone if accounts else "UTC"

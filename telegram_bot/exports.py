"""A table export asked for in a Telegram chat («выгрузи в Excel») arrives as a document."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile

from agent_brain.exports import latest_table, render
from agent_brain.stores.users import UserRecord
from telegram_bot.deps import TelegramDeps

log = logging.getLogger(__name__)


def exported(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The `export` of an exportTable result, if this tool result is one."""
    export = (result or {}).get("export")
    return export if isinstance(export, dict) and export.get("format") in ("csv", "xlsx") else None


async def send_export(deps: TelegramDeps, bot: Bot, chat_id: int, user: UserRecord, export: dict[str, Any]) -> None:
    conversation = await deps.runtime.conversations.get_or_create(user_id=user.id, source="telegram",
                                                                  telegram_chat_id=chat_id)
    accounts = await deps.runtime.users.ad_accounts(user.id, conversation_id=conversation.id)
    table = await latest_table(deps.runtime.engine, user_id=user.id, conversation_id=conversation.id,
                               message_id=int(export["message_id"]),
                               currency=accounts[0].currency if accounts else "USD")
    if table is None:  # the text reply already said what happened; nothing to attach
        log.warning("export of message %s not found", export.get("message_id"))
        return
    content, _, name = render(table, export["format"])
    document = BufferedInputFile(content, filename=name)
    await deps.outboxes.get(bot, chat_id).call(lambda: SendDocument(chat_id=chat_id, document=document))

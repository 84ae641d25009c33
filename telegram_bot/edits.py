"""Edited messages: an edit of the user's newest message is answered again; an older one gets a note.

Telegram sends an edit as `edited_message` (same message_id, new text, no old text). Per chat the
newest user message taken as a turn is kept in `telegram_chat_state` (shared by every process and
kept across restarts), so "is this the last message?" has one answer whichever worker handles it.
The chat's updates are sequenced, so an edit that arrives while its message is being answered waits
for that answer and is then answered afresh. The new text goes through the same turn as a typed
message (same gating: writes stay plans where the mode says so).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from telegram_bot.texts import Lang

_REMEMBER = text("""
INSERT INTO telegram_chat_state (chat_id, last_message_id) VALUES (:chat_id, :message_id)
ON CONFLICT (chat_id) DO UPDATE
SET last_message_id = GREATEST(telegram_chat_state.last_message_id, EXCLUDED.last_message_id), updated_at = now()
""")
_LAST = text("SELECT last_message_id FROM telegram_chat_state WHERE chat_id = :chat_id")

TEXTS: dict[str, dict[Lang, str]] = {
    "reanswer": {"ru": "✏️ Вы изменили сообщение — отвечаю на новый текст.",
                 "en": "✏️ You edited your message — answering the new text."},
    "old_edit": {"ru": "✏️ Это сообщение уже не последнее: правку я не обрабатываю. "
                       "Если нужно, напишите вопрос заново.",
                 "en": "✏️ That message is no longer the latest, so I'm not acting on the edit. "
                       "Send the question again if you need it."},
    "command_edit": {"ru": "✏️ Правки команд не выполняются — отправьте команду заново.",
                     "en": "✏️ Edited commands are not run — send the command again."},
}


class ChatState:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def remember(self, chat_id: int, message_id: int) -> None:
        """Record a user message taken as a turn (never moves back to an older message)."""
        async with self.engine.begin() as conn:
            await conn.execute(_REMEMBER, {"chat_id": chat_id, "message_id": message_id})

    async def is_latest(self, chat_id: int, message_id: int) -> bool:
        async with self.engine.connect() as conn:
            last = (await conn.execute(_LAST, {"chat_id": chat_id})).scalar_one_or_none()
        return last is not None and message_id >= last

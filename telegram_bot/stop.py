"""/stop: end the chat's running turn, from any process.

The chat's updates are otherwise handled one at a time (and, from the webhook inbox, in order), so
/stop is let past both: the sequencer does not hold it behind the running turn, and the inbox
files it under no chat. The request is written to `telegram_chat_state`; the process running the
turn polls that row while the turn runs and asks its orchestrator to stop — at the next safe point,
never inside a platform write, the partial reply kept and marked — so it works whichever process
got the /stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.orchestrator.orchestrator import Orchestrator
from telegram_bot.texts import Lang

_REQUEST = text("""
INSERT INTO telegram_chat_state (chat_id, last_message_id, stop_requested_at) VALUES (:chat_id, 0, now())
ON CONFLICT (chat_id) DO UPDATE SET stop_requested_at = now()
""")
_TAKE = text("""
UPDATE telegram_chat_state SET stop_requested_at = NULL
WHERE chat_id = :chat_id AND stop_requested_at IS NOT NULL
RETURNING chat_id
""")

POLL_EVERY = 0.5

TEXTS: dict[str, dict[Lang, str]] = {
    "stopping": {"ru": "⏹ Останавливаю ответ…", "en": "⏹ Stopping the answer…"},
    "idle": {"ru": "Сейчас я ничего не делаю — останавливать нечего.", "en": "I'm not doing anything right now."},
}


def is_stop(update: Any) -> bool:
    """A /stop command (also /stop@bot_name) in a message update (aiogram Update or raw JSON)."""
    message = update.get("message") if isinstance(update, dict) else getattr(update, "message", None)
    body = message.get("text") if isinstance(message, dict) else getattr(message, "text", None)
    return isinstance(body, str) and body.split(maxsplit=1)[0].split("@")[0].lower() == "/stop" if body else False


async def request(engine: AsyncEngine, chat_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(_REQUEST, {"chat_id": chat_id})


async def take(engine: AsyncEngine, chat_id: int) -> bool:
    """Consume a pending stop request for the chat."""
    async with engine.begin() as conn:
        return (await conn.execute(_TAKE, {"chat_id": chat_id})).first() is not None


@contextlib.asynccontextmanager
async def watching(engine: AsyncEngine, orchestrator: Orchestrator, chat_id: int,
                   conversation_id: uuid.UUID) -> AsyncIterator[None]:
    """While the block runs (a turn), a /stop from any process stops the conversation's turn."""
    await take(engine, chat_id)  # a stale request (nothing was running) must not stop this turn

    async def poll() -> None:
        while True:
            await asyncio.sleep(POLL_EVERY)
            with contextlib.suppress(Exception):  # a database hiccup only delays the stop
                if await take(engine, chat_id) and not orchestrator.request_stop(conversation_id):
                    await request(engine, chat_id)  # the turn has not started yet: keep it for the next poll

    task = asyncio.create_task(poll())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

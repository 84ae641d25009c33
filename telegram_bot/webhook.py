"""POST /telegram/webhook for the web app (FastAPI; aiogram's aiohttp webhook server is not used).

- The `X-Telegram-Bot-Api-Secret-Token` header must equal TELEGRAM_WEBHOOK_SECRET (constant-time
  compare); otherwise 401 and nothing is processed. Without a configured secret the router
  refuses to be built: an open webhook would let anyone post updates as any chat.
- The update is processed before the 200 is sent. aiogram's stock handler answers first and
  handles in the background, so an update is lost if the process dies meanwhile; Telegram
  re-delivers on any non-2xx, which is the retry we want.
- Re-deliveries are dropped by `update_id`. The memory of seen ids is an in-process LRU: right
  for one process; several workers behind one webhook would need a shared store (e.g. a table).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, FastAPI, Header, HTTPException, Request
from pydantic import ValidationError

from agent_brain.config import Settings
from agent_brain.observability import metrics
from agent_brain.observability.logs import turn_scope
from agent_brain.runtime import Runtime
from telegram_bot.bot import build_bot, build_dispatcher, set_commands

log = logging.getLogger(__name__)

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token


class WebhookNotConfiguredError(RuntimeError):
    pass


class SeenUpdates:
    """The last `size` update ids: claim before processing, release if processing failed."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def claim(self, update_id: int) -> bool:
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def release(self, update_id: int) -> None:
        self._ids.pop(update_id, None)


def webhook_secret(settings: Settings) -> str:
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    if not secret:
        raise WebhookNotConfiguredError("webhook mode needs TELEGRAM_WEBHOOK_SECRET (1–256 of A-Z a-z 0-9 _ -)")
    if not _SECRET.match(secret):
        raise WebhookNotConfiguredError("TELEGRAM_WEBHOOK_SECRET may only contain A-Z a-z 0-9 _ - (1–256)")
    return secret


def build_webhook_router(settings: Settings, *, runtime: Runtime | None = None, bot: Bot | None = None,
                         dispatcher: Dispatcher | None = None, seen: SeenUpdates | None = None) -> APIRouter:
    """The webhook route. `runtime` defaults to the app's `app.state.runtime` (set by its lifespan).

    Raises:
        WebhookNotConfiguredError: no (or an invalid) TELEGRAM_WEBHOOK_SECRET, or no bot token.
    """
    secret = webhook_secret(settings).encode()
    the_bot = bot or build_bot(settings)
    seen = seen or SeenUpdates()
    dispatchers: dict[str, Dispatcher] = {"built": dispatcher} if dispatcher is not None else {}

    def dispatcher_for(request: Request) -> Dispatcher:
        if "built" not in dispatchers:
            dispatchers["built"] = build_dispatcher(runtime or request.app.state.runtime)
        return dispatchers["built"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await set_commands(the_bot)
        except Exception:  # the menu is cosmetic; updates must still be served
            log.exception("Telegram setMyCommands failed")
        try:
            yield
        finally:
            await the_bot.session.close()

    router = APIRouter(prefix="/telegram", tags=["telegram"], lifespan=lifespan)

    @router.post("/webhook")
    async def telegram_webhook(
        request: Request,
        token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
    ) -> dict[str, Any]:
        if token is None or not secrets.compare_digest(token.encode(), secret):
            metrics.WEBHOOK_DELIVERIES.labels("telegram", "unauthorized").inc()
            raise HTTPException(status_code=401, detail="bad secret token")
        try:
            update = Update.model_validate(await request.json(), context={"bot": the_bot})
        except (ValueError, ValidationError) as exc:
            metrics.WEBHOOK_DELIVERIES.labels("telegram", "invalid").inc()
            raise HTTPException(status_code=400, detail="not a Telegram update") from exc
        if not seen.claim(update.update_id):
            metrics.WEBHOOK_DELIVERIES.labels("telegram", "duplicate").inc()
            return {"ok": True, "duplicate": True}
        try:
            with turn_scope(kind="update"):
                await dispatcher_for(request).feed_update(the_bot, update)
        except Exception:
            # Handler errors are caught by the errors router; reaching here is a crash of the
            # pipeline itself. Let Telegram re-deliver.
            seen.release(update.update_id)
            log.exception("webhook update %s failed", update.update_id)
            metrics.WEBHOOK_DELIVERIES.labels("telegram", "failed").inc()
            raise HTTPException(status_code=500, detail="update failed") from None
        metrics.WEBHOOK_DELIVERIES.labels("telegram", "handled").inc()
        return {"ok": True}

    return router

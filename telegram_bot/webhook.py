"""POST /telegram/webhook for the web app (FastAPI; aiogram's aiohttp webhook server is not used).

- The `X-Telegram-Bot-Api-Secret-Token` header must equal TELEGRAM_WEBHOOK_SECRET (constant-time
  compare); otherwise 401 and nothing is stored. Without a configured secret the router refuses to
  be built: an open webhook would let anyone post updates as any chat.
- The update is stored in the durable inbox (`telegram_bot.inbox`) before the 200 and processed
  from there by the inbox worker of any web process: Telegram gets its answer in milliseconds
  (a slow answer invites re-delivery), nothing acknowledged is lost if the process dies, a
  re-delivered `update_id` is dropped by the table's primary key, and a chat's updates are handled
  in `update_id` order across workers. If storing fails the route answers 500 and Telegram retries.
- `set_webhook` / `delete_webhook` register the route with Telegram (`agent-brain telegram …`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from agent_brain.config import Settings
from agent_brain.observability import metrics
from agent_brain.observability.logs import turn_scope
from agent_brain.runtime import Runtime
from telegram_bot.bot import build_bot, build_dispatcher, set_commands
from telegram_bot.inbox import InboxWorker, WebhookInbox

log = logging.getLogger(__name__)

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


class WebhookNotConfiguredError(RuntimeError):
    pass


@dataclass
class WebhookHub:
    """The route's inbox and the worker draining it (built by the router's lifespan, or by a test)."""

    worker_options: dict[str, Any] = field(default_factory=dict)
    inbox: WebhookInbox | None = None
    worker: InboxWorker | None = None
    task: asyncio.Task[None] | None = None


def webhook_secret(settings: Settings) -> str:
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    if not secret:
        raise WebhookNotConfiguredError("webhook mode needs TELEGRAM_WEBHOOK_SECRET (1–256 of A-Z a-z 0-9 _ -)")
    if not _SECRET.match(secret):
        raise WebhookNotConfiguredError("TELEGRAM_WEBHOOK_SECRET may only contain A-Z a-z 0-9 _ - (1–256)")
    return secret


def build_webhook_router(settings: Settings, *, runtime: Runtime | None = None, bot: Bot | None = None,
                         dispatcher: Dispatcher | None = None, hub: WebhookHub | None = None) -> APIRouter:
    """The webhook route. `runtime` defaults to the app's `app.state.runtime` (set by its lifespan).

    Raises:
        WebhookNotConfiguredError: no (or an invalid) TELEGRAM_WEBHOOK_SECRET, or no bot token.
    """
    secret = webhook_secret(settings).encode()
    the_bot = bot or build_bot(settings)
    hub = hub if hub is not None else WebhookHub()
    dispatchers: dict[str, Dispatcher] = {"built": dispatcher} if dispatcher is not None else {}

    def runtime_of(app: Any) -> Runtime:
        return runtime or app.state.runtime

    def inbox_of(app: Any) -> WebhookInbox:
        if hub.inbox is None:
            hub.inbox = WebhookInbox(runtime_of(app).engine)
        return hub.inbox

    def start_worker(app: Any) -> None:
        if "built" not in dispatchers:
            dispatchers["built"] = build_dispatcher(runtime_of(app))
        the_dispatcher = dispatchers["built"]

        async def process(payload: dict[str, Any]) -> None:
            update = Update.model_validate(payload, context={"bot": the_bot})
            with turn_scope(kind="update"):
                await the_dispatcher.feed_update(the_bot, update)

        hub.worker = InboxWorker(inbox_of(app), process, **hub.worker_options)
        hub.task = asyncio.create_task(hub.worker.run(), name="telegram-inbox")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await set_commands(the_bot)
        except Exception:  # the menu is cosmetic; updates must still be served
            log.exception("Telegram setMyCommands failed")
        start_worker(app)
        try:
            yield
        finally:
            if hub.task is not None:
                hub.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await hub.task
            await the_bot.session.close()

    router = APIRouter(prefix="/telegram", tags=["telegram"], lifespan=lifespan)

    @router.post("/webhook")
    async def telegram_webhook(
        request: Request,
        token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
    ) -> JSONResponse:
        if token is None or not secrets.compare_digest(token.encode(), secret):
            # Said plainly (the app's generic 401 talks about API tokens, which this is not).
            metrics.WEBHOOK_DELIVERIES.labels("telegram", "unauthorized").inc()
            return _refuse(401, "bad_webhook_secret",
                           "X-Telegram-Bot-Api-Secret-Token is missing or does not match TELEGRAM_WEBHOOK_SECRET")
        try:
            payload = await request.json()
            update = Update.model_validate(payload, context={"bot": the_bot})
        except (ValueError, ValidationError):
            metrics.WEBHOOK_DELIVERIES.labels("telegram", "invalid").inc()
            return _refuse(400, "not_an_update", "the body is not a Telegram Update")
        try:
            stored = await inbox_of(request.app).put(update.update_id, payload)
        except Exception:
            log.exception("webhook update %s could not be stored", update.update_id)
            metrics.WEBHOOK_DELIVERIES.labels("telegram", "failed").inc()
            return _refuse(500, "not_stored", "the update could not be stored; Telegram will deliver it again")
        if hub.worker is not None:
            hub.worker.wake()
        metrics.WEBHOOK_DELIVERIES.labels("telegram", "handled" if stored else "duplicate").inc()
        return JSONResponse({"ok": True} if stored else {"ok": True, "duplicate": True})

    return router


def _refuse(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": {"code": code, "message": message}}, status_code=status)


async def set_webhook(bot: Bot, url: str, secret: str, *, drop_pending: bool = False) -> None:
    """Register `url` with Telegram, with the secret it must echo in every request."""
    await bot.set_webhook(url=url, secret_token=secret, drop_pending_updates=drop_pending,
                          allowed_updates=ALLOWED_UPDATES)


async def delete_webhook(bot: Bot, *, drop_pending: bool = False) -> None:
    await bot.delete_webhook(drop_pending_updates=drop_pending)

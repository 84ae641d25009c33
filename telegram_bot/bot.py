"""Assembling the bot: Bot (token, Bot API server), Dispatcher (routers, dependencies), polling.

Polling runs inside `agent-brain serve` as a background task when TELEGRAM_BOT_TOKEN is set and
no TELEGRAM_WEBHOOK_SECRET is: with a secret, updates arrive at the web app's
POST /telegram/webhook instead (see `telegram_bot.webhook`) and polling would conflict with it.
With several processes (`serve --workers N`) exactly one polls: the holder of a PostgreSQL advisory
lock (`agent_brain.db.leader`); the others stand by and take over if it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand, BotCommandScopeDefault

from agent_brain.config import Settings
from agent_brain.db.leader import run_as_leader
from agent_brain.runtime import Runtime
from telegram_bot.deps import TelegramDeps
from telegram_bot.handlers import (
    approvals,
    chat,
    choices,
    commands,
    edits,
    errors,
    history,
    inbound,
    photos,
    quick,
    start,
    stop,
)
from telegram_bot.middleware import ChatSequencer, LinkedChatMiddleware
from telegram_bot.outbox import Pacing

log = logging.getLogger(__name__)

COMMANDS: dict[str | None, list[tuple[str, str]]] = {
    "ru": [("status", "Статус: режим, история, план, Facebook API"), ("mode", "Режим: auto | plan | ask"),
           ("clear", "Очистить историю диалога"), ("allow", "Разрешить человеку действовать в чате"),
           ("deny", "Убрать разрешение"), ("help", "Справка"),
           ("stop", "Остановить ответ")],
    "en": [("status", "Status: mode, history, plan, Facebook API"), ("mode", "Mode: auto | plan | ask"),
           ("clear", "Clear the conversation history"), ("allow", "Let a person act in this chat"),
           ("deny", "Take that permission back"), ("help", "Help"),
           ("stop", "Stop the answer")],
}
COMMANDS[None] = COMMANDS["en"]  # clients in any other language


# The advisory lock whose holder is the one process polling Telegram.
POLLING_LOCK = "agent-brain:telegram-polling"


class TelegramNotConfiguredError(RuntimeError):
    pass


def build_bot(settings: Settings, *, session: BaseSession | None = None) -> Bot:
    """A Bot for TELEGRAM_BOT_TOKEN, talking to TELEGRAM_API_BASE when set (a local Bot API server)."""
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        raise TelegramNotConfiguredError("TELEGRAM_BOT_TOKEN is not set")
    if session is None and settings.telegram_api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(token, session=session,
               default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True))


def build_dispatcher(runtime: Runtime, *, pacing: Pacing | None = None, charts: bool = True) -> Dispatcher:
    deps = TelegramDeps(runtime, pacing=pacing or Pacing(), charts=charts)
    dispatcher = Dispatcher(deps=deps)
    dispatcher.update.outer_middleware(ChatSequencer())  # before anything awaits: arrival order per chat
    linked = Router(name="linked")
    linked.message.middleware(LinkedChatMiddleware())
    linked.callback_query.middleware(LinkedChatMiddleware())
    linked.edited_message.middleware(LinkedChatMiddleware())
    # history before commands (its catch-all for unknown commands) and approvals (every other press).
    linked.include_routers(stop.build_router(), history.build_router(), commands.build_router(),
                           choices.build_router(), quick.build_router(), inbound.build_router(),
                           approvals.build_router(), edits.build_router(), photos.build_router(),
                           chat.build_router())
    dispatcher.include_routers(start.build_router(), linked, errors.build_router())
    dispatcher.startup.register(set_commands)
    return dispatcher


async def set_commands(bot: Bot) -> None:
    """The command menu, in Russian for Russian clients and in English otherwise."""
    for language, items in COMMANDS.items():
        await bot.set_my_commands([BotCommand(command=c, description=d) for c, d in items],
                                  scope=BotCommandScopeDefault(), language_code=language)


async def run_polling(runtime: Runtime, *, bot: Bot | None = None, dispatcher: Dispatcher | None = None,
                      polling_timeout: int = 30) -> None:
    """Long-poll until cancelled. Closes the bot's HTTP session on the way out."""
    bot = bot or build_bot(runtime.settings)
    dispatcher = dispatcher or build_dispatcher(runtime)
    # getUpdates is refused (409) while a webhook is registered, e.g. after switching modes.
    await bot.delete_webhook(drop_pending_updates=False)
    await dispatcher.start_polling(bot, polling_timeout=polling_timeout, handle_signals=False,
                                   close_bot_session=True, tasks_concurrency_limit=256)


def start_polling_task(runtime: Runtime) -> asyncio.Task[None] | None:
    """For `agent-brain serve`: poll in the background if a token is set and no webhook is configured."""
    settings = runtime.settings
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        return None
    if settings.telegram_webhook_secret is not None and settings.telegram_webhook_secret.get_secret_value():
        log.info("Telegram: webhook mode (TELEGRAM_WEBHOOK_SECRET is set): updates arrive at POST /telegram/webhook")
        return None
    task = asyncio.create_task(run_as_leader(runtime.engine, POLLING_LOCK, lambda: _poll_forever(runtime)),
                               name="telegram-polling")
    log.info("Telegram: polling (in the one process holding the polling lock)")
    return task


async def stop_polling_task(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _poll_forever(runtime: Runtime) -> None:
    try:
        await run_polling(runtime)
    except asyncio.CancelledError:
        raise
    except Exception:  # the web app keeps serving; the operator sees why the bot is down
        log.exception("Telegram polling stopped")

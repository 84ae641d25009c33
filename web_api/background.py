"""What each `serve` process runs beside the web app: recovery sweeps, a job-queue worker, and the Telegram
poller (which runs in one process only: the holder of its PostgreSQL lock, see `agent_brain.db.leader`).

Used by the single-process `serve` (started once the port listens) and by every worker process of
`serve --workers N` (in the app's lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from agent_brain.config import Settings
from agent_brain.runtime import Runtime


@asynccontextmanager
async def background_services(settings: Settings, runtime: Runtime, *, name: str) -> AsyncIterator[None]:
    # ── Telegram bot: polls in the background while the web server runs (TELEGRAM_BOT_TOKEN set,
    # no TELEGRAM_WEBHOOK_SECRET; with a secret the web app's POST /telegram/webhook serves it). ──
    # aiogram takes seconds to import: only when a bot token is set.
    uses_telegram = settings.telegram_bot_token is not None and bool(settings.telegram_bot_token.get_secret_value())
    telegram = None
    notifiers: list[Any] = []
    if uses_telegram:
        from telegram_bot.bot import start_polling_task
        from telegram_bot.recovery import recovery_notifiers

        telegram = start_polling_task(runtime)
        notifiers = recovery_notifiers(settings)
    # Recovery: work a dead process left (plans `executing`, writes in flight, leases) is
    # settled at start-up and then every few seconds (concurrent sweepers are safe).
    from agent_brain.jobs.queue import open_queue, services_for, start_worker_task
    from agent_brain.journal.recovery import recovery_loop

    recovery = asyncio.create_task(recovery_loop(runtime.engine, runtime.orchestrator.router, store=runtime.conversations,
                                                 notifiers=notifiers))
    # Background jobs (metrics sync, rules, reports, alerts, housekeeping): one worker in this process;
    # more with `agent-brain worker`. Periodic jobs run once per slot across all of them.
    try:
        async with open_queue(runtime.engine.url.render_as_string(hide_password=False)) as queue:
            worker = start_worker_task(queue, services_for(runtime), name=name)
            try:
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
    finally:
        recovery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await recovery
        for notifier in notifiers:
            await notifier.bot.session.close()
        if telegram is not None:
            from telegram_bot.bot import stop_polling_task

            await stop_polling_task(telegram)

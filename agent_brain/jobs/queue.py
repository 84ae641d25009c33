"""The job queue: procrastinate over our own PostgreSQL (its schema comes with `agent-brain migrate`).

`serve` runs one worker in-process; `agent-brain worker` runs more, on any machine that reaches
the database. Nothing lives in a process that other processes cannot see: jobs, locks, periodic
slots and worker heartbeats are rows in PostgreSQL. A worker that dies mid-job leaves its job
`doing` with a stale heartbeat; `retry_stalled_jobs` (every minute, on whichever worker gets the
slot) puts it back in the queue, and every task is safe to run again (upserts, idempotency keys).

procrastinate speaks psycopg 3, not asyncpg: the process holds two drivers over one DSN, each with
its own small pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import procrastinate
from procrastinate import JobContext

from agent_brain.inbound.jobs import blueprint as inbound_blueprint
from agent_brain.jobs.retention import RetentionPolicy
from agent_brain.jobs.tasks import NAMESPACE, JobServices, blueprint
from agent_brain.observability.metrics import job_middleware

if TYPE_CHECKING:
    from agent_brain.runtime import Runtime

log = logging.getLogger(__name__)

STALLED_AFTER_SECONDS = 60  # worker heartbeats are every 10 s


def procrastinate_dsn(database_url: str) -> str:
    """A libpq URI from our SQLAlchemy URL (`postgresql+asyncpg://…` → `postgresql://…`)."""
    scheme, rest = database_url.split("://", 1)
    if not scheme.startswith("postgres"):
        raise ValueError("not a PostgreSQL URL")
    return "postgresql://" + rest


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="retry_stalled_jobs", queue="housekeeping", pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Jobs whose worker stopped sending heartbeats go back to the queue (a dead worker loses nothing)."""
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    for job in stalled:
        await manager.retry_job(job)
    await manager.prune_stalled_workers(seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    if stalled:
        log.warning("requeued %d jobs of workers that stopped", len(stalled))
    return len(stalled)


def _build_app() -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector())
    app.add_tasks_from(blueprint, namespace=NAMESPACE)
    app.add_tasks_from(inbound_blueprint, namespace=NAMESPACE)
    return app


app = _build_app()  # tasks and schedules only; `open_queue` connects it to a database


@contextlib.asynccontextmanager
async def open_queue(database_url: str, *, max_connections: int = 4) -> AsyncIterator[procrastinate.App]:
    """The app, connected to this database for as long as the context lasts."""
    connector = procrastinate.PsycopgConnector(conninfo=procrastinate_dsn(database_url), min_size=1,
                                               max_size=max_connections)
    with app.replace_connector(connector):
        async with app.open_async():
            yield app


async def run_worker(queue: procrastinate.App, services: JobServices, *, name: str = "worker",
                     concurrency: int = 2, wait: bool = True, install_signal_handlers: bool = False) -> None:
    """Work the queue until cancelled (or, with `wait=False`, until it is empty)."""
    await queue.run_worker_async(
        name=name, concurrency=concurrency, wait=wait, install_signal_handlers=install_signal_handlers,
        additional_context={"services": services}, listen_notify=True, fetch_job_polling_interval=2.0,
        worker_middleware=[job_middleware],
    )


def services_for(runtime: Runtime) -> JobServices:
    async def execute_plan(user_id: uuid.UUID, plan_id: uuid.UUID) -> str:
        """Run an auto rule's plan through the orchestrator (the same executor as an approval)."""
        async for _event in runtime.orchestrator.execute_plan(user_id, plan_id):
            pass
        return (await runtime.conversations.get_plan(plan_id, user_id=user_id)).status

    from agent_brain.inbound.service import InboundService

    notify = handoff = None
    if runtime.settings.telegram_bot_token:  # rules' plans, reports and alerts reach Telegram too
        from telegram_bot.inbound import TelegramHandoffNotifier
        from telegram_bot.notify import TelegramNotifier

        notify = TelegramNotifier(runtime)
        handoff = TelegramHandoffNotifier(runtime)
    return JobServices(engine=runtime.engine, platforms={"meta": runtime.meta, **runtime.orchestrator.platforms},
                       store=runtime.conversations, execute_plan=execute_plan, notify=notify,
                       summary_model=runtime.orchestrator.small_model,
                       retention=RetentionPolicy.from_settings(runtime.settings),
                       inbound=InboundService.for_runtime(runtime, notify=handoff),
                       cipher=getattr(runtime.orchestrator, "cipher", None))


def start_worker_task(queue: procrastinate.App, services: JobServices, *, name: str) -> asyncio.Task[None]:
    """A worker in this process (what `serve` runs); cancel the task to stop it."""
    return asyncio.create_task(run_worker(queue, services, name=name), name=f"jobs-{name}")

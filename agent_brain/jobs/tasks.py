"""The background tasks: metrics sync per ad account and housekeeping, with their schedules.

Declared on a procrastinate `Blueprint` (no database needed to import them); `agent_brain.jobs.queue`
adds them to the app. Periodic slots are deferred once cluster-wide however many workers run
(procrastinate records each slot in `procrastinate_periodic_defers`); per-account work carries a
`queueing_lock` (one waiting job per account and kind) and a `lock` (never two at once).

Tasks reach the product through the worker's context (`context.additional_context["services"]`),
never through globals.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from procrastinate import Blueprint, JobContext
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.automation.act import ExecutePlan, Notify, run_rules
from agent_brain.automation.alerts import check_alerts
from agent_brain.automation.reports import send_due_reports
from agent_brain.automation.strategies import run_strategy_rules
from agent_brain.jobs.metrics_sync import SyncAccount, accounts_to_sync, sync_account
from agent_brain.jobs.retention import RetentionPolicy, enforce_retention
from agent_brain.llm.base import ChatModel
from agent_brain.memory.idle_summaries import summarise_idle
from agent_brain.platforms.base import PlatformAdapter
from agent_brain.platforms.write_safety import IdempotentExecutor
from agent_brain.stores.unified import UnifiedStore

log = logging.getLogger(__name__)
blueprint = Blueprint()
NAMESPACE = "agent_brain"  # task names in the queue: "agent_brain:<task>"


@dataclass(frozen=True)
class JobServices:
    """What tasks may use: the database, the platform adapters by name, and how to run or announce a plan."""

    engine: AsyncEngine
    platforms: dict[str, PlatformAdapter]
    store: UnifiedStore
    execute_plan: ExecutePlan | None = None  # auto-mode rules: the orchestrator's plan executor
    notify: Notify | None = None  # beyond the conversation (Telegram), when a bot is configured
    summary_model: ChatModel | None = None  # idle conversations' summaries (default: the offline model)
    retention: RetentionPolicy = RetentionPolicy()  # from RETENTION_*_DAYS (see jobs/retention.py)
    inbound: Any = None  # agent_brain.inbound.service.InboundService: webhook deliveries and replies
    cipher: Any = None  # agent_brain.security.TokenCipher: the accounts' own tokens for rules' reads


def services(context: JobContext) -> JobServices:
    return context.additional_context["services"]  # type: ignore[no-any-return]


# ── metrics sync ────────────────────────────────────────────────────────────────────────────


@blueprint.task(name="sync_account_metrics", queue="metrics", pass_context=True, retry=2)
async def sync_account_metrics(context: JobContext, *, account_id: str, external_id: str, timezone: str,
                               kind: str, platform: str = "meta", currency: str = "USD") -> dict[str, Any]:
    s = services(context)
    account = SyncAccount(id=uuid.UUID(account_id), external_id=external_id, timezone=timezone, currency=currency,
                          platform=platform)
    report = await sync_account(s.engine, s.platforms[platform], account, kind)  # type: ignore[arg-type]
    return {"rows": report.rows_upserted, "unmapped": report.ads_unmapped, "kind": report.kind,
            "from": report.date_from.isoformat(), "to": report.date_to.isoformat()}


async def defer_metrics_sync(context: JobContext, kind: str) -> int:
    """One sync job per linked account; an account that already has one waiting is skipped."""
    s = services(context)
    deferred = 0
    for platform in s.platforms:
        for account in await accounts_to_sync(s.engine, platform):
            job = context.app.configure_task(  # through the running app, whichever owns the task
                f"{NAMESPACE}:sync_account_metrics", queueing_lock=f"metrics:{account.id}:{kind}",
                lock=f"metrics:{account.id}")
            try:
                await job.defer_async(account_id=str(account.id), external_id=account.external_id,
                                      timezone=account.timezone, kind=kind, platform=platform,
                                      currency=account.currency)
                deferred += 1
            except AlreadyEnqueued:  # that account's sync of this kind is already waiting
                continue
    return deferred


@blueprint.periodic(cron="5 * * * *", periodic_id="recent")
@blueprint.task(name="schedule_recent_metrics_sync", queue="metrics", pass_context=True)
async def schedule_recent_metrics_sync(context: JobContext, timestamp: int) -> int:
    """Hourly: today's and yesterday's figures (a new account: its 90-day history)."""
    return await defer_metrics_sync(context, "recent")


@blueprint.periodic(cron="20 3 * * *", periodic_id="trailing")
@blueprint.task(name="schedule_trailing_metrics_sync", queue="metrics", pass_context=True)
async def schedule_trailing_metrics_sync(context: JobContext, timestamp: int) -> int:
    """Daily: the last 7 days again, for conversions the platform attributes late."""
    return await defer_metrics_sync(context, "trailing")


# ── automation rules ────────────────────────────────────────────────────────────────────────


@blueprint.periodic(cron="10 * * * *")
@blueprint.task(name="evaluate_rules", queue="rules", pass_context=True, lock="rules")
async def evaluate_rules(context: JobContext, timestamp: int) -> dict[str, Any]:
    """Hourly: every rule whose own schedule (every N hours) is due, in one set-based evaluation; then the
    optimizer and bandit rules that are due, each proposing its plan."""
    s = services(context)
    run = await run_rules(s.engine, s.platforms["meta"], s.store, execute_plan=s.execute_plan, notify=s.notify,
                          platforms=s.platforms, cipher=s.cipher)
    strategies = await run_strategy_rules(s.engine, s.platforms["meta"], s.store,  # type: ignore[arg-type]
                                          execute_plan=s.execute_plan, notify=s.notify)
    outcomes = dict(run.outcomes)
    for outcome, n in strategies.outcomes.items():
        outcomes[outcome] = outcomes.get(outcome, 0) + n
    return {"evaluated": run.evaluated + strategies.evaluated, "firings": run.firings, "outcomes": outcomes,
            "strategy_plans": len(strategies.plans)}


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="send_scheduled_reports", queue="rules", pass_context=True)
async def send_scheduled_reports(context: JobContext, timestamp: int) -> int:
    """Every minute: the reports whose local time has come (each claimed once across workers)."""
    s = services(context)
    return await send_due_reports(s.engine, s.store, notify=s.notify)


@blueprint.periodic(cron="15 * * * *")
@blueprint.task(name="check_alerts", queue="rules", pass_context=True, lock="alerts")
async def check_alerts_task(context: JobContext, timestamp: int) -> int:
    """Hourly: CPL over target, spend spikes, creative fatigue, no leads during working hours, token expiry."""
    s = services(context)
    return await check_alerts(s.engine, s.store, notify=s.notify, platform=s.platforms.get("meta"))  # type: ignore[arg-type]


# ── housekeeping ────────────────────────────────────────────────────────────────────────────


@blueprint.periodic(cron="*/5 * * * *")
@blueprint.task(name="housekeeping", queue="housekeeping", pass_context=True)
async def housekeeping(context: JobContext, timestamp: int) -> dict[str, int]:
    """Expire plans nobody approved in time; purge idempotency records past their 24 h."""
    s = services(context)
    expired = await s.store.expire_stale_plans()
    purged = await IdempotentExecutor(s.engine).purge_expired()
    if expired or purged:
        log.info("housekeeping: %d plans expired, %d idempotency records purged", expired, purged)
    return {"plans_expired": expired, "idempotency_purged": purged}


@blueprint.periodic(cron="*/15 * * * *")
@blueprint.task(name="summarise_idle_conversations", queue="housekeeping", pass_context=True, lock="summaries")
async def summarise_idle_conversations(context: JobContext, timestamp: int) -> dict[str, int]:
    """Every 15 minutes: summaries of conversations idle for 30 minutes whose summary is due, off the turn's path."""
    s = services(context)
    model = s.summary_model
    if model is None:
        from agent_brain.llm.offline import OfflineModel

        model = OfflineModel()
    run = await summarise_idle(s.engine, s.store, model)
    return {"due": run.due, "summarised": run.summarised}


@blueprint.periodic(cron="40 4 * * *")
@blueprint.task(name="enforce_retention", queue="housekeeping", pass_context=True, lock="retention")
async def enforce_retention_task(context: JobContext, timestamp: int) -> dict[str, int]:
    """Delete messages, runs, settled journal rows and inbound dialogs past their retention, in batches."""
    s = services(context)
    return await enforce_retention(s.engine, s.retention)

"""The process's Prometheus metrics (prometheus-client) and the few calls that feed them.

Counters and histograms are fed where things happen (turns, agents, tools, model rounds, platform
calls, jobs, webhook deliveries). Gauges of state that lives elsewhere — breakers, paused accounts,
plans by state, the job queue — are read when `/metrics` is scraped (`collect_state`), so they are
true for the whole cluster (database) or this process (breakers) at that moment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_SLOW = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160)

TURNS = Counter("agent_brain_turns", "Chat turns and plan runs handled, by transport and outcome "
                "(ok, or the error code: busy, empty, internal…)", ["source", "outcome"], registry=REGISTRY)
TURN_SECONDS = Histogram("agent_brain_turn_seconds", "Wall time of a turn, first byte to done",
                         ["source"], buckets=_SLOW, registry=REGISTRY)
AGENT_SECONDS = Histogram("agent_brain_agent_seconds", "Wall time of one agent's part of a turn",
                          ["agent", "status"], buckets=_SLOW, registry=REGISTRY)
TOOL_CALLS = Counter("agent_brain_tool_calls", "Tool calls run, by outcome (ok or the error code)",
                     ["tool", "outcome"], registry=REGISTRY)
TOOL_SECONDS = Histogram("agent_brain_tool_seconds", "Tool call latency", ["tool"], buckets=_FAST,
                         registry=REGISTRY)
MODEL_TOKENS = Counter("agent_brain_model_tokens", "Model tokens, by model and kind (prompt, completion)",
                       ["model", "kind"], registry=REGISTRY)
MODEL_COST = Counter("agent_brain_model_cost_usd", "Estimated model cost in USD (list prices of known models)",
                     ["model"], registry=REGISTRY)
PLATFORM_CALLS = Counter("agent_brain_platform_calls", "HTTP calls to ad platforms, by HTTP status and error "
                         "class (none when it succeeded)", ["platform", "method", "status", "error_class"],
                         registry=REGISTRY)
PLATFORM_SECONDS = Histogram("agent_brain_platform_call_seconds", "Ad platform HTTP call latency",
                             ["platform", "method"], buckets=_FAST, registry=REGISTRY)
BREAKER_OPEN = Gauge("agent_brain_breaker_state", "Circuit breaker state per platform (1 for the current one)",
                     ["platform", "state"], registry=REGISTRY)
ACCOUNT_PAUSED = Gauge("agent_brain_account_paused_seconds", "Seconds left of an ad account's rate-limit pause "
                       "(only paused accounts appear)", ["platform", "account"], registry=REGISTRY)
PLANS = Gauge("agent_brain_plans", "Plans by state (whole database)", ["state"], registry=REGISTRY)
JOBS = Counter("agent_brain_jobs", "Background jobs run in this process, by task and outcome",
               ["task", "outcome"], registry=REGISTRY)
JOB_SECONDS = Histogram("agent_brain_job_seconds", "Background job duration", ["task"], buckets=_SLOW,
                        registry=REGISTRY)
JOB_QUEUE = Gauge("agent_brain_job_queue", "Jobs in the queue by task and status (whole database)",
                  ["task", "status"], registry=REGISTRY)
WEBHOOK_DELIVERIES = Counter("agent_brain_webhook_deliveries", "Inbound webhook deliveries, by source and outcome",
                             ["source", "outcome"], registry=REGISTRY)

# USD per million tokens (prompt, completion), list prices; other models count tokens, not cost.
MODEL_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
}


def record_model_usage(model: str, prompt_tokens: int, completion_tokens: int) -> None:
    MODEL_TOKENS.labels(model, "prompt").inc(prompt_tokens)
    MODEL_TOKENS.labels(model, "completion").inc(completion_tokens)
    price = MODEL_PRICES.get(model) or next((p for name, p in MODEL_PRICES.items()
                                             if model.startswith(name + "-20")), None)
    if price is not None:
        MODEL_COST.labels(model).inc((prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000)


def status_class(status: int | None) -> str:
    """2xx / 4xx / 5xx, or `network` when no response came back."""
    return "network" if not status else f"{status // 100}xx"


@contextmanager
def timed(histogram: Histogram, *labels: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.labels(*labels).observe(time.perf_counter() - started)


async def collect_state(engine: AsyncEngine | None, breakers: list[object], throttles: list[object]) -> None:
    """Refresh the gauges of state held elsewhere; a database failure leaves those gauges as they were."""
    BREAKER_OPEN.clear()
    for status in breakers:
        for state in ("closed", "open", "half-open"):
            BREAKER_OPEN.labels(status.platform, state).set(1 if status.state == state else 0)  # type: ignore[attr-defined]
    ACCOUNT_PAUSED.clear()
    for platform, pause in throttles:  # type: ignore[misc]
        ACCOUNT_PAUSED.labels(platform, pause.account_id).set(round(pause.seconds_left, 1))
    if engine is None:
        return
    from agent_brain.db.models import PLAN_STATUSES, PendingPlan

    try:
        async with engine.connect() as conn:
            plans = dict((await conn.execute(select(PendingPlan.status, func.count())
                                             .group_by(PendingPlan.status))).all())
            jobs = (await conn.execute(text(
                "SELECT task_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2"))).all()
    except Exception:  # a scrape reports what it can
        log.warning("metrics: database state unavailable", exc_info=True)
        return
    for state in PLAN_STATUSES:
        PLANS.labels(state).set(plans.get(state, 0))
    JOB_QUEUE.clear()
    for task, status, count in jobs:
        JOB_QUEUE.labels(_task_label(task), status).set(count)


def _task_label(task_name: str) -> str:
    """`agent_brain:housekeeping` → `housekeeping` (procrastinate's own tasks keep their dotted tail)."""
    return task_name.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


def render() -> bytes:
    return generate_latest(REGISTRY)


async def job_middleware(call_next, context, worker):  # type: ignore[no-untyped-def]
    """procrastinate worker middleware: every job counted and timed by task, logged under a job id."""
    from agent_brain.observability.logs import turn_scope

    task = _task_label(context.job.task_name if context.job is not None else "unknown")
    outcome = "failed"
    started = time.perf_counter()
    with turn_scope(f"job-{context.job.id}" if context.job is not None else None, kind="job"):
        try:
            result = await call_next()
            outcome = "succeeded"
            return result
        finally:
            JOBS.labels(task, outcome).inc()
            JOB_SECONDS.labels(task).observe(time.perf_counter() - started)

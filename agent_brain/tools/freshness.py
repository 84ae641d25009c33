"""How fresh stored metrics are: answers that read our metrics tables quote the last completed sync.

The metrics tables are filled by the metrics sync (`agent_brain.jobs.metrics_sync`), each run logged
in `metrics_sync_runs`. A tool that reads those tables gets `data_as_of` added to its result — the
moment the account's latest completed sync finished, and the same moment on the account's clock
(«14:05», or «29.11 14:05» when it was not today) — so the reply can say «данные на 14:05». An
account never synced (demo data only) gets nothing: there is no sync time to quote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from agent_brain import clock
from agent_brain.db.models import MetricsSyncRun
from agent_brain.tools.context import ToolContext

# Tools whose figures come from creative_metrics_history / direction_metrics_rollup.
STORED_METRICS_TOOLS = frozenset({
    "getDirections", "getDirectionDetails", "getDirectionMetrics", "getROIReport", "getROIComparison",
    "getCreatives", "getCreativeDetails", "getCreativeMetrics", "getTopCreatives", "getWorstCreatives",
    "compareCreatives", "optimizeBudgets", "analyzeABTest", "suggestCreativeRotation",
})
STORED_SOURCES = ("rollup", "history")  # any other tool that says it read these stages


def reads_stored_metrics(tool: str, data: Any) -> bool:
    return tool in STORED_METRICS_TOOLS or (isinstance(data, dict) and data.get("source") in STORED_SOURCES)


async def data_as_of(ctx: ToolContext) -> dict[str, str] | None:
    """The account's latest completed sync: {"at": ISO UTC, "local": "14:05" | "29.11 14:05"}, or None."""
    if ctx.ad_account_id is None:
        return None
    async with ctx.engine.connect() as conn:
        at = (await conn.execute(select(func.max(MetricsSyncRun.finished_at)).where(
            MetricsSyncRun.ad_account_id == ctx.ad_account_id, MetricsSyncRun.status == "completed"))).scalar_one()
    if at is None:
        return None
    local = at.astimezone(clock.zone(ctx.timezone))
    same_day = local.date() == clock.today_in(ctx.timezone)
    label = local.strftime("%H:%M") if same_day else local.strftime("%d.%m %H:%M")
    return {"at": at.isoformat(), "local": label}


"""ai_runs: one trace row per agent run (model, prompt version, tokens, tools, latency, status)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Run


class RunRecord(BaseModel):
    conversation_id: uuid.UUID | None
    user_id: uuid.UUID | None
    model: str
    agent: str | None
    domain: str | None
    prompt_version: str | None
    classifier_path: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tools_planned: list[str] = Field(default_factory=list)
    tools_executed: list[str] = Field(default_factory=list)
    tool_errors: list[dict[str, Any]] = Field(default_factory=list)
    context_stats: dict[str, Any] = Field(default_factory=dict)
    latency_ms: int
    status: str = "completed"
    error: str | None = None


_INSERT_RUN = insert(Run).values(finished_at=func.now())


class RunsStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def record(self, runs: Sequence[RunRecord]) -> None:
        """All of a turn's runs in one INSERT."""
        if not runs:
            return
        rows = []
        for r in runs:
            row = r.model_dump()
            row["total_tokens"] = r.prompt_tokens + r.completion_tokens
            rows.append(row)
        # Parameters passed apart from the statement (executemany when several): one cached compiled
        # form. A multi-row `.values([...])` has no cache key and would be compiled on every turn.
        async with self._engine.connect() as conn:
            await conn.execute(_INSERT_RUN, rows)

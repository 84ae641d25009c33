"""Calling an agent's tools the way the agent loop does: validate, then run under the timeout."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import ToolOutcome, ToolRegistry, run_tool

Call = Callable[..., Awaitable[ToolOutcome]]
Ok = Callable[..., Awaitable[dict[str, Any]]]


def make_callers(tools: ToolRegistry) -> tuple[Call, Ok]:
    async def call(ctx: ToolContext, name: str, **raw: Any) -> ToolOutcome:
        tool = tools.get(name)
        return await run_tool(tool, tool.validate(raw), ctx)

    async def ok(ctx: ToolContext, name: str, **raw: Any) -> dict[str, Any]:
        outcome = await call(ctx, name, **raw)
        assert outcome.success, outcome.error
        assert outcome.data is not None
        json.dumps(outcome.data)  # results are stored and streamed as JSON as they are
        return outcome.data

    return call, ok

"""PlanExecutor: runs exactly the stored, approved steps of a plan — all of them, or one by index.

Arguments are the ones stored when the plan was made (validated again, never regenerated), so
what the user approved is what runs. Status moves only along the store's legal transitions;
`start_execution` lets one caller win, so a double press executes once.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent_brain.orchestrator.events import StepResult
from agent_brain.stores.errors import IllegalPlanTransitionError
from agent_brain.stores.records import PlanRecord
from agent_brain.stores.unified import UnifiedStore
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import ToolArgumentsError, ToolRegistry, UnknownToolError, run_tool

OnStep = Callable[[StepResult], Awaitable[None]]
# Failures worth one more try in Yes+Auto: the platform was briefly unavailable or slow.
_RETRYABLE_CODES = {"timeout", "platform_unavailable", "graph_1", "graph_2"}


class PlanNotRunnableError(Exception):
    """The plan is not in a state that can run (already executed, rejected, expired…)."""


@dataclass(frozen=True)
class PlanExecution:
    plan: PlanRecord
    steps: list[StepResult]

    @property
    def succeeded(self) -> bool:
        return all(s.success for s in self.steps)


class PlanExecutor:
    def __init__(self, store: UnifiedStore, tools: ToolRegistry) -> None:
        self.store = store
        self.tools = tools

    async def execute_all(
        self, plan_id: uuid.UUID, ctx: ToolContext, *, auto_retry: bool = False, on_step: OnStep | None = None
    ) -> PlanExecution:
        """Approve (if pending) and run every step not yet done; Yes+Auto retries a transient failure once."""
        plan = await self._start(plan_id, ctx)
        results = dict(plan.execution_results or {})
        steps: list[StepResult] = []
        for index in range(len(plan.plan.steps)):
            if str(index) in results and results[str(index)].get("success"):
                continue
            result = await self._run_step(plan, index, ctx)
            if not result.success and auto_retry and (result.result or {}).get("code") in _RETRYABLE_CODES:
                result = await self._run_step(plan, index, ctx)
            results[str(index)] = _stored(result)
            steps.append(result)
            if on_step:
                await on_step(result)
            if not result.success:
                break  # later steps may depend on this one: stop, report, let the user decide
        if all(r.get("success") for r in results.values()) and len(results) == len(plan.plan.steps):
            record = await self.store.complete_execution(plan_id, results)
        else:
            record = await self.store.fail_execution(plan_id, results)
        return PlanExecution(record, steps)

    async def execute_step(
        self, plan_id: uuid.UUID, index: int, ctx: ToolContext, *, on_step: OnStep | None = None
    ) -> PlanExecution:
        """Yes+Manual: run one step; the plan returns to `approved` until its last step is done."""
        plan = await self.store.get_plan(plan_id, user_id=ctx.user_id)
        if not 0 <= index < len(plan.plan.steps):
            raise PlanNotRunnableError(f"plan has {len(plan.plan.steps)} steps; there is no step {index + 1}")
        done = plan.execution_results or {}
        if done.get(str(index), {}).get("success"):
            raise PlanNotRunnableError(f"step {index + 1} has already been executed")
        plan = await self._start(plan_id, ctx)
        result = await self._run_step(plan, index, ctx)
        if on_step:
            await on_step(result)
        results = {**done, str(index): _stored(result)}
        if not result.success:
            record = await self.store.fail_execution(plan_id, results)
        elif sum(1 for r in results.values() if r.get("success")) == len(plan.plan.steps):
            record = await self.store.complete_execution(plan_id, results)
        else:
            record = await self.store.finish_step(plan_id, results)
        return PlanExecution(record, [result])

    async def reject(self, plan_id: uuid.UUID, ctx: ToolContext) -> PlanRecord:
        return await self.store.reject_plan(plan_id, user_id=ctx.user_id)

    async def _start(self, plan_id: uuid.UUID, ctx: ToolContext) -> PlanRecord:
        plan = await self.store.get_plan(plan_id, user_id=ctx.user_id)
        try:
            if plan.status == "pending":
                await self.store.approve_plan(plan_id, user_id=ctx.user_id)
            return await self.store.start_execution(plan_id, user_id=ctx.user_id)
        except IllegalPlanTransitionError as exc:
            raise PlanNotRunnableError(_why_not(exc.current, ctx.language)) from exc

    async def _run_step(self, plan: PlanRecord, index: int, ctx: ToolContext) -> StepResult:
        step = plan.plan.steps[index]
        try:
            tool = self.tools.get(step.action)
            args = tool.validate(step.params)
        except (UnknownToolError, ToolArgumentsError) as exc:
            return StepResult(plan_id=str(plan.id), index=index, action=step.action, success=False,
                              error=exc.message, result={"code": exc.code})
        # The step is the request: a double press or a re-run of this step writes once.
        step_ctx = dataclasses.replace(ctx, writes=ctx.writes.scoped(f"plan:{plan.id}:{index}"))
        outcome = await run_tool(tool, args, step_ctx)
        return StepResult(plan_id=str(plan.id), index=index, action=step.action, success=outcome.success,
                          result=outcome.data if outcome.success else {"code": outcome.error_code},
                          error=outcome.error)


def _stored(result: StepResult) -> dict[str, Any]:
    return {"action": result.action, "success": result.success, "result": result.result, "error": result.error}


def _why_not(status: str, language: str) -> str:
    ru = {
        "completed": "этот план уже выполнен", "executing": "этот план уже выполняется",
        "failed": "этот план уже выполнялся и завершился ошибкой", "rejected": "этот план отменён",
        "expired": "срок действия плана истёк — попросите сделать новый",
    }
    en = {
        "completed": "this plan has already been executed", "executing": "this plan is already running",
        "failed": "this plan already ran and failed", "rejected": "this plan was cancelled",
        "expired": "this plan has expired — ask for a new one",
    }
    table = ru if language == "ru" else en
    return table.get(status, f"plan is {status}")

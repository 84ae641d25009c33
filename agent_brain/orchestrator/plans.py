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
from agent_brain.stores.records import PlanRecord, PlanStatus
from agent_brain.stores.unified import UnifiedStore
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import ToolArgumentsError, ToolRegistry, UnknownToolError, run_tool

OnStep = Callable[[StepResult], Awaitable[None]]
# Failures worth one more try in Yes+Auto: the platform was briefly unavailable or slow.
_RETRYABLE_CODES = {"timeout", "platform_unavailable", "graph_1", "graph_2"}


class PlanNotRunnableError(Exception):
    """The plan is not in a state that can run (already running or executed, rejected, expired…).

    `state` is the plan's current status, for a 409 that says it.
    """

    def __init__(self, message: str, *, state: str | None = None) -> None:
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class PlanExecution:
    plan: PlanRecord
    steps: list[StepResult]

    @property
    def succeeded(self) -> bool:
        return all(s.success for s in self.steps)


def step_verified(result: dict[str, Any] | None) -> bool:
    """A successful step's write shows on the platform (or needed no write / was a dry run)."""
    result = result or {}
    if result.get("dry_run") or result.get("no_change"):
        return True
    verification = result.get("verification")
    return verification is None or bool(verification.get("verified"))


def final_status(total: int, results: dict[str, Any]) -> PlanStatus:
    """completed: every step done and verified; unverified: every step done, some not visible on the
    platform; partially_completed: some steps done; failed: none."""
    done = [r for r in results.values() if r.get("success")]
    if len(done) == total:
        return "completed" if all(r.get("verified", True) for r in done) else "unverified"
    return "partially_completed" if done else "failed"


class PlanExecutor:
    def __init__(self, store: UnifiedStore, tools: ToolRegistry) -> None:
        self.store = store
        self.tools = tools

    async def execute_all(
        self, plan_id: uuid.UUID, ctx: ToolContext, *, auto_retry: bool = False, on_step: OnStep | None = None,
        executor: str | None = None,
    ) -> PlanExecution:
        """Approve (if pending) and run every step not yet done; Yes+Auto retries a transient failure once.

        `executor` is the owner of the conversation's lease this run holds (recovery finds the
        plan by it if the process dies). Each step's result is merged into the plan row as it
        ends; what counts is the row the store returns, never a copy read before the step.
        """
        plan = await self._start(plan_id, ctx, executor)
        steps: list[StepResult] = []
        for index in range(len(plan.plan.steps)):
            if (plan.execution_results or {}).get(str(index), {}).get("success"):
                continue
            result = await self._run_step(plan, index, ctx)
            if not result.success and auto_retry and (result.result or {}).get("code") in _RETRYABLE_CODES:
                result = await self._run_step(plan, index, ctx)
            plan = await self.store.record_step(plan_id, index, _stored(result))
            steps.append(result)
            if on_step:
                await on_step(result)
            if not result.success or not step_verified(result.result):
                break  # later steps may depend on this one: stop, report, let the user decide
        status = final_status(len(plan.plan.steps), plan.execution_results or {})
        record = await self.store.finish_execution(plan_id, status)
        return PlanExecution(record, steps)

    async def execute_step(
        self, plan_id: uuid.UUID, index: int, ctx: ToolContext, *, on_step: OnStep | None = None,
        executor: str | None = None,
    ) -> PlanExecution:
        """Yes+Manual: run one step; the plan returns to `approved` until its last step is done."""
        plan = await self.store.get_plan(plan_id, user_id=ctx.user_id)
        if not 0 <= index < len(plan.plan.steps):
            raise PlanNotRunnableError(f"plan has {len(plan.plan.steps)} steps; there is no step {index + 1}")
        if (plan.execution_results or {}).get(str(index), {}).get("success"):
            raise PlanNotRunnableError(f"step {index + 1} has already been executed", state=plan.status)
        plan = await self._start(plan_id, ctx, executor)
        result = await self._run_step(plan, index, ctx)
        if on_step:
            await on_step(result)
        plan = await self.store.record_step(plan_id, index, _stored(result))
        results = plan.execution_results or {}
        done = sum(1 for r in results.values() if r.get("success"))
        if result.success and step_verified(result.result) and done < len(plan.plan.steps):
            record = await self.store.finish_step(plan_id)
        else:
            record = await self.store.finish_execution(plan_id, final_status(len(plan.plan.steps), results))
        return PlanExecution(record, [result])

    async def reject(self, plan_id: uuid.UUID, ctx: ToolContext) -> PlanRecord:
        return await self.store.reject_plan(plan_id, user_id=ctx.user_id)

    async def _start(self, plan_id: uuid.UUID, ctx: ToolContext, executor: str | None) -> PlanRecord:
        plan = await self.store.get_plan(plan_id, user_id=ctx.user_id)
        try:
            if plan.status == "pending":
                await self.store.approve_plan(plan_id, user_id=ctx.user_id)
            return await self.store.start_execution(plan_id, user_id=ctx.user_id, executor=executor)
        except IllegalPlanTransitionError as exc:
            raise PlanNotRunnableError(why_not(exc.current, ctx.language), state=exc.current) from exc

    async def _run_step(self, plan: PlanRecord, index: int, ctx: ToolContext) -> StepResult:
        step = plan.plan.steps[index]
        try:
            tool = self.tools.get(step.action)
            args = tool.validate(step.params)
        except (UnknownToolError, ToolArgumentsError) as exc:
            return StepResult(plan_id=str(plan.id), index=index, action=step.action, success=False,
                              error=exc.message, result={"code": exc.code})
        # The step is the request: a double press or a re-run of this step writes once.
        reverts = plan.plan.reverts_action_id
        step_ctx = dataclasses.replace(ctx, writes=ctx.writes.scoped(
            f"plan:{plan.id}:{index}", plan_id=plan.id, step_index=index, user_id=plan.user_id,
            conversation_id=plan.conversation_id, source=plan.source, telegram_chat_id=plan.telegram_chat_id,
            reverts_action_id=uuid.UUID(reverts) if reverts else None))
        outcome = await run_tool(tool, args, step_ctx)
        return StepResult(plan_id=str(plan.id), index=index, action=step.action, success=outcome.success,
                          result=outcome.data if outcome.success else {"code": outcome.error_code},
                          error=outcome.error)


def _stored(result: StepResult) -> dict[str, Any]:
    stored = {"action": result.action, "success": result.success, "result": result.result, "error": result.error}
    if result.success:
        stored["verified"] = step_verified(result.result)
    return stored


def why_not(status: str, language: str) -> str:
    ru = {
        "completed": "этот план уже выполнен", "executing": "этот план уже выполняется",
        "approved": "этот план уже одобрен и запускается",
        "partially_completed": "этот план уже выполнялся и выполнен частично",
        "unverified": "этот план уже выполнен, но изменения не подтверждены платформой",
        "failed": "этот план уже выполнялся и завершился ошибкой", "rejected": "этот план отменён",
        "expired": "срок действия плана истёк — попросите сделать новый",
    }
    en = {
        "completed": "this plan has already been executed", "executing": "this plan is already running",
        "approved": "this plan has already been approved and is starting",
        "partially_completed": "this plan already ran and was partially completed",
        "unverified": "this plan already ran, but the platform does not confirm its changes",
        "failed": "this plan already ran and failed", "rejected": "this plan was cancelled",
        "expired": "this plan has expired — ask for a new one",
    }
    table = ru if language == "ru" else en
    return table.get(status, f"plan is {status}")

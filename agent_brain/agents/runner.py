"""The agent loop: model → tool calls → validate (repair) → policy → run or plan → model …

`run_agent` is an async generator of orchestrator events; what it produced for persistence and
tracing is collected on the `AgentRun` it was given.

Every call passes the policy (policy.py) with the turn's taint — the context's reasons from
`ContextGatherer`, then tool results read in this turn — and, for writes, the grounding of its
target (grounding.py). This holds on every round of the loop and after argument repair.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from agent_brain.agents.base import AgentSpec
from agent_brain.llm.base import ChatModel, ModelRequest, ToolCall, TurnDone, TurnHints, Usage, complete
from agent_brain.orchestrator.events import Event, Text, ToolResult, ToolStart
from agent_brain.orchestrator.grounding import Target, TargetGrounding
from agent_brain.orchestrator.policy import Decision, decide
from agent_brain.stores.records import NewMessage, PlanStep
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import Tool, ToolArgumentsError, UnknownToolError, run_tool

log = logging.getLogger(__name__)

MAX_ROUNDS = 5
MAX_REPAIRS = 2


@dataclass
class AgentRun:
    """What one agent did in a turn: its new messages, gated steps, trace figures."""

    agent: AgentSpec
    mode: str
    new_messages: list[NewMessage] = field(default_factory=list)
    plan_steps: list[PlanStep] = field(default_factory=list)
    final_text: str = ""
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    tools_planned: list[str] = field(default_factory=list)
    tools_executed: list[str] = field(default_factory=list)
    tool_errors: list[dict[str, str]] = field(default_factory=list)
    focus_updates: dict[str, Any] = field(default_factory=dict)
    choices: list[dict[str, str]] = field(default_factory=list)  # a clarifying question's clickable answers
    context_stats: dict[str, Any] = field(default_factory=dict)
    status: str = "completed"
    error: str | None = None


FOCUS_KEYS = {
    "campaignId": "campaignId", "adsetId": "adsetId", "directionId": "directionId", "creativeId": "creativeId",
    "leadId": "leadId", "phone": "dialogPhone", "period": "period",
}


def focus_from_args(args: BaseModel) -> dict[str, Any]:
    """Session memory: the entities a call was about (campaignId, directionId, dialogPhone, period…)."""
    data = args.model_dump(mode="json", exclude_none=True)
    focus = {FOCUS_KEYS[k]: v for k, v in data.items() if k in FOCUS_KEYS}
    if data.get("dateFrom") and data.get("dateTo"):
        focus["period"] = f"{data['dateFrom']}..{data['dateTo']}"
    return focus


def describe_step(tool: Tool, args: BaseModel, targets: Sequence[Target] = (), language: str = "ru") -> str:
    """The step as the user confirms it; the objects it changes are named in human words."""
    params = ", ".join(f"{k}={v}" for k, v in args.model_dump(mode="json", exclude_none=True).items())
    first_line = tool.description.splitlines()[0].rstrip(".")
    text = f"{tool.name}({params}) — {first_line}"
    if targets:
        text += ("; объект: " if language == "ru" else "; target: ") + ", ".join(t.label(language) for t in targets)
    if any(not t.grounded for t in targets):
        text += (" — вы не называли этот объект, проверьте, что это он" if language == "ru"
                 else " — you did not name this object: check it is the right one")
    return text


async def run_agent(
    agent: AgentSpec,
    *,
    model: ChatModel,
    history: list[dict[str, Any]],
    user_text: str,
    ctx: ToolContext,
    mode: str,
    hints: TurnHints,
    run: AgentRun,
    system_extra: str = "",
    taint: tuple[str, ...] = (),
    grounding: TargetGrounding | None = None,
) -> AsyncIterator[Event]:
    """`taint`: why the assembled context already holds outside text (empty: clean); `grounding`: the
    target check for writes (None: the user's message alone grounds targets)."""
    system = agent.prompt.text + (f"\n\n{system_extra}" if system_extra else "")
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}, *history,
                                      {"role": "user", "content": user_text}]
    schemas = agent.tools.schemas()
    grounding = grounding or TargetGrounding(user_text=user_text, shown_text="", resolver=hints.resolver)
    tainted = bool(taint)
    for _round in range(MAX_ROUNDS):
        request = ModelRequest(messages=messages, tools=schemas, hints=hints)
        turn = None
        async for event in model.stream(request):
            if isinstance(event, TurnDone):
                turn = event.turn
            else:
                yield Text(text=event.text, agent=agent.name)
        assert turn is not None
        log.debug("agent %s round %d: model %s, %d tool call(s)", agent.name, _round + 1,
                  turn.model or model.name, len(turn.tool_calls))
        run.usage = run.usage + turn.usage
        run.model = turn.model or model.name
        if turn.focus:
            run.focus_updates.update(turn.focus)
        if not turn.tool_calls:
            run.choices = [c.to_json() for c in turn.choices]
            run.final_text = turn.content or ""
            run.new_messages.append(NewMessage(role="assistant", content=run.final_text, agent=agent.name,
                                               domain=agent.domain))
            return
        messages.append(turn.to_openai())
        run.new_messages.append(NewMessage(role="assistant", content=turn.content,
                                           tool_calls=[c.to_openai() for c in turn.tool_calls],
                                           agent=agent.name, domain=agent.domain))
        for call in turn.tool_calls:
            result = None
            async for event_or_result in _handle_call(agent, call, model, ctx, mode, hints, run,
                                                      tainted=tainted, grounding=grounding):
                if isinstance(event_or_result, dict):
                    result = event_or_result
                else:
                    yield event_or_result
            content = json.dumps(result, ensure_ascii=False, default=str)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
            run.new_messages.append(NewMessage(role="tool", tool_call_id=call.id, tool_name=call.name,
                                               tool_result=result, agent=agent.name, domain=agent.domain))
        if not tainted:  # this round's tool output is in the context of every later round
            tainted = True
            run.context_stats.setdefault("taint", []).append("turn_tool_output")
    run.status = "error"
    run.error = f"stopped after {MAX_ROUNDS} tool rounds"
    run.final_text = ("Не удалось завершить запрос за разумное число шагов. Уточните, пожалуйста, что нужно."
                      if hints.language == "ru" else
                      "I could not finish this request in a reasonable number of steps. Please be more specific.")
    run.new_messages.append(NewMessage(role="assistant", content=run.final_text, agent=agent.name,
                                       domain=agent.domain))
    yield Text(text=run.final_text, agent=agent.name)


async def _handle_call(
    agent: AgentSpec, call: ToolCall, model: ChatModel, ctx: ToolContext, mode: str, hints: TurnHints,
    run: AgentRun, *, tainted: bool, grounding: TargetGrounding,
) -> AsyncIterator[Event | dict[str, Any]]:
    """Validate (with repair), apply the policy, run or plan one call. Yields events, then the result dict."""
    try:
        tool = agent.tools.get(call.name)
        if tool.plan_only:  # a model never calls these directly: only a checked proposal becomes one
            raise UnknownToolError(call.name, agent.tools.names())
    except UnknownToolError as exc:
        run.tool_errors.append({"tool": call.name, "error": "unknown_tool"})
        yield {"success": False, "error": f"{exc.message}; available: {', '.join(agent.tools.names())}",
               "code": "unknown_tool"}
        return
    try:
        args, repaired = await _validated(tool, call.arguments, model, hints)
    except ToolArgumentsError as exc:
        run.tool_errors.append({"tool": tool.name, "error": exc.message})
        yield {"success": False, "error": exc.message, "code": exc.code}
        return
    run.focus_updates.update(focus_from_args(args))
    params = args.model_dump(mode="json", exclude_none=True)
    targets = await grounding.targets(params) if tool.is_write else []
    ungrounded = [t.to_json() for t in targets if not t.grounded]
    if ungrounded:
        run.context_stats.setdefault("ungrounded_targets", []).extend(ungrounded)
    # Repaired arguments are the repair model's words, not the user's.
    decision = decide(mode, tool, tainted=tainted, user_grounded=call.grounded_in_user_text and not repaired,
                      target_grounded=not ungrounded)
    if decision is Decision.PLAN:
        step = PlanStep(action=tool.name, params=params, description=describe_step(tool, args, targets, hints.language),
                        dangerous=tool.dangerous)
        run.plan_steps.append(step)
        run.tools_planned.append(tool.name)
        yield {"approval_required": True, "plan": {"summary": step.description, "steps": [step.model_dump()]}}
        return
    yield ToolStart(tool=tool.name, args=params, agent=agent.name, call_id=call.id)
    outcome = await run_tool(tool, args, ctx)
    run.tools_executed.append(tool.name)
    if not outcome.success:
        run.tool_errors.append({"tool": tool.name, "error": outcome.error or ""})
    yield ToolResult(tool=tool.name, agent=agent.name, call_id=call.id, success=outcome.success,
                     result=outcome.data, error=outcome.error, duration_ms=outcome.duration_ms)
    if outcome.success and isinstance(outcome.data, dict) and outcome.data.get("proposed_steps"):
        _plan_proposed(agent, outcome.data["proposed_steps"], run)
    yield outcome.as_message_content()


def _plan_proposed(agent: AgentSpec, proposed: list[dict[str, Any]], run: AgentRun) -> None:
    """Writes a tool proposes (the budget optimizer) are validated like calls and always planned, never run."""
    for item in proposed:
        tool = agent.tools.get(item["action"])
        if not tool.is_write:
            raise ValueError(f"{item['action']} is not a write: nothing to propose")
        args = tool.validate(item["params"])
        run.plan_steps.append(PlanStep(action=tool.name, params=args.model_dump(mode="json", exclude_none=True),
                                       description=item["description"], dangerous=tool.dangerous))
        run.tools_planned.append(tool.name)


async def _validated(tool: Tool, raw: str, model: ChatModel, hints: TurnHints) -> tuple[BaseModel, bool]:
    """Validate arguments; on failure ask the model to repair them, up to MAX_REPAIRS times.

    Returns the arguments and whether they were repaired."""
    error: ToolArgumentsError | None = None
    arguments = raw
    for attempt in range(MAX_REPAIRS + 1):
        try:
            return tool.validate(arguments), attempt > 0
        except ToolArgumentsError as exc:
            error = exc
            if attempt == MAX_REPAIRS:
                break
            arguments = await _repair(tool, arguments, exc, model, hints)
    assert error is not None
    raise error


async def _repair(tool: Tool, arguments: str, error: ToolArgumentsError, model: ChatModel,
                  hints: TurnHints) -> str:
    schema = json.dumps(tool.openai_schema()["function"]["parameters"], ensure_ascii=False)
    prompt = (f"Tool: {tool.name}\nArguments: {arguments}\nValidation error: {error.message}\n"
              f"JSON schema: {schema}\nReturn only the corrected arguments as a JSON object.")
    request = ModelRequest(
        messages=[{"role": "system", "content": "You fix tool-call arguments so they match the schema."},
                  {"role": "user", "content": prompt}],
        json_output=True, temperature=0,
        hints=TurnHints(purpose="repair", language=hints.language, today=hints.today, currency=hints.currency),
    )
    try:
        turn = await complete(model, request)
    except Exception:  # repair is best effort; the validation error is reported if it fails
        log.warning("tool argument repair failed", exc_info=True)
        return arguments
    return turn.content or arguments

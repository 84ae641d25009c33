"""The typed events the orchestrator streams to transports (SSE, Telegram, CLI)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class _Event(BaseModel):
    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Classified(_Event):
    type: Literal["classified"] = "classified"
    domain: str
    agents: list[str]
    path: Literal["keywords", "context", "llm", "offline", "default", "approval", "command"]


class Text(_Event):
    type: Literal["text"] = "text"
    text: str
    agent: str | None = None


class ToolStart(_Event):
    type: Literal["tool_start"] = "tool_start"
    tool: str
    args: dict[str, Any]
    agent: str
    call_id: str


class ToolResult(_Event):
    type: Literal["tool_result"] = "tool_result"
    tool: str
    agent: str
    call_id: str
    success: bool
    result: dict[str, Any] | None = None
    error: str | None = None
    duration_ms: int = 0


class ApprovalRequired(_Event):
    type: Literal["approval_required"] = "approval_required"
    plan_id: str
    plan: dict[str, Any]


class StepResult(_Event):
    """One executed plan step (approval flows)."""

    type: Literal["step_result"] = "step_result"
    plan_id: str
    index: int
    action: str
    success: bool
    result: dict[str, Any] | None = None
    error: str | None = None


class Done(_Event):
    type: Literal["done"] = "done"
    conversation_id: str
    text: str = ""
    mode: str | None = None
    plan_id: str | None = None
    choices: list[dict[str, str]] | None = None  # a clarifying question's answers: {label, reply_text}
    stopped: bool | None = None  # the user stopped the turn: `text` is the partial reply


class Error(_Event):
    type: Literal["error"] = "error"
    code: str
    message: str
    state: str | None = None  # a plan's status, when the error is about the plan


Event = Classified | Text | ToolStart | ToolResult | ApprovalRequired | StepResult | Done | Error

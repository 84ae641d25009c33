"""Typed records returned by the stores and the message shape they accept."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["auto", "plan", "ask"]
Source = Literal["web", "telegram", "cli"]
Role = Literal["user", "assistant", "system", "tool"]
PlanStatus = Literal[
    "pending", "approved", "rejected", "expired", "executing", "completed", "partially_completed", "unverified", "failed",
]


class _Record(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class ConversationRecord(_Record):
    id: uuid.UUID
    user_id: uuid.UUID
    ad_account_id: uuid.UUID | None
    title: str | None
    mode: Mode
    source: Source
    telegram_chat_id: int | None
    lock_owner: str | None
    lock_expires_at: dt.datetime | None
    rolling_summary: str | None
    summary_message_count: int
    summary_tainted: bool = False
    message_count: int
    focus_entities: dict[str, Any]
    last_agent: str | None
    last_domain: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class NewMessage(BaseModel):
    """A message to persist. `tool_calls` uses the OpenAI shape `[{id, type, function: {name, arguments}}]`."""

    role: Role
    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    tool_name: str | None = None
    tool_result: Any | None = None
    plan_json: dict[str, Any] | None = None
    actions_json: list[Any] | None = None
    agent: str | None = None
    domain: str | None = None


class StoredMessage(_Record):
    id: int
    conversation_id: uuid.UUID
    role: Role
    content: str | None
    tool_calls: list[dict[str, Any]] | None
    tool_call_id: str | None
    tool_name: str | None
    tool_result: Any | None
    plan_json: dict[str, Any] | None
    agent: str | None
    domain: str | None
    tokens_used: int
    created_at: dt.datetime

    def to_openai(self) -> dict[str, Any]:
        """The message as the Chat Completions API expects it."""
        msg: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.role == "assistant" and self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        if self.role == "tool":
            msg["tool_call_id"] = self.tool_call_id
            if msg["content"] is None and self.tool_result is not None:
                import json

                msg["content"] = json.dumps(self.tool_result, ensure_ascii=False, default=str)
        return msg


class PlanStep(BaseModel):
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    description: str = ""
    dangerous: bool = False


class Plan(BaseModel):
    steps: list[PlanStep] = Field(min_length=1)
    summary: str = ""
    reverts_action_id: str | None = None  # an undo: the journalled action this plan takes back


class PlanRecord(_Record):
    id: uuid.UUID
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    plan_json: dict[str, Any]
    status: PlanStatus
    source: Source
    telegram_chat_id: int | None
    telegram_message_id: int | None
    execution_results: dict[str, Any] | None
    executor: str | None = None
    created_at: dt.datetime
    expires_at: dt.datetime
    resolved_at: dt.datetime | None

    @property
    def plan(self) -> Plan:
        return Plan.model_validate(self.plan_json)

"""Request and response bodies of the web API (camelCase on the wire), and record → body mappers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from agent_brain.memory.notes import MAX_NOTE_CHARS, Domain, NoteRecord
from agent_brain.memory.specs import BusinessSpec
from agent_brain.orchestrator.orchestrator import MAX_MESSAGE_CHARS
from agent_brain.plan_view import StepView
from agent_brain.stores.records import ConversationRecord, Mode, PlanRecord, Role, Source, StoredMessage


def _storable(value: Any) -> Any:
    """Reject what PostgreSQL cannot store in text or JSONB: NUL characters and lone surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text") from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _storable(key)
            _storable(item)
    elif isinstance(value, list):
        for item in value:
            _storable(item)
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Storable = AfterValidator(_storable)
MessageText = Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS), AfterValidator(_not_blank), Storable]
# Telegram chat ids have at most 52 significant bits.
TelegramChatId = Annotated[int, Field(ge=-(2**52), le=2**52)]
JsonObject = Annotated[dict[str, Any], Storable]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


# ── requests ────────────────────────────────────────────────────────────────────────────────


class ChatMessageIn(ApiModel):
    message: MessageText
    conversation_id: uuid.UUID | None = None
    mode: Mode | None = Field(None, description="Switch the conversation to this mode before the turn.")


class ExecuteIn(ApiModel):
    plan_id: uuid.UUID
    auto_retry: bool = Field(False, description="Yes+Auto: retry a step once after a transient platform failure.")


class ExecuteActionIn(ApiModel):
    plan_id: uuid.UUID
    step_index: int = Field(ge=0, le=1000, description="0-based index of the step to run (Yes+Manual).")


class ApproveIn(ApiModel):
    mode: Literal["all", "auto", "manual"] = Field(
        "all", description="all: run every step; auto: the same with one retry of a transient failure; "
                           "manual: approve only, then run steps with /chat/execute-action.")


class ConversationIn(ApiModel):
    mode: Mode = "plan"


class ModeIn(ApiModel):
    mode: Mode


class NoteIn(ApiModel):
    text: Annotated[str, Field(min_length=1, max_length=MAX_NOTE_CHARS), AfterValidator(_not_blank), Storable]
    domain: Domain = "general"


class SpecsIn(ApiModel):
    """A partial update: given keys are set, keys set to null removed, others kept."""

    tracking: JsonObject | None = None
    crm: JsonObject | None = None
    kpi: JsonObject | None = None


class TelegramChatIn(ApiModel):
    telegram_chat_id: TelegramChatId
    message: MessageText


class TelegramChatRef(ApiModel):
    telegram_chat_id: TelegramChatId


class TelegramModeIn(ApiModel):
    telegram_chat_id: TelegramChatId
    mode: Mode


class SessionIn(ApiModel):
    """Exactly one of: the login link's code, or an API token (the page exchanges either for a cookie)."""

    code: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    token: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class ConversationPatch(ApiModel):
    title: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank), Storable]


# ── responses ───────────────────────────────────────────────────────────────────────────────


class TextsOut(BaseModel):
    tools: dict[str, dict[str, str]]
    agents: dict[str, str]


class MeOut(BaseModel):
    id: uuid.UUID
    name: str
    language: str
    model: str
    model_is_llm: bool
    platform: Literal["sandbox", "meta"]
    currency: str = Field(description="The ad account's currency (money in tool results is in its cents)")


class SignedInOut(BaseModel):
    id: uuid.UUID
    name: str


class SessionOut(ApiModel):
    id: uuid.UUID
    user_agent: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime
    current: bool


class SessionList(ApiModel):
    items: list[SessionOut]


class StepViewOut(ApiModel):
    """The step as a person reads it, in the request's language (see agent_brain.plan_view)."""

    title: str
    target: str | None
    changes: list[dict[str, str | None]]
    spend_per_day: str | None


class PlanStepOut(ApiModel):
    action: str
    params: dict[str, Any]
    description: str
    dangerous: bool
    view: StepViewOut | None = None


class PlanOut(ApiModel):
    id: uuid.UUID
    status: str
    steps: list[PlanStepOut]
    summary: str
    execution_results: dict[str, Any]
    expires_at: dt.datetime


class PlanEnvelope(ApiModel):
    plan: PlanOut


class TurnOut(ApiModel):
    """A turn (or a plan execution) answered as JSON rather than as an event stream."""

    conversation_id: uuid.UUID
    text: str
    events: list[dict[str, Any]]
    plan: PlanOut | None


class ConversationOut(ApiModel):
    id: uuid.UUID
    title: str | None
    mode: Mode
    source: Source
    message_count: int
    last_agent: str | None
    updated_at: dt.datetime


class ConversationEnvelope(ApiModel):
    conversation: ConversationOut


class ConversationList(ApiModel):
    items: list[ConversationOut]
    limit: int
    offset: int


class MessageOut(ApiModel):
    id: int
    role: Role
    content: str | None
    tool_calls: list[dict[str, Any]] | None
    tool_name: str | None
    tool_result: Any | None
    plan: dict[str, Any] | None
    agent: str | None
    domain: str | None
    created_at: dt.datetime


class MessageList(ApiModel):
    items: list[MessageOut]


class NoteOut(ApiModel):
    id: uuid.UUID
    domain: str
    text: str
    source: str
    importance: float
    created_at: dt.datetime
    updated_at: dt.datetime


class NoteEnvelope(ApiModel):
    note: NoteOut


class NoteList(ApiModel):
    items: list[NoteOut]


class ForgetOut(ApiModel):
    deleted: list[NoteOut]


class SpecsOut(ApiModel):
    tracking: dict[str, Any]
    crm: dict[str, Any]
    kpi: dict[str, Any]


class LinkCodeOut(ApiModel):
    code: str
    expires_at: dt.datetime
    start_command: str


class ClearedOut(ApiModel):
    conversation_id: uuid.UUID
    deleted_messages: int


class TelegramStatusOut(ApiModel):
    conversation: ConversationOut
    busy: bool
    pending_plan: PlanOut | None


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


# ── mappers ─────────────────────────────────────────────────────────────────────────────────


def plan_out(record: PlanRecord, views: list[StepView] | None = None) -> PlanOut:
    plan = record.plan
    return PlanOut(
        id=record.id, status=record.status, summary=plan.summary, expires_at=record.expires_at,
        steps=[PlanStepOut(**step.model_dump(),
                           view=StepViewOut(**views[i].model_dump(exclude={"dangerous"})) if views else None)
               for i, step in enumerate(plan.steps)],
        execution_results=record.execution_results or {},
    )


def conversation_out(record: ConversationRecord) -> ConversationOut:
    return ConversationOut(id=record.id, title=record.title, mode=record.mode, source=record.source,
                           message_count=record.message_count, last_agent=record.last_agent,
                           updated_at=record.updated_at)


def message_out(record: StoredMessage) -> MessageOut:
    return MessageOut(id=record.id, role=record.role, content=record.content, tool_calls=record.tool_calls,
                      tool_name=record.tool_name, tool_result=record.tool_result, plan=record.plan_json,
                      agent=record.agent, domain=record.domain, created_at=record.created_at)


def note_out(record: NoteRecord) -> NoteOut:
    return NoteOut(id=record.id, domain=record.domain, text=record.text, source=record.source,
                   importance=record.importance, created_at=record.created_at, updated_at=record.updated_at)


def specs_out(spec: BusinessSpec) -> SpecsOut:
    return SpecsOut(tracking=spec.tracking, crm=spec.crm, kpi=spec.kpi)


# Error responses documented on every /api operation (the body is always ErrorOut).
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or invalid bearer token"},
    404: {"model": ErrorOut, "description": "Not found (another user's ids included)"},
    422: {"model": ErrorOut, "description": "Invalid request; `error.fields` lists the fields"},
}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut, "description": "Busy or illegal plan state"}}

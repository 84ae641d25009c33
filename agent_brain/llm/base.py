"""The model interface: OpenAI Chat Completions semantics (messages in, text and tool calls out).

Two implementations: `OpenAIChatModel` (any compatible endpoint) and `OfflineModel` (a
deterministic RU/EN intent parser, used when no key is configured). The orchestrator and agents
see only `ChatModel`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from agent_brain import clock

Purpose = Literal["agent", "classify", "synthesize", "summarize", "repair"]
EntityKind = Literal["campaign", "adset", "direction", "creative", "lead", "dialog", "test"]


@dataclass(frozen=True)
class ToolCall:
    """One tool call. `grounded_in_user_text` is provenance, not a model output: only the offline
    model (a parser of the user's own message) sets it; an LLM's call never is (see policy.py)."""

    id: str
    name: str
    arguments: str  # JSON text, exactly as the model produced it (may be malformed)
    grounded_in_user_text: bool = False

    def to_openai(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}

    @classmethod
    def make(cls, id: str, name: str, args: dict[str, Any], *, grounded_in_user_text: bool = False) -> ToolCall:
        return cls(id, name, json.dumps(args, ensure_ascii=False, default=str), grounded_in_user_text)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True)
class Choice:
    """One answer to a clarifying question, offered as a button: what it shows, what it sends."""

    label: str
    reply_text: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "reply_text": self.reply_text}


@dataclass(frozen=True)
class ModelTurn:
    """One complete model answer."""

    content: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Usage()
    model: str = ""
    choices: tuple[Choice, ...] = ()  # a clarifying question's candidates (clickable)
    focus: dict[str, Any] | None = None  # focus entries to keep for the next turn (the open question)

    def to_openai(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = [c.to_openai() for c in self.tool_calls]
        return msg


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class TurnDone:
    turn: ModelTurn


ModelEvent = TextDelta | TurnDone


@dataclass(frozen=True)
class Entity:
    """One of the user's objects, as name resolution sees it."""

    kind: EntityKind
    id: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict)


class EntityResolver(Protocol):
    """The user's own entities of a kind (loaded lazily, cached per turn by the caller)."""

    async def entities(self, kind: EntityKind) -> Sequence[Entity]: ...

    async def narrow(self, *, texts: Iterable[str] = (), ids: Iterable[Any] = ()) -> None:
        """What the turn could name (its texts, the ids in its context): a resolver backed by a large store
        returns only candidates for these from `entities`; one holding everything may ignore it."""


@dataclass
class TurnHints:
    """What a non-LLM model needs that an LLM reads from the prompt instead.

    `OpenAIChatModel` ignores hints; everything it needs is in the messages.
    """

    purpose: Purpose = "agent"
    language: Literal["ru", "en"] = "ru"
    agent: str | None = None
    focus: dict[str, Any] = field(default_factory=dict)
    resolver: EntityResolver | None = None
    today: dt.date = field(default_factory=lambda: clock.today_in(None))  # the caller passes the account's
    currency: str = "USD"
    domains: Sequence[str] = ()  # classify: the domains to choose from


@dataclass
class ModelRequest:
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    model: str | None = None  # None → the implementation's default
    json_output: bool = False  # ask for a JSON object (classifier, repair)
    temperature: float = 0.2
    max_tokens: int | None = None
    hints: TurnHints = field(default_factory=TurnHints)


class ChatModel(Protocol):
    name: str
    is_llm: bool  # False for the offline model: shown to users, never pretended otherwise

    def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        """Yield text deltas as they come, then exactly one TurnDone with the whole answer."""
        ...


async def complete(model: ChatModel, request: ModelRequest) -> ModelTurn:
    """Run a request to the end and return the whole turn."""
    async for event in model.stream(request):
        if isinstance(event, TurnDone):
            return event.turn
    raise RuntimeError(f"{model.name} ended its stream without a TurnDone")


OnText = Callable[[str], Awaitable[None]]

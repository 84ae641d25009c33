"""What the parser works with: the intents it produces, a clause of the message with its concepts,
object kinds, names and values, and the context (previous calls, focus) a clause is read against."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_brain.llm.base import Entity, TurnHints
from agent_brain.llm.offline.extract import Period, Values
from agent_brain.llm.offline.lexicon import FOCUS_KEYS, KIND_ORDER, TOOLS
from agent_brain.llm.offline.resolve import Mention, top_level


@dataclass
class Intent:
    tool: str
    args: dict[str, Any]
    note: dict[str, Any] | None = None  # for the reply writer, e.g. a relative budget change to compute


@dataclass
class Parse:
    language: str
    intents: list[Intent] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    considered: list[str] = field(default_factory=list)  # tools chosen, with or without arguments
    refusals: list[str] = field(default_factory=list)  # parts the product cannot do, said in one sentence each
    clarify: dict[str, Any] | None = None  # the open question with its candidates (kept in the focus)
    concepts: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)

    @property
    def wants_help(self) -> bool:
        return "help" in self.concepts

    @property
    def asks_identity(self) -> bool:
        return "identity" in self.concepts


# ── the conversation around the message ──────────────────────────────────────────────────────


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def last_user_index(messages: Sequence[dict[str, Any]]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            return i
    return None


def previous_calls(messages: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls of the last assistant message before the last user message (the previous turn)."""
    end = last_user_index(messages)
    for message in reversed(messages[: end if end is not None else len(messages)]):
        if message.get("role") != "assistant" or not message.get("tool_calls"):
            continue
        calls = []
        for call in message["tool_calls"]:
            fn = call.get("function", call)
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except (TypeError, json.JSONDecodeError):
                args = {}
            if fn.get("name") in TOOLS and isinstance(args, dict):
                calls.append((fn["name"], {k: v for k, v in args.items() if v is not None}))
        return calls
    return []


def tool_names(tools: Iterable[dict[str, Any]] | None) -> dict[str, set[str] | None]:
    """Available tool names → their argument names (None when the schema does not say)."""
    if tools is None:
        return dict.fromkeys(TOOLS)
    out: dict[str, set[str] | None] = {}
    for tool in tools:
        fn = tool.get("function", tool)
        name = fn.get("name")
        if name:
            props = (fn.get("parameters") or {}).get("properties")
            out[name] = set(props) if isinstance(props, dict) else None
    return out


@dataclass
class Clause:
    start: int
    end: int
    text: str  # normalised, names masked
    plain: str  # normalised, names not masked (partial name matches look here)
    orig: str
    concepts: set[str]
    cues: list[tuple[str, int, int, bool]]  # kind, start, end, followed by a name of that kind
    mentions: list[Mention]
    values: Values
    head: str | None
    quoted: list[tuple[int, int]]
    unknown: dict[str, str]  # kind → a name after its cue that matched nothing
    loose_name: str | None  # a quoted or capitalised name that matched nothing ("pause Summer Sale")
    pronoun: bool
    feminine: bool
    followup: bool
    again: bool
    payload: str | None = None

    def has(self, *concepts: str) -> bool:
        return any(c in self.concepts for c in concepts)

    def named(self, kind: str) -> list[Mention]:
        return [m for m in self.mentions if m.kind == kind]

    @property
    def kinds(self) -> set[str]:
        return ({self.head} if self.head else set()) | {m.kind for m in self.mentions}

    def refers(self, kind: str) -> bool:
        """Names an object of `kind`, found or not ("кампанию Фуфло" refers to a campaign)."""
        return bool(self.named(kind)) or (self.head == kind and kind in self.unknown)

    def kind(self, *kinds: str) -> bool:
        return any(k in self.kinds for k in kinds)

    @property
    def changing(self) -> bool:
        return self.has("set", "increase", "decrease") or bool(self.values.money) or self.values.percent is not None

    @property
    def bare(self) -> bool:
        """No concept and no object kind: a follow-up ("а за вчера?", "а по Виниры?", "what about yesterday?")."""
        ignored = {"help", "show", "details"} if self.followup else {"help", "show"}
        return not (self.concepts - ignored) and not self.cues


# ── what a clause is read against ────────────────────────────────────────────────────────────


@dataclass
class Ctx:
    """What a clause is read against: the message, the previous calls, the focus."""

    lang: str
    hints: TurnHints
    entities: dict[str, list[Entity]]
    mentions: list[Mention]
    calls: list[tuple[str, dict[str, Any]]]
    period: Period | None  # the message's only period, if exactly one
    clause_kind: str | None = None  # the kind the previous clause was about
    chosen: dict[str, Entity] = field(default_factory=dict)  # kind → the object picked in answer to our question
    asked: list[Any] = field(default_factory=list)  # the `Missing` questions raised (with their candidates)

    def context_kind(self, c: Clause, allowed: Iterable[str] = KIND_ORDER) -> str | None:
        """The kind "it" refers to: another clause's object, else the previous call's, else the focus'."""
        allowed = tuple(allowed)
        if self.clause_kind in allowed:
            return self.clause_kind
        for m in top_level(self.mentions):
            if m.kind in allowed:
                return m.kind
        for name, args in self.calls:
            for arg, kind in sorted(TOOLS[name].entity.items(), key=lambda x: SPECIFIC.index(x[1])):
                if arg in args and kind in allowed:
                    return kind
        present = [k for k in KIND_ORDER if k in allowed and self.hints.focus.get(FOCUS_KEYS.get(k, ""))]
        if len(present) == 1:
            return present[0]
        if c.feminine and "campaign" in present:
            return "campaign"
        return None


SPECIFIC = ("creative", "adset", "lead", "dialog", "test", "campaign", "direction")

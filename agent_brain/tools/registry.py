"""The tool registry: a tool is ONE declaration — a decorated async handler whose first parameter is
a pydantic model. That model is the runtime validator and the source of the OpenAI JSON schema.

    ads_tools = ToolRegistry("ads")

    @ads_tools.tool(kind=WRITE, dangerous=True, timeout=15)
    async def pauseCampaign(args: PauseCampaignArgs, ctx: ToolContext) -> dict:
        \"\"\"Pause a campaign (stops all its delivery).\"\"\"

The handler's docstring is the tool description the model reads; the model's field
descriptions become the parameters' descriptions.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import functools
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, get_type_hints

from pydantic import BaseModel, ValidationError

from agent_brain.observability import metrics
from agent_brain.tools.context import ToolContext

log = logging.getLogger(__name__)


class ToolKind(enum.StrEnum):
    READ = "read"
    WRITE = "write"


READ = ToolKind.READ
WRITE = ToolKind.WRITE


class ToolError(Exception):
    """A failure the user should read as is (already phrased for a marketer), e.g. "no such campaign"."""

    def __init__(self, message: str, *, code: str = "tool_error", details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}


class UnknownToolError(ToolError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown tool {name!r}", code="unknown_tool", details={"known": known})


class ToolArgumentsError(ToolError):
    """Arguments failed validation; `message` lists every problem so a model can repair them."""

    def __init__(self, tool: str, problems: list[str]) -> None:
        super().__init__(f"invalid arguments for {tool}: " + "; ".join(problems), code="invalid_arguments",
                         details={"problems": problems})
        self.problems = problems


Handler = Callable[[Any, ToolContext], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Tool:
    name: str
    domain: str
    description: str
    args_model: type[BaseModel]
    handler: Handler
    kind: ToolKind
    dangerous: bool = False
    timeout: float = 25.0
    retryable: bool = True
    # Only ever a step another tool proposes (its arguments are that tool's checked result): the model
    # is not offered it and cannot call it; plans run it.
    plan_only: bool = False

    @property
    def is_write(self) -> bool:
        return self.kind is ToolKind.WRITE

    def openai_schema(self) -> dict[str, Any]:
        """The Chat Completions `tools` entry, in strict-mode-compatible JSON schema.

        Built once per tool (pydantic's schema generation was ~15 % of a turn when rebuilt on every
        model round) and shared: callers serialise it, never mutate it."""
        return self._openai_schema

    @functools.cached_property
    def _openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": strict_schema(self.args_model),
                "strict": True,
            },
        }

    def validate(self, raw: str | dict[str, Any] | None) -> BaseModel:
        """Parse and validate model-produced arguments (a JSON string or a dict)."""
        if raw is None or raw == "":
            raw = {}
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ToolArgumentsError(self.name, [f"arguments are not valid JSON ({exc.msg} at {exc.pos})"]) from None
        if not isinstance(raw, dict):
            raise ToolArgumentsError(self.name, ["arguments must be a JSON object"])
        # Strict mode sends every optional field as null: treat null as "not given".
        cleaned = {k: v for k, v in raw.items() if v is not None}
        try:
            return self.args_model.model_validate(cleaned)
        except ValidationError as exc:
            raise ToolArgumentsError(self.name, _problems(exc)) from None


def _problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    return problems


@dataclass(frozen=True)
class ToolOutcome:
    tool: str
    success: bool
    data: dict[str, Any] | None
    error: str | None
    error_code: str | None
    duration_ms: int

    def as_message_content(self) -> dict[str, Any]:
        """What the model sees as the tool's reply."""
        if self.success:
            return self.data or {}
        return {"success": False, "error": self.error, "code": self.error_code}


class ToolRegistry:
    """The tools of one agent (domain). Registries can be merged to look tools up across agents."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self._tools: dict[str, Tool] = {}
        self._schemas: list[dict[str, Any]] | None = None  # built on first use, reset when a tool is added

    def tool(
        self, *, kind: ToolKind, dangerous: bool = False, timeout: float = 25.0, retryable: bool | None = None,
        name: str | None = None, plan_only: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            tool_name = name or handler.__name__
            hints = get_type_hints(handler)
            params = list(inspect.signature(handler).parameters)
            args_model = hints.get(params[0]) if params else None
            if not (isinstance(args_model, type) and issubclass(args_model, BaseModel)):
                raise TypeError(f"{tool_name}: the first parameter must be annotated with a pydantic model")
            description = inspect.cleandoc(handler.__doc__ or "").strip()
            if not description:
                raise TypeError(f"{tool_name}: the handler's docstring is the tool description; write one")
            if tool_name in self._tools:
                raise ValueError(f"tool {tool_name} is declared twice")
            self._schemas = None
            self._tools[tool_name] = Tool(
                name=tool_name, domain=self.domain, description=description, args_model=args_model,
                handler=handler, kind=kind, dangerous=dangerous, timeout=timeout,
                retryable=(kind is ToolKind.READ) if retryable is None else retryable, plan_only=plan_only,
            )
            return handler

        return register

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def names(self) -> list[str]:
        """The tools a model may call (plan-only tools are left out)."""
        return [n for n, t in self._tools.items() if not t.plan_only]

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownToolError(name, self.names()) from None

    def schemas(self) -> list[dict[str, Any]]:
        """Every tool's `tools` entry, computed once per registry (a new list of shared entries)."""
        if self._schemas is None:
            self._schemas = [t.openai_schema() for t in self if not t.plan_only]
        return list(self._schemas)

    @classmethod
    def merged(cls, *registries: ToolRegistry) -> ToolRegistry:
        merged = cls("all")
        for registry in registries:
            for t in registry:
                if t.name in merged._tools:
                    raise ValueError(f"tool {t.name} is declared by two agents")
                merged._tools[t.name] = t
        merged._schemas = None
        return merged


async def run_tool(tool: Tool, args: BaseModel, ctx: ToolContext) -> ToolOutcome:
    """Run a validated call under the tool's timeout; every failure becomes a readable outcome.

    Cancellation propagates. Platform errors carry their own user message in the user's language.
    """
    from agent_brain.platforms.graph.client import account_scope, token_scope
    from agent_brain.platforms.graph.errors import CircuitOpenError, GraphError
    from agent_brain.platforms.jsonapi.client import api_token_scope
    from agent_brain.platforms.write_safety import IdenticalOperationFailedError, OperationInProgressError
    from agent_brain.tools.freshness import data_as_of, reads_stored_metrics

    started = time.perf_counter()

    def outcome(success: bool, data: dict[str, Any] | None = None, error: str | None = None,
                code: str | None = None) -> ToolOutcome:
        elapsed = time.perf_counter() - started
        metrics.TOOL_CALLS.labels(tool.name, "ok" if success else _outcome_label(code)).inc()
        metrics.TOOL_SECONDS.labels(tool.name).observe(elapsed)
        log.debug("tool %s: %s in %.0f ms", tool.name, "ok" if success else code, elapsed * 1000)
        return ToolOutcome(tool.name, success, data, error, code, int(elapsed * 1000))

    try:
        # The scope is copied into wait_for's task: calls on object ids count against this account.
        # Each platform's calls carry the user's own token for it (Meta's via Graph, TikTok/Google's via ApiClient).
        tokens = ctx.platform_tokens() if hasattr(ctx, "platform_tokens") \
            else {"meta": getattr(ctx, "access_token", None)}
        with account_scope(ctx.platform_account_id), token_scope(tokens.get("meta")), api_token_scope(tokens):
            data = await asyncio.wait_for(tool.handler(args, ctx), timeout=tool.timeout)
    except ToolError as exc:
        return outcome(False, error=exc.message, code=exc.code)
    except CircuitOpenError as exc:
        return outcome(False, error=exc.user_message(ctx.language), code="platform_unavailable")
    except GraphError as exc:
        return outcome(False, error=exc.user_message(ctx.language), code=f"graph_{exc.code or 'error'}")
    except (OperationInProgressError, IdenticalOperationFailedError) as exc:
        return outcome(False, error=str(exc), code="write_conflict")
    except TimeoutError:
        message = (f"{tool.name} не ответил за {tool.timeout:.0f} с" if ctx.language == "ru"
                   else f"{tool.name} did not answer within {tool.timeout:.0f} s")
        return outcome(False, error=message, code="timeout")
    # Answers read from the metrics tables quote when those were last synced.
    if isinstance(data, dict) and reads_stored_metrics(tool.name, data) and (as_of := await data_as_of(ctx)):
        data = {**data, "data_as_of": as_of}
    return outcome(True, data=data)


def _outcome_label(code: str | None) -> str:
    """A bounded label: Graph error codes fold into `graph_error` (the platform metrics keep the class)."""
    if not code:
        return "error"
    return "graph_error" if code.startswith("graph_") else code[:40]


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Pydantic's JSON schema made OpenAI strict-mode compatible.

    Strict mode needs every property listed in `required` and `additionalProperties: false`;
    optional fields become nullable instead. `default` and `title` are dropped (not supported /
    noise); refs are inlined so each tool schema stands alone.
    """
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = copy.deepcopy(defs[node["$ref"].split("/")[-1]])
                extra = {k: v for k, v in node.items() if k != "$ref"}
                return inline({**target, **extra})
            node = {k: inline(v) for k, v in node.items() if k not in ("title", "default")}
            if node.get("type") == "object" and "properties" in node:
                required = set(node.get("required", []))
                for prop, sub in node["properties"].items():
                    if prop not in required and not _nullable(sub):
                        node["properties"][prop] = {"anyOf": [sub, {"type": "null"}]} if "anyOf" not in sub else {
                            **sub, "anyOf": [*sub["anyOf"], {"type": "null"}]}
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            return node
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)


def _nullable(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "null":
        return True
    return any(s.get("type") == "null" for s in schema.get("anyOf", []))

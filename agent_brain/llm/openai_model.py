"""`OpenAIChatModel`: Chat Completions with streaming and tool calls, on any compatible endpoint.

Retries (tenacity) cover 429, 5xx, timeouts and connection failures while opening the stream;
once text has been streamed to the user a failure is surfaced instead of silently replayed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import openai
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from agent_brain.llm.base import ModelEvent, ModelRequest, ModelTurn, TextDelta, ToolCall, TurnDone, Usage
from agent_brain.observability import metrics

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 60.0


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, asyncio.CancelledError):
        return False
    if isinstance(exc, openai.RateLimitError | openai.APITimeoutError | openai.APIConnectionError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


class OpenAIChatModel:
    is_llm = True

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        attempts: int = 3,
        http_client: Any | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        # The SDK's own retries are off: one retry policy, ours, visible in one place.
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, http_client=http_client
        )
        self.default_model = model
        self.name = model
        self.attempts = attempts
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._client.close()

    async def _open(self, request: ModelRequest) -> Any:
        kwargs: dict[str, Any] = {
            "model": request.model or self.default_model,
            "messages": request.messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": request.temperature,
        }
        if request.tools:
            kwargs["tools"] = request.tools
        if request.json_output:
            kwargs["response_format"] = {"type": "json_object"}
        if request.max_tokens:
            kwargs["max_tokens"] = request.max_tokens
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(multiplier=0.5, max=8),
            reraise=True,
            sleep=self._sleep,
        ):
            with attempt:
                return await self._client.chat.completions.create(**kwargs)
        raise AssertionError("unreachable")  # AsyncRetrying either returns or re-raises

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        stream = await self._open(request)
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage = Usage()
        model_name = request.model or self.default_model
        async for chunk in stream:
            if getattr(chunk, "usage", None):
                usage = Usage(chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
            if getattr(chunk, "model", None):
                model_name = chunk.model
            for choice in chunk.choices or ():
                delta = choice.delta
                if delta is None:
                    continue
                if delta.content:
                    text.append(delta.content)
                    yield TextDelta(delta.content)
                for part in delta.tool_calls or ():
                    # Tool calls arrive in fragments keyed by index: id and name once, arguments in pieces.
                    slot = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                    if part.id:
                        slot["id"] = part.id
                    if part.function is not None:
                        if part.function.name:
                            slot["name"] += part.function.name
                        if part.function.arguments:
                            slot["arguments"] += part.function.arguments
        tool_calls = tuple(
            ToolCall(c["id"] or f"call_{i}", c["name"], c["arguments"]) for i, c in sorted(calls.items())
        )
        # Labelled by the configured model name (bounded), not the dated name the API answers with.
        metrics.record_model_usage(request.model or self.default_model, usage.prompt_tokens, usage.completion_tokens)
        log.debug("model %s: %d prompt + %d completion tokens, %d tool call(s)", model_name, usage.prompt_tokens,
                  usage.completion_tokens, len(tool_calls))
        yield TurnDone(ModelTurn(content="".join(text) or None, tool_calls=tool_calls, usage=usage,
                                 model=model_name))

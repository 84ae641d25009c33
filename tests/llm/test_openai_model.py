"""OpenAIChatModel against recorded Chat Completions streams (respx; no network)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from agent_brain.llm.base import ModelRequest, TextDelta, TurnDone, complete
from agent_brain.llm.openai_model import OpenAIChatModel

CASSETTES = Path(__file__).parent / "cassettes"
URL = "https://llm.example.test/v1/chat/completions"


def _sse(name: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"},
                          content=(CASSETTES / name).read_bytes())


WAITS: list[float] = []


async def _record_sleep(seconds: float) -> None:
    WAITS.append(seconds)


def _model() -> OpenAIChatModel:
    return OpenAIChatModel(api_key="sk-test-secret", model="gpt-4o", base_url="https://llm.example.test/v1",
                           sleep=_record_sleep)


@respx.mock
async def test_streamed_tool_call_fragments_are_reassembled() -> None:
    route = respx.post(URL).mock(return_value=_sse("tool_calls_stream.sse"))
    turn = await complete(_model(), ModelRequest(messages=[{"role": "user", "content": "Покажи расходы за сегодня"}],
                                                 tools=[{"type": "function", "function": {"name": "getSpendReport"}}]))
    assert [(c.id, c.name, json.loads(c.arguments)) for c in turn.tool_calls] == [
        ("call_q1w2e3", "getSpendReport", {"period": "today", "groupBy": "day"}),
        ("call_r4t5y6", "getCampaigns", {"period": "today"}),
    ]
    assert (turn.usage.prompt_tokens, turn.usage.completion_tokens) == (812, 41)
    assert turn.model == "gpt-4o-2024-08-06"
    sent = json.loads(route.calls.last.request.content)
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["tools"][0]["function"]["name"] == "getSpendReport"
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test-secret"


@respx.mock
async def test_malformed_arguments_are_passed_through_verbatim_for_repair() -> None:
    respx.post(URL).mock(return_value=_sse("malformed_args_stream.sse"))
    turn = await complete(_model(), ModelRequest(messages=[{"role": "user", "content": "spend"}]))
    (call,) = turn.tool_calls
    assert call.arguments == '{"period": "week", '
    with pytest.raises(json.JSONDecodeError):
        json.loads(call.arguments)


@respx.mock
async def test_text_streams_as_deltas_then_one_turn() -> None:
    respx.post(URL).mock(return_value=_sse("text_stream.sse"))
    events = [e async for e in _model().stream(ModelRequest(messages=[{"role": "user", "content": "?"}]))]
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert deltas == ["Расход за сегодня: ", "$48.20", ", лидов: 3."]
    assert isinstance(events[-1], TurnDone) and events[-1].turn.content == "".join(deltas)
    assert sum(isinstance(e, TurnDone) for e in events) == 1


@respx.mock
async def test_429_and_5xx_are_retried_then_succeed() -> None:
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(429, json={"error": {"message": "Rate limit", "type": "requests"}}, headers={"retry-after": "0"}),
        httpx.Response(503, json={"error": {"message": "overloaded"}}),
        _sse("text_stream.sse"),
    ])
    WAITS.clear()
    turn = await complete(_model(), ModelRequest(messages=[{"role": "user", "content": "?"}]))
    assert route.call_count == 3 and turn.content.endswith("лидов: 3.")
    assert len(WAITS) == 2 and all(w > 0 for w in WAITS)  # backed off before each retry


@respx.mock
async def test_client_errors_are_not_retried() -> None:
    import openai

    route = respx.post(URL).mock(return_value=httpx.Response(401, json={"error": {"message": "bad key"}}))
    with pytest.raises(openai.AuthenticationError):
        await complete(_model(), ModelRequest(messages=[{"role": "user", "content": "?"}]))
    assert route.call_count == 1


@respx.mock
async def test_json_output_and_model_override_are_sent() -> None:
    route = respx.post(URL).mock(return_value=_sse("text_stream.sse"))
    await complete(_model(), ModelRequest(messages=[{"role": "user", "content": "?"}], json_output=True,
                                          model="gpt-4o-mini", max_tokens=50))
    sent = json.loads(route.calls.last.request.content)
    assert sent["response_format"] == {"type": "json_object"}
    assert (sent["model"], sent["max_tokens"]) == ("gpt-4o-mini", 50)

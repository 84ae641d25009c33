from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker, BreakerConfig
from agent_brain.platforms.graph.client import BatchRequest, GraphClient
from agent_brain.platforms.graph.errors import (
    AccountThrottledError,
    CircuitOpenError,
    GraphTimeoutError,
    InvalidParameterError,
    NetworkError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    WriteOutcomeUnknown,
)

if TYPE_CHECKING:
    from tests.platforms.conftest import FakeClock, RecordingSleep

MakeClient = Callable[..., GraphClient]


def graph_error(
    code: int, status: int = 400, subcode: int | None = None, headers: dict | None = None
) -> httpx.Response:
    error: dict[str, Any] = {
        "message": f"error {code}",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "T1",
    }
    if subcode:
        error["error_subcode"] = subcode
    return httpx.Response(status, json={"error": error}, headers=headers)


class Script:
    """A MockTransport handler answering from a list (the last answer repeats) and recording requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_get_sends_token_version_and_params(make_client: MakeClient, token: str) -> None:
    script = Script(httpx.Response(200, json={"id": "act_1", "name": "Shop"}))
    client = make_client(script)
    assert await client.get("act_1", {"fields": ["id", "name"], "limit": 5}) == {
        "id": "act_1",
        "name": "Shop",
    }
    [request] = script.requests
    assert request.url.host == "graph.facebook.com"
    assert request.url.path == "/v26.0/act_1"
    assert request.url.params["access_token"] == token
    assert request.url.params["fields"] == '["id","name"]'
    assert request.url.params["limit"] == "5"


async def test_version_and_base_url_are_configurable(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={}))
    client = make_client(script, version="v25.0", base_url="http://sandbox.local/")
    await client.get("/me")
    assert str(script.requests[0].url).startswith("http://sandbox.local/v25.0/me?")


async def test_runs_against_an_in_process_asgi_sandbox(token: str) -> None:
    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        query = dict(httpx.QueryParams(scope["query_string"].decode()))
        body = json.dumps({"path": scope["path"], "token_ok": query.get("access_token") == token}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    breaker = AsyncCircuitBreaker("sandbox", BreakerConfig())
    async with GraphClient(
        token, base_url="http://sandbox", transport=httpx.ASGITransport(app), breaker=breaker
    ) as client:
        assert await client.get("act_9/campaigns") == {"path": "/v26.0/act_9/campaigns", "token_ok": True}


@pytest.mark.parametrize(
    ("answer", "expected", "requests"),
    [
        (graph_error(2, 500), TransientError, 4),
        (httpx.Response(503, text="<html>Service Unavailable</html>"), TransientError, 4),
        (graph_error(4), ThrottledError, 4),  # HTTP 400 carrying an app-level throttling code
        # An account-level limit without advice pauses the account (60 s): no retries inside the call.
        (graph_error(17), AccountThrottledError, 1),
        (graph_error(100), InvalidParameterError, 1),
        (graph_error(190, subcode=463), TokenExpiredError, 1),
        (httpx.ReadTimeout("timed out"), GraphTimeoutError, 4),
        (httpx.ConnectError("refused"), NetworkError, 4),
    ],
    ids=["5xx", "html-503", "code-4", "code-17", "code-100", "code-190", "read-timeout", "connect-error"],
)
async def test_read_retries_per_error_class(
    make_client: MakeClient, sleep: RecordingSleep, answer: Any, expected: type[Exception], requests: int
) -> None:
    script = Script(answer)
    client = make_client(script)
    with pytest.raises(expected):
        await client.get("act_1/campaigns")
    assert len(script.requests) == requests
    assert len(sleep.calls) == requests - 1


async def test_retry_after_header_sets_the_wait(make_client: MakeClient, sleep: RecordingSleep) -> None:
    script = Script(graph_error(613, headers={"Retry-After": "12"}), httpx.Response(200, json={"ok": True}))
    client = make_client(script)
    assert await client.get("act_1/insights") == {"ok": True}
    assert sleep.calls == [12]


async def test_long_regain_time_is_reported_not_slept(
    make_client: MakeClient, sleep: RecordingSleep, clock: FakeClock
) -> None:
    buc = {
        "42": [
            {
                "type": "ads_insights",
                "call_count": 100,
                "total_cputime": 5,
                "total_time": 5,
                "estimated_time_to_regain_access": 15,
            }
        ]
    }
    script = Script(graph_error(80004, headers={"X-Business-Use-Case-Usage": json.dumps(buc)}))
    client = make_client(script)
    with pytest.raises(AccountThrottledError) as info:
        await client.get("act_1/insights")
    assert info.value.retry_after_seconds == 900
    assert len(script.requests) == 1 and sleep.calls == []
    assert "15 мин" in info.value.user_message("ru")
    # The next call to the same account fails at once, naming what is left of the block.
    clock.advance(300)
    with pytest.raises(AccountThrottledError) as again:
        await client.get("act_1/insights")
    assert again.value.retry_after_seconds == 600 and "10 min" in again.value.user_message("en")
    assert len(script.requests) == 1 and sleep.calls == []
    clock.advance(600)
    script.answers = [httpx.Response(200, json={})]
    await client.get("act_1/insights")
    # Sent; only slowed down by the last usage figures seen (100 %), as any call at that usage.
    assert len(script.requests) == 2 and sleep.calls == [client.usage.policy.delay(100)]


async def test_high_app_usage_slows_down_before_the_limit(
    make_client: MakeClient, sleep: RecordingSleep
) -> None:
    script = Script(
        httpx.Response(
            200, json={}, headers={"X-App-Usage": '{"call_count": 95, "total_time": 3, "total_cputime": 3}'}
        ),
        httpx.Response(
            200, json={}, headers={"X-App-Usage": '{"call_count": 10, "total_time": 3, "total_cputime": 3}'}
        ),
    )
    client = make_client(script)
    await client.get("me")
    assert sleep.calls == []
    await client.get("me")
    assert sleep.calls == [pytest.approx(client.usage.policy.delay(95))]
    await client.get("me")
    assert len(sleep.calls) == 1


async def test_breaker_opens_across_calls_and_fails_fast(
    make_client: MakeClient, sleep: RecordingSleep
) -> None:
    script = Script(graph_error(1, 500))
    client = make_client(script)
    with pytest.raises(TransientError):
        await client.get("me")  # 4 failed attempts
    with pytest.raises(CircuitOpenError) as info:
        await client.get("me")  # the 5th failure opens it; the retry is refused without sending
    assert len(script.requests) == 5
    # The fake sleep advanced the clock by the backoff wait taken after the opening failure.
    assert info.value.seconds_until_retry == pytest.approx(60 - sleep.calls[-1])
    assert client.breaker.state == "open"


async def test_client_errors_never_open_the_breaker(make_client: MakeClient) -> None:
    client = make_client(Script(graph_error(100)))
    for _ in range(10):
        with pytest.raises(InvalidParameterError):
            await client.get("act_1", {"fields": "nonexistent"})
    assert client.breaker.state == "closed"


async def test_concurrent_requests_are_in_flight_together(make_client: MakeClient) -> None:
    barrier = asyncio.Barrier(10)

    async def slow(request: httpx.Request) -> httpx.Response:
        await barrier.wait()
        return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[-1]})

    client = make_client(slow)
    results = await asyncio.wait_for(asyncio.gather(*(client.get(f"ad_{i}") for i in range(10))), 2)
    assert [r["id"] for r in results] == [f"ad_{i}" for i in range(10)]


async def test_cancellation_propagates_and_is_not_a_failure(make_client: MakeClient) -> None:
    started = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    client = make_client(hang)
    task = asyncio.create_task(client.get("me"))
    await asyncio.wait_for(started.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert client.breaker.failures == 0


async def test_paginates_by_cursor(make_client: MakeClient) -> None:
    pages = {
        None: {
            "data": [{"id": "1"}, {"id": "2"}],
            "paging": {"cursors": {"after": "c1"}, "next": "https://x?after=c1"},
        },
        "c1": {
            "data": [{"id": "3"}, {"id": "4"}],
            "paging": {"cursors": {"after": "c2"}, "next": "https://x?after=c2"},
        },
        "c2": {"data": [{"id": "5"}], "paging": {"cursors": {"after": "c3"}}},  # no `next`: the end
    }
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=pages[request.url.params.get("after")])

    client = make_client(handler)
    items = [item async for item in client.paginate("act_1/campaigns", {"limit": 2})]
    assert [i["id"] for i in items] == ["1", "2", "3", "4", "5"]
    assert [r.url.params.get("after") for r in requests] == [None, "c1", "c2"]
    assert all(r.url.params["limit"] == "2" for r in requests)


async def test_batch_splits_into_calls_of_at_most_50(make_client: MakeClient) -> None:
    calls: list[list[dict]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ops = json.loads(httpx.QueryParams(request.content.decode())["batch"])
        calls.append(ops)
        answers: list[Any] = []
        for op in ops:
            if op["relative_url"] == "bad":
                answers.append({"code": 400, "body": json.dumps({"error": {"message": "bad", "code": 100}})})
            elif op["relative_url"] == "lost":
                answers.append(None)
            else:
                answers.append({"code": 200, "headers": [], "body": json.dumps({"id": op["relative_url"]})})
        return httpx.Response(200, json=answers)

    requests = [BatchRequest("GET", f"{i}?fields=id") for i in range(120)]
    requests[7] = BatchRequest("GET", "bad")
    requests[64] = BatchRequest("GET", "lost")
    client = make_client(handler)
    results = await client.batch(requests)

    assert [len(ops) for ops in calls] == [50, 50, 20]
    assert len(results) == 120
    assert results[0].ok and results[0].body == {"id": "0?fields=id"}
    assert results[119].body == {"id": "119?fields=id"}
    assert isinstance(results[7].error, InvalidParameterError) and results[7].status == 400
    assert isinstance(results[64].error, TransientError)
    assert sum(r.ok for r in results) == 118


async def test_batch_write_chunk_with_unknown_outcome(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    client = make_client(script)
    results = await client.batch(
        [BatchRequest("POST", "123", {"daily_budget": 5000}), BatchRequest("GET", "me")]
    )
    assert len(script.requests) == 1  # a write chunk is not re-sent blindly
    assert all(isinstance(r.error, WriteOutcomeUnknown) for r in results)
    body = httpx.QueryParams(script.requests[0].content.decode())
    assert json.loads(body["batch"])[0] == {
        "method": "POST",
        "relative_url": "123",
        "body": "daily_budget=5000",
    }


async def test_write_timeout_without_verify_is_outcome_unknown(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    client = make_client(script)
    with pytest.raises(WriteOutcomeUnknown) as info:
        await client.post("120000111", {"daily_budget": 5000})
    assert len(script.requests) == 1
    assert isinstance(info.value.__cause__, GraphTimeoutError)
    assert "неизвестно" in info.value.user_message("ru")


async def test_write_5xx_is_outcome_unknown_too(make_client: MakeClient) -> None:
    script = Script(graph_error(2, 500))
    client = make_client(script)
    with pytest.raises(WriteOutcomeUnknown):
        await client.post("120000111", {"status": "PAUSED"})
    assert len(script.requests) == 1


async def test_write_timeout_verified_applied_is_not_resent(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    client = make_client(script)
    verified = 0

    async def verify() -> dict | None:
        nonlocal verified
        verified += 1
        return {"id": "120000111", "daily_budget": "5000"}

    assert await client.post("120000111", {"daily_budget": 5000}, verify=verify) == {
        "id": "120000111",
        "daily_budget": "5000",
    }
    assert [r.method for r in script.requests] == ["POST"]
    assert verified == 1


async def test_write_timeout_verified_absent_is_resent_once(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"), httpx.Response(200, json={"success": True}))
    client = make_client(script)

    async def verify() -> dict | None:
        return None

    assert await client.post("120000111", {"daily_budget": 5000}, verify=verify) == {"success": True}
    assert [r.method for r in script.requests] == ["POST", "POST"]


async def test_write_resend_is_bounded(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    client = make_client(script)

    async def verify() -> dict | None:
        return None

    # Verified absent both times: the change certainly did not happen, so the real error surfaces.
    with pytest.raises(GraphTimeoutError):
        await client.post("120000111", {"daily_budget": 5000}, verify=verify)
    assert len(script.requests) == 2


async def test_failed_read_back_leaves_the_outcome_unknown(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    client = make_client(script)

    async def verify() -> dict | None:
        return await client.get("120000111", {"fields": "daily_budget"})  # times out as well

    with pytest.raises(WriteOutcomeUnknown) as info:
        await client.post("120000111", {"daily_budget": 5000}, verify=verify)
    assert isinstance(info.value.__cause__, GraphTimeoutError)
    assert [r.method for r in script.requests].count("POST") == 1


async def test_write_retried_when_it_never_left(make_client: MakeClient) -> None:
    script = Script(httpx.ConnectError("refused"), graph_error(4), httpx.Response(200, json={"id": "9"}))
    client = make_client(script)
    assert await client.post("act_1/campaigns", {"name": "Spring"}) == {"id": "9"}
    assert len(script.requests) == 3


async def test_delete(make_client: MakeClient) -> None:
    script = Script(httpx.Response(200, json={"success": True}))
    client = make_client(script)
    assert await client.delete("120000111") == {"success": True}
    assert script.requests[0].method == "DELETE"


async def test_token_never_leaks(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture, token: str
) -> None:
    # Meta echoing the token back in an error message is the worst case for redaction.
    echo = httpx.Response(400, json={"error": {"message": f"Malformed access token {token}", "code": 190}})
    script = Script(httpx.Response(200, json={}), echo, httpx.ReadTimeout(f"timed out for {token}"))
    client = make_client(script)
    caplog.set_level(logging.DEBUG)

    await client.get("act_1/campaigns")
    with pytest.raises(TokenExpiredError) as token_error:
        await client.get("me")
    with pytest.raises(WriteOutcomeUnknown) as unknown:
        await client.post("120000111", {"daily_budget": 5000})
    logging.getLogger("agent_brain.platforms.graph.client").info("oops %s", token)

    # The token really travelled, and httpx really logged the request URLs.
    assert all(r.url.params["access_token"] == token for r in script.requests)
    assert any(r.name == "httpx" and "act_1/campaigns" in r.getMessage() for r in caplog.records)
    assert any(
        r.name.endswith("graph.client") and "act_1/campaigns" in r.getMessage() for r in caplog.records
    )

    # httpx logs the request it holds: the token is added below it, so there was nothing to redact.
    assert not any(r.name == "httpx" and "access_token" in r.getMessage() for r in caplog.records)
    assert token not in caplog.text
    for record in caplog.records:
        assert token not in record.getMessage()
    for exc in (token_error.value, unknown.value, unknown.value.__cause__):
        assert token not in str(exc)
        assert token not in repr(exc)
        assert token not in "".join(traceback.format_exception(exc))
    assert token not in repr(client)
    timeout = unknown.value.__cause__
    assert isinstance(timeout, GraphTimeoutError)
    assert "ReadTimeout" in str(timeout)
    # httpx's exception (and the token-bearing request inside its frames) is not chained.
    assert timeout.__cause__ is None and timeout.__context__ is None

"""A rate limit on one ad account pauses that account only; the platform breaker counts only
platform-wide failures (5xx, timeouts, connection errors, codes 1/2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pydantic import BaseModel

from agent_brain.platforms.graph.breaker import AccountThrottles
from agent_brain.platforms.graph.client import BatchRequest, GraphClient, account_scope
from agent_brain.platforms.graph.errors import (
    AccountThrottledError,
    CircuitOpenError,
    ThrottledError,
    TransientError,
)
from agent_brain.tools.registry import READ, ToolRegistry, run_tool

if TYPE_CHECKING:
    from tests.platforms.conftest import FakeClock, RecordingSleep

MakeClient = Callable[..., GraphClient]


def throttle(code: int = 80004, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"message": "User request limit reached", "type": "OAuthException", "code": code,
                      "error_subcode": 2446079, "fbtrace_id": "T1"}}
    return httpx.Response(400, json=body, headers=headers)


def regain(minutes: int) -> dict[str, str]:
    return {"X-Business-Use-Case-Usage": json.dumps({"42": [{
        "type": "ads_management", "call_count": 10, "total_cputime": 5, "total_time": 5,
        "estimated_time_to_regain_access": minutes}]})}


class Accounts:
    """A Graph stand-in answering per ad account: `act_1` with `busy` while set, everything else 200."""

    def __init__(self) -> None:
        self.busy: httpx.Response | None = throttle()
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v26.0/")
        self.seen.append(path)
        if path.startswith("act_1/") and self.busy is not None:
            return self.busy
        return httpx.Response(200, json={"data": [{"id": path}]})


async def test_one_throttled_account_never_opens_the_breaker_and_others_keep_working(
    make_client: MakeClient, clock: FakeClock
) -> None:
    accounts = Accounts()
    client = make_client(accounts)
    for _ in range(12):  # far beyond the breaker's fail_max of 5
        with pytest.raises(AccountThrottledError):
            await client.get("act_1/campaigns")
        assert (await client.get("act_2/campaigns"))["data"] == [{"id": "act_2/campaigns"}]
        clock.advance(client.throttles.seconds_left("act_1"))  # let act_1 reach Meta again
    assert client.breaker.state == "closed" and client.breaker.failures == 0
    assert accounts.seen.count("act_1/campaigns") == 12


async def test_a_5xx_burst_opens_the_breaker_for_every_account(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html>Service Unavailable</html>")

    client = make_client(handler)
    with pytest.raises(TransientError):
        await client.get("act_1/campaigns")  # 4 attempts
    with pytest.raises(CircuitOpenError):
        await client.get("act_1/campaigns")  # the 5th failure opens it
    with pytest.raises(CircuitOpenError):
        await client.get("act_2/campaigns")
    assert client.breaker.state == "open"
    assert client.throttles.statuses() == []


async def test_paused_account_fails_fast_naming_the_wait_then_works(
    make_client: MakeClient, clock: FakeClock, sleep: RecordingSleep
) -> None:
    accounts = Accounts()
    accounts.busy = throttle(17, regain(5))
    client = make_client(accounts)
    with pytest.raises(AccountThrottledError) as first:
        await client.get("act_1/insights")
    assert first.value.account_id == "act_1" and first.value.retry_after_seconds == 300
    assert first.value.user_message("ru") == (
        "Facebook временно ограничил запросы к рекламному аккаунту act_1. Повторите через 5 мин.")

    clock.advance(200)
    accounts.busy = None
    with pytest.raises(AccountThrottledError) as second:
        await client.post("act_1/campaigns", {"name": "x"})  # writes wait too, and are not sent
    assert second.value.user_message("en") == (
        "Facebook is temporarily limiting requests to ad account act_1. Try again in 100 s.")
    assert accounts.seen == ["act_1/insights"] and sleep.calls == []
    [paused] = client.throttles.statuses()
    assert (paused.account_id, paused.seconds_left, paused.code) == ("act_1", 100, 17)

    clock.advance(100)
    assert await client.get("act_1/insights") == {"data": [{"id": "act_1/insights"}]}
    assert client.throttles.statuses() == []


async def test_without_advice_the_pause_grows_until_the_account_answers(
    make_client: MakeClient, clock: FakeClock
) -> None:
    accounts = Accounts()
    client = make_client(accounts, throttles=AccountThrottles(clock=clock, default_pause=60, max_pause=200))
    pauses = []
    for _ in range(4):
        with pytest.raises(AccountThrottledError) as info:
            await client.get("act_1/campaigns")
        pauses.append(info.value.retry_after_seconds)
        clock.advance(info.value.retry_after_seconds or 0)
    assert pauses == [60, 120, 200, 200]
    accounts.busy = None
    await client.get("act_1/campaigns")
    accounts.busy = throttle(80000)
    with pytest.raises(AccountThrottledError) as info:
        await client.get("act_1/campaigns")
    assert info.value.retry_after_seconds == 60


async def test_a_short_advised_wait_is_slept_inside_the_call(
    make_client: MakeClient, sleep: RecordingSleep
) -> None:
    accounts = Accounts()
    answers = [throttle(613, {"Retry-After": "5"})]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else accounts(request)

    accounts.busy = None
    client = make_client(handler)
    assert await client.get("act_1/insights") == {"data": [{"id": "act_1/insights"}]}
    assert sleep.calls == [5]


async def test_account_usage_at_100_percent_pauses_that_account(make_client: MakeClient, clock: FakeClock) -> None:
    usage = {"X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 100, "reset_time_duration": 240})}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True}, headers=usage if "act_1" in request.url.path else None)

    client = make_client(handler)
    await client.get("act_1/campaigns")  # answered, but the account's window is used up
    with pytest.raises(AccountThrottledError) as info:
        await client.get("act_1/campaigns")
    assert info.value.retry_after_seconds == 240
    assert await client.get("act_2/campaigns") == {"ok": True}
    clock.advance(240)
    assert await client.get("act_1/campaigns") == {"ok": True}


async def test_account_scope_names_the_account_of_object_paths(make_client: MakeClient) -> None:
    answers: list[Any] = [throttle(17, regain(3))]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers[0]

    client = make_client(handler)
    with account_scope("act_1"), pytest.raises(AccountThrottledError):
        await client.get("120000111")  # a campaign id: the account comes from the scope
    answers[0] = httpx.Response(200, json={"id": "120000222"})
    with account_scope("act_1"), pytest.raises(AccountThrottledError):
        await client.get("120000222")
    with account_scope("act_2"):
        assert await client.get("120000222") == {"id": "120000222"}


async def test_throttle_with_no_known_account_pauses_nothing(make_client: MakeClient) -> None:
    client = make_client(lambda request: throttle(17, regain(3)))
    with pytest.raises(ThrottledError) as info:
        await client.get("120000111")
    assert not isinstance(info.value, AccountThrottledError)
    assert client.throttles.statuses() == [] and client.breaker.state == "closed"


async def test_a_throttled_operation_inside_a_batch_pauses_its_account(make_client: MakeClient) -> None:
    throttled = {"code": 400, "headers": [{"name": "X-Business-Use-Case-Usage", "value": regain(4)[
        "X-Business-Use-Case-Usage"]}], "body": json.dumps({"error": {"message": "limit", "code": 80004}})}
    answered = {"code": 200, "headers": [], "body": json.dumps({"data": []})}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("act_2/campaigns"):
            return httpx.Response(200, json={"data": []})
        return httpx.Response(200, json=[throttled, answered, throttled])

    client = make_client(handler)
    results = await client.batch([BatchRequest("GET", "act_1/insights"), BatchRequest("GET", "act_2/insights"),
                                  BatchRequest("GET", "act_1/campaigns")])
    assert [r.ok for r in results] == [False, True, False]
    [paused] = client.throttles.statuses()
    assert (paused.account_id, paused.seconds_left, paused.code) == ("act_1", 240, 80004)
    with pytest.raises(AccountThrottledError):
        await client.get("act_1/campaigns")
    assert await client.get("act_2/campaigns") == {"data": []}


class ObjectArgs(BaseModel):
    objectId: str


async def test_a_tool_call_on_an_object_id_counts_against_the_callers_account(make_client: MakeClient) -> None:
    """`run_tool` scopes the handler's Graph calls to the caller's ad account."""
    answers = [throttle(17, regain(3))]
    client = make_client(lambda request: answers[0])
    registry = ToolRegistry("t")

    @registry.tool(kind=READ)
    async def readObject(args: ObjectArgs, ctx) -> dict:  # type: ignore[no-untyped-def]
        """Read one object by id."""
        return await client.get(args.objectId)

    tool = registry.get("readObject")
    first = await run_tool(tool, tool.validate({"objectId": "120000111"}),
                           SimpleNamespace(language="ru", platform_account_id="act_1"))
    assert not first.success and first.error == (
        "Facebook временно ограничил запросы к рекламному аккаунту act_1. Повторите через 3 мин.")
    answers[0] = httpx.Response(200, json={"id": "120000222"})
    again = await run_tool(tool, tool.validate({"objectId": "120000222"}),
                           SimpleNamespace(language="en", platform_account_id="act_1"))
    assert not again.success and "ad account act_1" in (again.error or "")
    other = await run_tool(tool, tool.validate({"objectId": "120000222"}),
                           SimpleNamespace(language="en", platform_account_id="act_2"))
    assert other.success and other.data == {"id": "120000222"}

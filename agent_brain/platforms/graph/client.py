"""`GraphClient`: the one way this project talks to the Meta Graph / Marketing API.

Each call: the ad account's pause (if Meta limits it) → pre-emptive usage delay → circuit
breaker → one HTTP exchange → usage headers recorded → errors classified. A rate limit on one ad
account pauses that account only; the platform's breaker counts only platform-wide failures.
Reads retry under `read_policy`; writes retry only when the server certainly did not apply them,
and an outcome-unknown write is reconciled by reading back.

The access token is added as the `access_token` query parameter by the innermost transport,
so no `httpx.Request` visible outside it (httpx's own request log, `response.request`,
`exc.request`, event hooks) ever carries it; the Graph API accepts it in the query for POST too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from agent_brain.config import GRAPH_API_VERSION
from agent_brain.observability import metrics
from agent_brain.platforms.graph.breaker import AccountThrottles, AsyncCircuitBreaker, get_breaker
from agent_brain.platforms.graph.errors import (
    ACCOUNT_THROTTLE_CODES,
    AccountThrottledError,
    GraphError,
    GraphTimeoutError,
    NetworkError,
    ThrottledError,
    TransientError,
    WriteOutcomeUnknown,
    error_from_response,
)
from agent_brain.platforms.graph.redact import install_log_redaction, redact_text, register_secret
from agent_brain.platforms.graph.retry import RetryPolicy, Sleep, read_policy, write_policy
from agent_brain.platforms.graph.usage import UsageTracker, account_from_path

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_TIMEOUT_SECONDS = 25.0
MAX_BATCH_SIZE = 50

JsonObject = dict[str, Any]
Verify = Callable[[], Awaitable[Mapping[str, Any] | None]]
"""Reads the object back after an outcome-unknown write: the data showing the change if it is
present (returned to the caller as the write's result), None if it is absent."""


_current_account: ContextVar[str | None] = ContextVar("graph_account", default=None)


@contextmanager
def account_scope(account_id: str | None) -> Iterator[None]:
    """Calls made inside act for `account_id` (e.g. "act_123"): paths that do not name an ad
    account (`<campaign id>`, the batch endpoint) are paused and throttled as that account's."""
    reset = _current_account.set(account_id)
    try:
        yield
    finally:
        _current_account.reset(reset)


_current_token: ContextVar[str | None] = ContextVar("graph_access_token", default=None)


@contextmanager
def token_scope(token: str | None) -> Iterator[None]:
    """Calls made inside use `token` (an ad account's own, from the encrypted store) instead of the client's
    process-wide one; None keeps the client's. The token is registered for redaction first."""
    if token:
        register_secret(token)
    reset = _current_token.set(token or None)
    try:
        yield
    finally:
        _current_token.reset(reset)


class _SecretLike(Protocol):
    def get_secret_value(self) -> str: ...


class _TokenTransport(httpx.AsyncBaseTransport):
    """Adds `access_token` to a copy of each request on its way to the network."""

    def __init__(self, inner: httpx.AsyncBaseTransport, token: str) -> None:
        self._inner = inner
        self._token = token

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.path.endswith("/debug_token") and "input_token" not in url.params:
            url = url.copy_add_param("input_token", self._token)  # inspecting our own token, never exposed
        authed = httpx.Request(
            request.method,
            url.copy_add_param("access_token", _current_token.get() or self._token),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self._inner.handle_async_request(authed)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __repr__(self) -> str:
        return f"_TokenTransport({self._inner!r})"


@dataclass(frozen=True)
class BatchRequest:
    """One operation of a batch call; `relative_url` is relative to the version root."""

    method: str
    relative_url: str
    body: Mapping[str, Any] | None = None
    name: str | None = None

    @property
    def is_read(self) -> bool:
        return self.method.upper() == "GET"

    def to_json(self) -> JsonObject:
        item: JsonObject = {"method": self.method.upper(), "relative_url": self.relative_url.lstrip("/")}
        if self.body:
            item["body"] = str(httpx.QueryParams(_encode(self.body)))
        if self.name:
            item["name"] = self.name
        return item


@dataclass(frozen=True)
class BatchResult:
    request: BatchRequest
    status: int | None
    body: Any = None
    error: GraphError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _encode(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Graph parameter encoding: structures as JSON, booleans as true/false, None omitted."""
    encoded: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[key] = "true" if value else "false"
        elif isinstance(value, Mapping | list | tuple):
            encoded[key] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        else:
            encoded[key] = str(value)
    return encoded


def _network_error(exc: httpx.TransportError, method: str, path: str) -> NetworkError:
    # Only these certainly failed before any byte of the request reached Meta.
    sent = not isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError
    )
    message = f"{type(exc).__name__} on {method} {path}: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return GraphTimeoutError(message, sent=sent)
    return NetworkError(message, sent=sent)


def _outcome_unknown(exc: GraphError) -> bool:
    """A write failed in a way that does not tell whether Meta applied it."""
    if isinstance(exc, NetworkError):
        return exc.sent
    return isinstance(exc, TransientError)


def _as_object(value: Any) -> JsonObject:
    if isinstance(value, dict):
        return value
    # Some older edges answer a bare `true`.
    return {"success": value} if isinstance(value, bool) else {"data": value}


class GraphClient:
    """An async Graph API client over one pooled `httpx.AsyncClient`.

    Args:
        access_token: user or system-user token; registered for redaction at once.
        version: Graph API version, e.g. "v26.0".
        base_url: scheme and host (default graph.facebook.com); point it at a sandbox together
            with `transport=httpx.ASGITransport(app)`.
        transport: replaces the network transport (tests, sandbox).
        breaker: defaults to the process-wide "meta" breaker.
        usage: defaults to a tracker of this client's own.
        sleep: used for retry waits and usage delays; tests inject a recorder.
        max_write_resends: re-sends allowed after a read-back found an outcome-unknown write absent.
        throttles: per-ad-account pauses (defaults to a set of this client's own).
        max_throttle_wait: a paused account's call waits out a pause up to this long (seconds);
            a longer one fails at once with `AccountThrottledError` naming the wait.
    """

    def __init__(
        self,
        access_token: str | _SecretLike,
        *,
        version: str = GRAPH_API_VERSION,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        proxy: str | None = None,
        breaker: AsyncCircuitBreaker | None = None,
        usage: UsageTracker | None = None,
        reads: RetryPolicy | None = None,
        writes: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        max_write_resends: int = 1,
        throttles: AccountThrottles | None = None,
        max_throttle_wait: float = 15.0,
    ) -> None:
        token = access_token if isinstance(access_token, str) else access_token.get_secret_value()
        if not token:
            raise ValueError("access_token is empty")
        register_secret(token)
        install_log_redaction()
        self.root_url = f"{base_url.rstrip('/')}/{version.strip('/')}"
        self.write_generation = 0  # bumped by every write: what was read before may have changed
        inner = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20), proxy=proxy
        )
        # trust_env=False: environment proxies would be mounted beside our transport and bypass it.
        self._http = httpx.AsyncClient(
            transport=_TokenTransport(inner, token),
            timeout=httpx.Timeout(timeout),
            trust_env=False,
            headers={"User-Agent": "agent-brain"},
        )
        self.breaker = breaker or get_breaker("meta")
        self.usage = usage or UsageTracker()
        self.throttles = throttles or AccountThrottles()
        self._max_throttle_wait = max_throttle_wait
        self._reads = reads or read_policy()
        self._writes = writes or write_policy()
        self._sleep = sleep
        self._max_write_resends = max_write_resends

    def __repr__(self) -> str:
        return f"GraphClient(root_url={self.root_url!r}, platform={self.breaker.platform!r})"

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # Public calls

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> JsonObject:
        return _as_object(await self._reads.call(self._call, "GET", path, params, None, sleep=self._sleep))

    async def post(
        self, path: str, data: Mapping[str, Any] | None = None, *, verify: Verify | None = None
    ) -> JsonObject:
        """A write. Raises `WriteOutcomeUnknown` when Meta may or may not have applied it and no
        `verify` was given; with `verify`, re-sends only if the read-back finds it absent."""
        return _as_object(await self._write("POST", path, data, verify))

    async def delete(self, path: str, *, verify: Verify | None = None) -> JsonObject:
        return _as_object(await self._write("DELETE", path, None, verify))

    async def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> AsyncIterator[JsonObject]:
        """Yield every item of an edge, page by page (each page retried as a read).

        Follows `paging.cursors.after`, never the `next` URL; a page without `next` is the last.
        """
        query = dict(params or {})
        while True:
            page = await self.get(path, query)
            for item in page.get("data") or []:
                yield item
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            query["after"] = after

    async def batch(self, requests: Sequence[BatchRequest]) -> list[BatchResult]:
        """Run operations through the batch endpoint, ≤ 50 per HTTP call, in order.

        Each result carries its own body or `GraphError`. A chunk that fails as a whole gives
        every one of its items that error (`WriteOutcomeUnknown` for a chunk with writes whose
        outcome is unknown); later chunks still run. Read-only chunks retry as reads, others
        as writes.
        """
        results: list[BatchResult] = []
        for start in range(0, len(requests), MAX_BATCH_SIZE):
            chunk = requests[start : start + MAX_BATCH_SIZE]
            read_only = all(r.is_read for r in chunk)
            data = {"batch": [r.to_json() for r in chunk]}
            policy = self._reads if read_only else self._writes
            if not read_only:
                self.write_generation += 1
            try:
                raw = await policy.call(self._call, "POST", "", None, data, sleep=self._sleep)
            except GraphError as exc:
                error = (
                    exc if read_only or not _outcome_unknown(exc) else WriteOutcomeUnknown("POST", "batch")
                )
                results.extend(BatchResult(r, None, None, error) for r in chunk)
                continue
            chunk_results = self._batch_results(chunk, raw)
            self._pause_throttled_accounts(chunk_results)
            results.extend(chunk_results)
        return results

    # Internals

    async def _write(
        self, method: str, path: str, data: Mapping[str, Any] | None, verify: Verify | None
    ) -> Any:
        self.write_generation += 1  # cached listings (meta/listings.py) are not reused across a write
        resends = 0
        while True:
            try:
                return await self._writes.call(self._call, method, path, None, data, sleep=self._sleep)
            except GraphError as exc:
                if not _outcome_unknown(exc):
                    raise
                if verify is None:
                    raise WriteOutcomeUnknown(method, path) from exc
                try:
                    found = await verify()
                except GraphError as verify_exc:
                    raise WriteOutcomeUnknown(method, path) from verify_exc
                if found is not None:
                    log.info("graph %s %s: outcome was unknown, read-back shows it applied", method, path)
                    return found
                if resends >= self._max_write_resends:
                    raise
                resends += 1
                log.warning(
                    "graph %s %s: outcome was unknown, read-back shows it absent; re-sending", method, path
                )

    async def _call(
        self, method: str, path: str, params: Mapping[str, Any] | None, data: Mapping[str, Any] | None
    ) -> Any:
        """One attempt: the account's pause and usage delay, then the exchange under the breaker."""
        account = account_from_path(path) or _current_account.get()
        await self.throttles.refresh()  # other processes' pauses; free while the shared copy is fresh
        delay = max(self._account_wait(account), self.usage.delay_for(account))
        if delay > 0:
            log.info(
                "graph usage high (%.0f%%) or account paused: waiting %.1f s before %s %s",
                self.usage.usage_pct(account),
                delay,
                method,
                path,
            )
            await self._sleep(delay)
        try:
            result = await self.breaker.call(self._exchange, method, path, params, data, account)
        except ThrottledError as exc:
            if account is None or exc.code not in ACCOUNT_THROTTLE_CODES:
                raise
            pause = self.throttles.throttled(account, exc.retry_after_seconds, code=exc.code)
            log.warning("graph: ad account %s throttled (code %s), paused for %.0f s", account, exc.code, pause)
            if pause > self._max_throttle_wait:
                raise AccountThrottledError(account, pause, code=exc.code) from exc
            raise
        if account is not None:
            self.throttles.answered(account)
        return result

    def _account_wait(self, account: str | None) -> float:
        """Seconds to wait for the account's pause; raises `AccountThrottledError` if too long."""
        if account is None:
            return 0.0
        blocked = self.usage.blocked_seconds(account)
        if blocked > 0:
            self.throttles.pause(account, blocked)
        return self.throttles.check(account, max_wait=self._max_throttle_wait)

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        account: str | None,
    ) -> Any:
        url = f"{self.root_url}/{path.lstrip('/')}"
        shown = redact_text(path)
        started = time.perf_counter()
        failure: NetworkError | None = None
        try:
            response = await self._http.request(
                method, url, params=_encode(params), data=_encode(data) if data else None
            )
        except httpx.TransportError as exc:
            log.debug(
                "graph %s %s -> %s in %.0f ms",
                method,
                shown,
                type(exc).__name__,
                (time.perf_counter() - started) * 1000,
            )
            failure = _network_error(exc, method, shown)
        if failure is not None:
            self._count(method, None, type(failure).__name__, started)
            # Raised outside the `except` so the httpx exception is not chained: its text and
            # traceback frames come from below the token-adding transport. Its type and
            # (redacted) message are kept in ours.
            raise failure
        log.debug(
            "graph %s %s -> %d in %.0f ms",
            method,
            shown,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        self.usage.update(response.headers, account)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            error = error_from_response(response.status_code, body, response.headers)
            self._count(method, response.status_code, type(error).__name__, started)
            raise error
        self._count(method, response.status_code, "none" if body is not None else "TransientError", started)
        if body is None:
            # A 2xx with a cut-off or non-JSON body: what happened is unknown, like a 5xx.
            raise TransientError(
                f"unreadable response body for {method} {shown}", http_status=response.status_code
            )
        return body

    def _count(self, method: str, status: int | None, error_class: str, started: float) -> None:
        """Platform call metrics: by HTTP status class and error class (both bounded)."""
        platform = self.breaker.platform
        metrics.PLATFORM_CALLS.labels(platform, method, metrics.status_class(status), error_class).inc()
        metrics.PLATFORM_SECONDS.labels(platform, method).observe(time.perf_counter() - started)

    def _pause_throttled_accounts(self, results: Sequence[BatchResult]) -> None:
        """Operations of a batch refused for an ad account's rate pause that account (once per batch)."""
        paused: set[str] = set()
        for result in results:
            exc = result.error
            if not isinstance(exc, ThrottledError) or exc.code not in ACCOUNT_THROTTLE_CODES:
                continue
            account = account_from_path(result.request.relative_url) or _current_account.get()
            if account is not None and account not in paused:
                paused.add(account)
                self.throttles.throttled(account, exc.retry_after_seconds, code=exc.code)

    def _batch_results(self, chunk: Sequence[BatchRequest], raw: Any) -> list[BatchResult]:
        items = raw if isinstance(raw, list) else []
        results = []
        for index, request in enumerate(chunk):
            item = items[index] if index < len(items) else None
            if not isinstance(item, Mapping):
                # Meta answers null for operations it did not get to within the call's time.
                error: GraphError = (
                    TransientError("batch operation was not executed")
                    if request.is_read
                    else WriteOutcomeUnknown(request.method.upper(), request.relative_url)
                )
                results.append(BatchResult(request, None, None, error))
                continue
            status = int(item.get("code") or 0)
            try:
                body = json.loads(item["body"]) if isinstance(item.get("body"), str) else item.get("body")
            except ValueError:
                body = item.get("body")
            headers = {
                h["name"]: h["value"]
                for h in item.get("headers") or []
                if isinstance(h, Mapping) and "name" in h and "value" in h
            }
            if status >= 400 or (isinstance(body, dict) and "error" in body):
                results.append(BatchResult(request, status, body, error_from_response(status, body, headers)))
            else:
                results.append(BatchResult(request, status, body))
        return results

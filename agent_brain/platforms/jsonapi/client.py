"""`ApiClient`: the Graph client machinery for other JSON-over-HTTPS ad APIs (TikTok, Google Ads).

Each call runs like a Graph call: the platform's own circuit breaker → one HTTP exchange → the
platform's classifier turns the answer into a typed `GraphError` (the shared error family, named
after this platform in user messages) → the named read/write retry policies of `graph.retry`.
Reads retry on the platform's failures, throttling and network errors; writes repeat only when
the server certainly did not apply them, and an outcome-unknown write is reconciled by reading
back, exactly as `GraphClient` does.

Credentials travel in headers (TikTok `Access-Token`; Google `Authorization`, `developer-token`)
added by the innermost transport, so no `httpx.Request` seen outside it carries them; each secret
is registered for log redaction at once. Inside `api_token_scope({platform: token})` a linked
account's own token (from the encrypted store) replaces the process-wide one for that platform's
calls, as `graph.client.token_scope` does for Meta.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx

from agent_brain.platforms.graph.breaker import AsyncCircuitBreaker, get_breaker
from agent_brain.platforms.graph.client import Verify, _network_error, _outcome_unknown
from agent_brain.platforms.graph.errors import GraphError, NetworkError, TransientError, WriteOutcomeUnknown
from agent_brain.platforms.graph.redact import install_log_redaction, redact_text, register_secret
from agent_brain.platforms.graph.retry import RetryPolicy, Sleep, read_policy, write_policy

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 25.0

Classifier = Callable[[int, Any, Mapping[str, str]], GraphError | None]
"""(HTTP status, parsed JSON body or None, headers) → the error this answer means, or None if it
is a success. Each platform has its own (TikTok branches on the body's `code`, Google on the
HTTP status and the `GoogleAdsFailure` details)."""


_current_tokens: ContextVar[Mapping[str, str] | None] = ContextVar("api_access_tokens", default=None)


@contextmanager
def api_token_scope(tokens: Mapping[str, str | None]) -> Iterator[None]:
    """Calls made inside use, per platform ("tiktok", "google"), that platform's token given here
    (a linked account's own) instead of the client's process-wide one; platforms not named (or
    named with None) keep the client's. Each token is registered for redaction first."""
    given = {platform: token for platform, token in tokens.items() if token}
    for token in given.values():
        register_secret(token)
    reset = _current_tokens.set({**(_current_tokens.get() or {}), **given})
    try:
        yield
    finally:
        _current_tokens.reset(reset)


class _HeaderTransport(httpx.AsyncBaseTransport):
    """Adds the secret headers to a copy of each request on its way to the network; the access
    token header comes from `api_token_scope` when one is set for this platform."""

    def __init__(self, inner: httpx.AsyncBaseTransport, headers: Mapping[str, str], *, platform: str = "",
                 token_header: tuple[str, str] | None = None) -> None:
        self._inner = inner
        self._headers = dict(headers)
        self._platform = platform
        self._token_header = token_header  # (header name, value template with `{}` for the token)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = request.headers.copy()
        headers.update(self._headers)
        if self._token_header is not None and (own := (_current_tokens.get() or {}).get(self._platform)):
            name, template = self._token_header
            headers[name] = template.format(own)
        authed = httpx.Request(request.method, request.url, headers=headers, stream=request.stream,
                               extensions=request.extensions)
        return await self._inner.handle_async_request(authed)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __repr__(self) -> str:
        return f"_HeaderTransport({self._inner!r})"


class ApiClient:
    """An async client for one ad platform's JSON API over one pooled `httpx.AsyncClient`.

    Args:
        platform: breaker name ("tiktok", "google").
        platform_name: how user messages name it ("TikTok", "Google Ads").
        root_url: everything before the operation path, e.g. ".../open_api/v1.3".
        secrets: headers carrying credentials; their values (and `secret_values`) are redacted.
        classify: the platform's answer → error mapping.
        token_header: (header, template) the access token travels in, e.g. ("Authorization",
            "Bearer {}"): an account's own token from `api_token_scope` is put there.
    """

    def __init__(
        self,
        *,
        platform: str,
        platform_name: str,
        root_url: str,
        secrets: Mapping[str, str],
        classify: Classifier,
        secret_values: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        breaker: AsyncCircuitBreaker | None = None,
        reads: RetryPolicy | None = None,
        writes: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        max_write_resends: int = 1,
        token_header: tuple[str, str] | None = None,
    ) -> None:
        if not all(secrets.values()):
            raise ValueError(f"{platform}: a credential is empty")
        for value in (*secrets.values(), *secret_values):
            register_secret(value)
        install_log_redaction()
        install_log_redaction((__name__,))
        self.platform = platform
        self.platform_name = platform_name
        self.root_url = root_url.rstrip("/")
        self._classify = classify
        inner = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
        authed = _HeaderTransport(inner, secrets, platform=platform, token_header=token_header)
        self._http = httpx.AsyncClient(transport=authed, timeout=httpx.Timeout(timeout), trust_env=False,
                                       headers={"User-Agent": "agent-brain", **(headers or {})})
        self.breaker = breaker or get_breaker(platform)
        self._reads = reads or read_policy()
        self._writes = writes or write_policy()
        self._sleep = sleep
        self._max_write_resends = max_write_resends
        self.calls = 0  # HTTP exchanges attempted (benchmarks and tests count them)

    def __repr__(self) -> str:
        return f"ApiClient(platform={self.platform!r}, root_url={self.root_url!r})"

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self._named(self._reads.call(self._exchange_guarded, "GET", path, params, None,
                                                  sleep=self._sleep))

    async def read_post(self, path: str, body: Mapping[str, Any]) -> Any:
        """A POST that only reads (Google's `googleAds:searchStream`): retried as a read."""
        return await self._named(self._reads.call(self._exchange_guarded, "POST", path, None, body,
                                                  sleep=self._sleep))

    async def post(self, path: str, body: Mapping[str, Any], *, verify: Verify | None = None) -> Any:
        """A write. Raises `WriteOutcomeUnknown` when the platform may or may not have applied it
        and no `verify` was given; with `verify`, re-sends only if the read-back finds it absent."""
        return await self._named(self._write(path, body, verify))

    async def _named(self, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except GraphError as exc:
            exc.platform_name = self.platform_name
            raise

    async def _write(self, path: str, body: Mapping[str, Any], verify: Verify | None) -> Any:
        resends = 0
        while True:
            try:
                return await self._writes.call(self._exchange_guarded, "POST", path, None, body, sleep=self._sleep)
            except GraphError as exc:
                if not _outcome_unknown(exc):
                    raise
                if verify is None:
                    raise WriteOutcomeUnknown("POST", path) from exc
                try:
                    found = await verify()
                except GraphError as verify_exc:
                    raise WriteOutcomeUnknown("POST", path) from verify_exc
                if found is not None:
                    log.info("%s POST %s: outcome was unknown, read-back shows it applied", self.platform, path)
                    return found
                if resends >= self._max_write_resends:
                    raise
                resends += 1
                log.warning("%s POST %s: outcome unknown, read-back shows it absent; re-sending", self.platform, path)

    async def _exchange_guarded(self, method: str, path: str, params: Mapping[str, Any] | None,
                                body: Mapping[str, Any] | None) -> Any:
        return await self.breaker.call(self._exchange, method, path, params, body)

    async def _exchange(self, method: str, path: str, params: Mapping[str, Any] | None,
                        body: Mapping[str, Any] | None) -> Any:
        url = f"{self.root_url}/{path.lstrip('/')}"
        shown = redact_text(path)
        started = time.perf_counter()
        self.calls += 1
        failure: NetworkError | None = None
        try:
            response = await self._http.request(method, url, params=_query(params),
                                                json=dict(body) if body is not None else None)
        except httpx.TransportError as exc:
            failure = _network_error(exc, method, shown)
        if failure is not None:
            raise failure  # outside `except`: the httpx error (from below the header transport) is not chained
        log.debug("%s %s %s -> %d in %.0f ms", self.platform, method, shown, response.status_code,
                  (time.perf_counter() - started) * 1000)
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        error = self._classify(response.status_code, parsed, response.headers)
        if error is not None:
            raise error
        if parsed is None:
            raise TransientError(f"unreadable response body for {method} {shown}", http_status=response.status_code)
        return parsed


def _query(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query encoding both APIs accept: lists and objects as JSON (TikTok's `filtering`, ids)."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, Mapping | list | tuple):
            out[key] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out

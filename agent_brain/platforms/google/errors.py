"""Google Ads answers → the shared typed errors.

Failures are HTTP 4xx/5xx with `{"error": {code, message, status, details: [GoogleAdsFailure]}}`;
each `GoogleAdsFailure.errors[]` has an `errorCode` such as `{"quotaError": "RESOURCE_EXHAUSTED"}`.
A mutate with `partialFailure: true` answers 200 and reports failed operations in
`partialFailureError`, each located by `location.fieldPathElements` (`operations`, index).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agent_brain.platforms.graph.errors import (
    GraphError,
    InvalidParameterError,
    PermissionDeniedError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    retry_after_from_headers,
)


def _failure_errors(error: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    errors: list[dict[str, Any]] = []
    request_id = None
    for detail in error.get("details") or []:
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith("GoogleAdsFailure"):
            errors.extend(e for e in detail.get("errors") or [] if isinstance(e, Mapping))
            request_id = detail.get("requestId") or request_id
    return errors, request_id


def error_code(item: Mapping[str, Any]) -> str | None:
    """`{"errorCode": {"rangeError": "TOO_LOW"}}` → "rangeError.TOO_LOW"."""
    code = item.get("errorCode") or {}
    return next((f"{k}.{v}" for k, v in code.items()), None) if isinstance(code, Mapping) else None


def _retry_delay(errors: list[dict[str, Any]]) -> float | None:
    for item in errors:
        delay = ((item.get("details") or {}).get("quotaErrorDetails") or {}).get("retryDelay")
        if isinstance(delay, str) and (match := re.fullmatch(r"(\d+(?:\.\d+)?)s", delay)):
            return float(match.group(1))
    return None


def classify(status: int, body: Any, headers: Mapping[str, str]) -> GraphError | None:
    if status < 400:
        return None
    error = body.get("error") if isinstance(body, Mapping) else None
    error = error if isinstance(error, Mapping) else {}
    errors, request_id = _failure_errors(error)
    first = errors[0] if errors else {}
    kwargs: dict[str, Any] = {"code": int(error.get("code") or status), "http_status": status,
                              "type": error_code(first) or error.get("status"), "fbtrace_id": request_id}
    message = str(first.get("message") or error.get("message") or f"HTTP {status}")
    grpc = error.get("status")
    if status == 429 or grpc == "RESOURCE_EXHAUSTED":
        return ThrottledError(message, retry_after_seconds=_retry_delay(errors) or retry_after_from_headers(headers),
                              **kwargs)
    if status >= 500 or grpc in ("INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED"):
        return TransientError(message, **kwargs)
    if status == 401 or grpc == "UNAUTHENTICATED":
        return TokenExpiredError(message, **kwargs)
    if status == 403 or grpc == "PERMISSION_DENIED":
        return PermissionDeniedError(message, **kwargs)
    if status in (400, 404):
        return InvalidParameterError(message, **kwargs)
    return GraphError(message, **kwargs)


def partial_failures(response: Mapping[str, Any]) -> dict[int, InvalidParameterError]:
    """Operation index → its error, from a partial-failure mutate response."""
    error = response.get("partialFailureError")
    if not isinstance(error, Mapping):
        return {}
    errors, request_id = _failure_errors(error)
    out: dict[int, InvalidParameterError] = {}
    for item in errors:
        path = (item.get("location") or {}).get("fieldPathElements") or []
        index = next((int(p.get("index", 0)) for p in path if p.get("fieldName") == "operations"), 0)
        out[index] = InvalidParameterError(str(item.get("message") or "operation failed"), code=400,
                                           type=error_code(item), fbtrace_id=request_id)
    return out

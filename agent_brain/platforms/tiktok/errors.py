"""TikTok's answers → the shared typed errors.

Almost every TikTok response is HTTP 200 with the envelope `{code, message, request_id, data}`:
`code` 0 is success, 4xxxx the caller's fault, 5xxxx TikTok's. The body's code decides; the HTTP
status only when there is no envelope (a proxy's 502 page, a 429 from the gateway).
"""

from __future__ import annotations

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

OK = 0
PARTIAL_SUCCESS = 20001
# Codes as listed by TikTok's own SDK (tiktok/tiktok-business-api-sdk, `tiktok_code.NumericErrorCodes`).
THROTTLE_CODES = frozenset({40100, 40132})  # request too frequent; request frequency limited
TOKEN_CODES = frozenset({40102, 40104, 40105, 40106})  # expired, empty, invalid/revoked, invalid core user
# permission error, forbidden, scope not authorised, advertiser not found for this token, role error
PERMISSION_CODES = frozenset({40001, 40003, 40130, 40300, 40301})
TASK_NOT_READY = 40201  # an async task still running: worth asking again
TRANSIENT_MIN = 50000


def classify(status: int, body: Any, headers: Mapping[str, str]) -> GraphError | None:
    envelope = body if isinstance(body, Mapping) and "code" in body else None
    if envelope is None:
        if status == 429:
            return ThrottledError(f"HTTP {status}", http_status=status,
                                  retry_after_seconds=retry_after_from_headers(headers))
        if status >= 500:
            return TransientError(f"HTTP {status}", http_status=status)
        if status >= 400:
            return GraphError(f"HTTP {status}", http_status=status)
        return None  # a 2xx without an envelope: the client reports an unreadable body
    try:
        code = int(envelope.get("code"))
    except (TypeError, ValueError):
        return TransientError("response without a numeric code", http_status=status)
    if code in (OK, PARTIAL_SUCCESS):
        return None
    kwargs: dict[str, Any] = {"code": code, "http_status": status,
                              "fbtrace_id": str(envelope.get("request_id") or "") or None}
    message = str(envelope.get("message") or f"TikTok code {code}")
    if code in THROTTLE_CODES:
        return ThrottledError(message, retry_after_seconds=retry_after_from_headers(headers), **kwargs)
    if code in TOKEN_CODES:
        return TokenExpiredError(message, **kwargs)
    if code in PERMISSION_CODES:
        return PermissionDeniedError(message, **kwargs)
    if code >= TRANSIENT_MIN or code == TASK_NOT_READY:
        return TransientError(message, **kwargs)
    if 40000 <= code < 50000:
        return InvalidParameterError(message, **kwargs)
    return GraphError(message, **kwargs)

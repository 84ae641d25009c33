"""Graph API wire format: error bodies, cursor paging, field selection, money and time strings."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

JsonObject = dict[str, Any]


class GraphAPIError(Exception):
    """An error the emulator answers with, in Graph's `{"error": {...}}` shape."""

    def __init__(
        self,
        message: str,
        *,
        code: int = 100,
        subcode: int | None = None,
        type_: str = "OAuthException",
        http_status: int = 400,
        user_title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type_
        self.http_status = http_status
        self.user_title = user_title
        self.headers = headers or {}

    def body(self) -> JsonObject:
        error: JsonObject = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
            "fbtrace_id": "A" + secrets.token_urlsafe(15),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.user_title:
            error["error_user_title"] = self.user_title
        return {"error": error}


def invalid_parameter(message: str, *, subcode: int | None = None) -> GraphAPIError:
    return GraphAPIError(f"Invalid parameter: {message}", code=100, subcode=subcode)


def unknown_path(path: str) -> GraphAPIError:
    return GraphAPIError(
        f"Unsupported get request. Object with ID '{path}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation.",
        code=100,
        subcode=33,
        type_="GraphMethodException",
    )


# ── paging ──────────────────────────────────────────────────────────────────────────────────

DEFAULT_LIMIT = 25
MAX_LIMIT = 500


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "offset":
            raise ValueError(raw)
        return max(0, int(value))
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_parameter("the 'after' cursor is not valid") from exc


def page(items: Sequence[JsonObject], params: dict[str, str], base_url: str) -> JsonObject:
    """A Graph page: `data` plus `paging.cursors`; `paging.next` only when more remain."""
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError as exc:
        raise invalid_parameter("limit must be an integer") from exc
    limit = max(1, min(limit, MAX_LIMIT))
    start = _offset(params["after"]) if params.get("after") else 0
    chunk = list(items[start : start + limit])
    body: JsonObject = {"data": chunk}
    if chunk or start:
        paging: JsonObject = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(chunk))}}
        if start + limit < len(items):
            query = {k: v for k, v in params.items() if k not in ("after", "access_token")}
            query["after"] = _cursor(start + len(chunk))
            paging["next"] = f"{base_url}?{urlencode(query)}"
        body["paging"] = paging
    return body


# ── fields and values ───────────────────────────────────────────────────────────────────────


def requested_fields(params: dict[str, str], default: Sequence[str]) -> list[str]:
    """`fields=a,b,c` → ["a", "b", "c"]; nested selections like `insights{...}` are not supported."""
    raw = params.get("fields")
    if not raw:
        return list(default)
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    for field in fields:
        if "{" in field or "(" in field:
            raise invalid_parameter(f"nested field selection is not supported by the sandbox: {field}")
    return fields


def select(obj: JsonObject, fields: Sequence[str]) -> JsonObject:
    """Only the requested fields (plus `id`), dropping absent ones as Graph does."""
    out = {"id": obj["id"]} if "id" in obj else {}
    for field in fields:
        if field in obj and obj[field] is not None:
            out[field] = obj[field]
    return out


def graph_time(value: dt.datetime) -> str:
    """Graph's timestamp format: 2026-11-21T09:30:00+0000."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def money(cents: int) -> str:
    """Insights report money in major units as a string: 1234 cents → "12.34"."""
    return f"{cents / 100:.2f}"


def parse_json_param(params: dict[str, str], name: str) -> Any:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid_parameter(f"{name} must be valid JSON") from exc


def parse_list_param(params: dict[str, str], name: str) -> list[str]:
    """Graph accepts lists as JSON (`["ACTIVE"]`) or comma-separated (`age,gender`)."""
    raw = params.get(name)
    if not raw:
        return []
    if raw.startswith("["):
        value = parse_json_param(params, name)
        if not isinstance(value, list):
            raise invalid_parameter(f"{name} must be a list")
        return [str(v) for v in value]
    return [v.strip() for v in raw.split(",") if v.strip()]

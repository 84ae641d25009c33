"""Graph API wire format: error bodies, cursor paging, field selection, money and time strings."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

JsonObject = dict[str, Any]


TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, *range(80000, 80015)})


class GraphAPIError(Exception):
    """An error the emulator answers with, in Graph's `{"error": {...}}` shape.

    `is_transient` defaults to Graph's own: true for the server-side and throttling codes, which
    the SDK's `api_transient_error()` reads to decide on a retry.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int = 100,
        subcode: int | None = None,
        type_: str = "OAuthException",
        http_status: int = 400,
        user_title: str | None = None,
        user_msg: str | None = None,
        is_transient: bool | None = None,
        blame_fields: Sequence[str] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type_
        self.http_status = http_status
        self.user_title = user_title
        self.user_msg = user_msg
        self.is_transient = code in TRANSIENT_CODES if is_transient is None else is_transient
        self.blame_fields = list(blame_fields)
        self.headers = headers or {}

    def body(self) -> JsonObject:
        error: JsonObject = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.blame_fields:
            error["error_data"] = json.dumps({"blame_field_specs": [[f] for f in self.blame_fields]})
        error["is_transient"] = self.is_transient
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(15)
        return {"error": error}


def invalid_parameter(message: str, *, subcode: int | None = None, field: str | None = None,
                      user_title: str | None = None) -> GraphAPIError:
    """Graph's answer to a parameter it refuses: "Invalid parameter" with the reason for the user."""
    return GraphAPIError("Invalid parameter", code=100, subcode=subcode, user_title=user_title or "Invalid parameter",
                         user_msg=message[:1].upper() + message[1:], blame_fields=[field] if field else ())


def unknown_path(path: str) -> GraphAPIError:
    return GraphAPIError(
        f"Unsupported get request. Object with ID '{path}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation.",
        code=100,
        subcode=33,
        type_="GraphMethodException",
    )


def unsupported(feature: str) -> GraphAPIError:
    """A documented Graph feature the sandbox deliberately does not emulate (not a silent difference)."""
    return GraphAPIError(f"(#100) The Graph sandbox does not emulate {feature}", code=100,
                         user_title="Not supported by the sandbox",
                         user_msg=f"{feature} is documented by Meta but not emulated by the agent-brain sandbox.")


# ── the request being answered (for paging URLs) ────────────────────────────────────────────


@dataclass(frozen=True)
class RequestContext:
    base_url: str  # scheme://host the client called, without a trailing slash
    version: str  # e.g. "v26.0"
    path: str  # the node/edge path, without the version
    access_token: str


current_request: ContextVar[RequestContext | None] = ContextVar("sandbox_request", default=None)


# ── paging ──────────────────────────────────────────────────────────────────────────────────

DEFAULT_LIMIT = 25
MAX_LIMIT = 500


def _encode_cursor(key: str, position: int) -> str:
    raw = json.dumps([key, position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, name: str) -> tuple[str, int]:
    try:
        key, position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(key), int(position)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise invalid_parameter(f"the '{name}' cursor is not valid", field=name) from exc


def _boundary(keys: Sequence[str], cursor: str, name: str) -> int:
    """The list index just past (`after`) or at (`before`) the cursor's object.

    Cursors are keyed on the object, not an offset, so an insert or delete elsewhere in the
    list neither repeats nor skips items; only when the object itself is gone does the position
    recorded in the cursor decide.
    """
    key, position = _decode_cursor(cursor, name)
    if key in keys:
        return keys.index(key) + (1 if name == "after" else 0)
    return min(max(position, 0), len(keys))


def item_key(item: JsonObject) -> str:
    if "id" in item:
        return str(item["id"])
    return json.dumps(item.get("_key") or item, sort_keys=True, default=str)


def page(items: Sequence[JsonObject], params: dict[str, str], *, total_count: bool = True) -> JsonObject:
    """A Graph page: `data`, `paging.cursors`, `next`/`previous` URLs, and `summary` on request.

    `next` is present only when more items follow, `previous` only when items precede.
    Items may carry a private `_key` (rows without an id); it is stripped from the output.
    """
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError as exc:
        raise invalid_parameter("limit must be an integer", field="limit") from exc
    limit = max(1, min(limit, MAX_LIMIT))
    keys = [item_key(i) for i in items]
    if params.get("before"):
        stop = _boundary(keys, params["before"], "before")
        start = max(0, stop - limit)
    else:
        start = _boundary(keys, params["after"], "after") if params.get("after") else 0
        stop = min(len(items), start + limit)
    chunk = [{k: v for k, v in i.items() if k != "_key"} for i in items[start:stop]]
    body: JsonObject = {"data": chunk}
    if chunk:
        before, after = _encode_cursor(keys[start], start), _encode_cursor(keys[stop - 1], stop - 1)
        paging: JsonObject = {"cursors": {"before": before, "after": after}}
        if start > 0:
            paging["previous"] = _page_url(params, before=before)
        if stop < len(items):
            paging["next"] = _page_url(params, after=after)
        body["paging"] = paging
    if total_count and str(params.get("summary", "")).lower() in ("true", "1", "total_count"):
        body["summary"] = {"total_count": len(items)}
    return body


def _page_url(params: dict[str, str], **cursor: str) -> str:
    ctx = current_request.get()
    query = {k: v for k, v in params.items() if k not in ("after", "before", "access_token")}
    query.update(cursor)
    if ctx is None:
        return f"?{urlencode(query)}"
    query["access_token"] = ctx.access_token
    return f"{ctx.base_url}/{ctx.version}/{ctx.path}?{urlencode(query)}"


# ── fields and values ───────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class FieldSpec:
    """One entry of `fields=`: `name`, `name{sub,fields}`, `name.limit(5){...}`."""

    name: str
    children: tuple[FieldSpec, ...] | None = None
    modifiers: tuple[tuple[str, str], ...] = ()

    def modifier_params(self) -> dict[str, str]:
        return dict(self.modifiers)


def parse_fields(raw: str) -> list[FieldSpec]:
    """Parse Graph's field expansion syntax; a malformed one is Graph's syntax error 2500."""
    specs, position = _parse_field_list(raw, 0)
    if position != len(raw):
        raise _syntax_error(raw, position)
    return specs


def _syntax_error(raw: str, position: int) -> GraphAPIError:
    found = raw[position] if position < len(raw) else "end of string"
    return GraphAPIError(f'Syntax error "Unexpected {found!r}." at character {position}: {raw}', code=2500)


def _parse_field_list(raw: str, position: int) -> tuple[list[FieldSpec], int]:
    specs: list[FieldSpec] = []
    while True:
        while position < len(raw) and raw[position] in " ,":
            position += 1
        if position >= len(raw) or raw[position] == "}":
            return specs, position
        spec, position = _parse_field(raw, position)
        specs.append(spec)


def _parse_field(raw: str, position: int) -> tuple[FieldSpec, int]:
    match = FIELD_NAME.match(raw, position)
    if match is None:
        raise _syntax_error(raw, position)
    name, position = match.group(0), match.end()
    children: list[FieldSpec] | None = None
    modifiers: list[tuple[str, str]] = []
    while position < len(raw) and raw[position] in ".{":
        if raw[position] == "{":
            if children is not None:
                raise _syntax_error(raw, position)
            children, position = _parse_field_list(raw, position + 1)
            if position >= len(raw) or raw[position] != "}":
                raise _syntax_error(raw, position)
            position += 1
            continue
        modifier = MODIFIER.match(raw, position)
        if modifier is None:
            raise _syntax_error(raw, position)
        modifiers.append((modifier.group(1), modifier.group(2)))
        position = modifier.end()
    return FieldSpec(name, tuple(children) if children is not None else None, tuple(modifiers)), position


FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MODIFIER = re.compile(r"\.([A-Za-z_]+)\(([^()]*)\)")


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

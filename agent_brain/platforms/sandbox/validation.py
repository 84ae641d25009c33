"""Graph's input validation, driven by the Marketing API reference (`reference.py`).

Writes: every parameter must be one the request documents, of its type, and an enum value
must be one of the documented values; anything else is error 100, as on Graph. Reads: every
requested field must exist on the node type.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from agent_brain.platforms.sandbox import reference
from agent_brain.platforms.sandbox.graph_format import GraphAPIError, graph_time, invalid_parameter

# Accepted by every request, never stored.
GENERIC_PARAMS = frozenset({
    "access_token", "appsecret_proof", "method", "format", "suppress_http_code", "pretty", "fields",
    "limit", "after", "before", "summary", "include_headers", "locale", "debug", "transport", "batch",
    "execution_options", "ids",
})
# Marketing API v17+ accepts only the outcome-driven (ODAX) objectives; the SDK still lists the legacy ones.
ODAX_PREFIX = "OUTCOME_"
OBJECT_TYPES = re.compile(r"^(Object|map(<.*>)?|[A-Z]\w*)$")


def param_error(name: str, message: str) -> GraphAPIError:
    return GraphAPIError(f"(#100) {message}", code=100, blame_fields=[name], user_title="Invalid parameter",
                         user_msg=message)


def check_params(
    params: dict[str, str], documented: dict[str, dict[str, Any]], *, where: str, strict: bool = True,
) -> dict[str, Any]:
    """The request's own parameters, validated and typed.

    Unknown ones are refused when `strict` (writes, where a dropped parameter is a silent
    difference) and skipped otherwise (reads: Graph ignores query parameters it does not know).
    """
    out: dict[str, Any] = {}
    for name, raw in params.items():
        if name in GENERIC_PARAMS:
            continue
        spec = documented.get(name)
        if spec is None:
            if not strict:
                continue
            raise param_error(name, f"Param {name} is not a valid parameter of {where}")
        out[name] = coerce(name, raw, spec)
    return out


def coerce(name: str, raw: Any, spec: dict[str, Any]) -> Any:
    """One parameter value, typed as the reference says (`unsigned int`, `list<...>`, enums, objects)."""
    type_ = spec["type"]
    if type_.startswith("list<"):
        inner = {"type": type_[5:-1], **({"enum": spec["enum"]} if "enum" in spec else {})}
        return [coerce(name, item, inner) for item in _as_list(name, raw)]
    if "enum" in spec:
        value = str(raw)
        if value not in spec["enum"]:
            raise param_error(name, f"Param {name} must be one of {{{', '.join(spec['enum'])}}}")
        return value
    if type_ in ("unsigned int", "int"):
        try:
            value = int(str(raw))
        except ValueError as exc:
            raise param_error(name, f"Param {name} must be an integer") from exc
        if type_ == "unsigned int" and value < 0:
            raise param_error(name, f"Param {name} must be a non-negative integer")
        return value
    if type_ == "float":
        try:
            return float(str(raw))
        except ValueError as exc:
            raise param_error(name, f"Param {name} must be a number") from exc
    if type_ == "bool":
        value = str(raw).lower()
        if value not in ("true", "false", "1", "0"):
            raise param_error(name, f"Param {name} must be a boolean")
        return value in ("true", "1")
    if type_ == "datetime":
        return graph_time(parse_time(name, raw))
    if type_ == "string" or not OBJECT_TYPES.match(type_):
        return raw if isinstance(raw, str) else json.dumps(raw)
    value = _as_json(name, raw)
    if not isinstance(value, dict | list):
        raise param_error(name, f"Param {name} must be a JSON object")
    return value


def parse_time(name: str, raw: Any) -> dt.datetime:
    """Graph takes a UNIX timestamp or an ISO 8601 time (with an offset; UTC when none)."""
    text = str(raw).strip()
    try:
        if re.fullmatch(r"\d{9,11}", text):
            return dt.datetime.fromtimestamp(int(text), dt.UTC)
        value = dt.datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text))
    except ValueError as exc:
        raise param_error(name, f"Param {name} must be a UNIX timestamp or an ISO 8601 time") from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _as_json(name: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise param_error(name, f"Param {name} must be valid JSON") from exc


def _as_list(name: str, raw: Any) -> list[Any]:
    if isinstance(raw, list):
        return raw
    text = str(raw).strip()
    if text.startswith("["):
        value = _as_json(name, text)
        if not isinstance(value, list):
            raise param_error(name, f"Param {name} must be a list")
        return value
    return [v.strip() for v in text.split(",") if v.strip()]


def check_objective(objective: str) -> None:
    if not objective.startswith(ODAX_PREFIX):
        valid = sorted(v for v in reference.edge_params("adaccount", "campaigns", "POST")["objective"]["enum"]
                       if v.startswith(ODAX_PREFIX))
        raise GraphAPIError(
            "Invalid parameter", code=100, blame_fields=["objective"],
            user_title="Objective is no longer available",
            user_msg=f"The objective {objective} is deprecated; use one of {', '.join(valid)}.",
        )


def nonexisting_field(field: str, node_class: str) -> GraphAPIError:
    return GraphAPIError(f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_class})", code=100)


def require(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.get(name) in (None, "", []) and not (name == "special_ad_categories" and name in params):
            raise invalid_parameter(f"the parameter {name} is required", field=name)

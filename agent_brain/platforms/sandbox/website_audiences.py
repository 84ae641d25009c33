"""Website custom audiences: a `rule` over pixel events, checked as Meta's "Website Custom Audiences"
reference describes it.

    {"inclusions": {"operator": "or", "rules": [{
        "event_sources": [{"type": "pixel", "id": "<PIXEL_ID>"}],
        "retention_seconds": 2592000,
        "filter": {"operator": "and", "filters": [{"field": "event", "operator": "eq", "value": "Lead"}]}}]},
     "exclusions": {…same shape…}}

Retention is 1 second to 180 days; every event source must be a pixel of the same ad account; filters
name a field (`event`, `url`, …), an operator and a value. The sandbox's size is an estimate from the
pixel's own event counts (the matching events, scaled by the retention window) — the real platform
fills a website audience over hours, and so does not know its size at creation either.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from agent_brain.platforms.sandbox.graph_format import invalid_parameter

MAX_RETENTION_SECONDS = 180 * 86400
OPERATORS = frozenset({"eq", "neq", "i_contains", "i_not_contains", "contains", "not_contains", "starts_with",
                       "i_starts_with", "gt", "gte", "lt", "lte", "regex_match", "is_any", "is_not_any"})
_SEEDED_DAYS = 60  # the demo pixel's counts cover the seeded history


def _rule_set(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, dict) or value.get("operator", "or") not in ("or", "and") or \
            not isinstance(value.get("rules"), list) or not value["rules"]:
        raise invalid_parameter(f"rule.{where} needs an operator (and/or) and a non-empty list of rules", field="rule")
    return value["rules"]


def _events_of(rule: dict[str, Any]) -> list[str] | None:
    """The `event eq/is_any` values a rule's filter names, or None for any event (all visitors)."""
    spec = rule.get("filter")
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("filters"), list):
        raise invalid_parameter("rule filter needs {\"operator\", \"filters\": [...]}", field="rule")
    events: list[str] | None = None
    for f in spec["filters"]:
        if not isinstance(f, dict) or not f.get("field") or f.get("operator") not in OPERATORS or "value" not in f:
            raise invalid_parameter("each rule filter needs field, a known operator and value", field="rule")
        if f["field"] == "event" and f["operator"] in ("eq", "is_any"):
            value = f["value"]
            events = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return events


async def website_fields(raw_rule: Any, account_id: str,
                         node: Callable[[str], Awaitable[dict[str, Any] | None]]) -> dict[str, Any]:
    """Check a website audience's `rule` (a JSON string) and return the fields to store: the rule as Graph
    returns it (a string), `retention_days`, `pixel_id` and the size estimate."""
    try:
        rule = json.loads(raw_rule) if isinstance(raw_rule, str) else raw_rule
    except json.JSONDecodeError as exc:
        raise invalid_parameter("rule must be valid JSON", field="rule") from exc
    if not isinstance(rule, dict) or "inclusions" not in rule:
        raise invalid_parameter("rule needs inclusions", field="rule")
    size = 0
    longest = 0
    pixel_ids: list[str] = []
    for where in ("inclusions", "exclusions"):
        if where not in rule:
            continue
        for item in _rule_set(rule[where], where):
            sources = item.get("event_sources") if isinstance(item, dict) else None
            if not isinstance(sources, list) or not sources:
                raise invalid_parameter("each rule needs event_sources", field="rule")
            retention = item.get("retention_seconds")
            if not isinstance(retention, int) or not 0 < retention <= MAX_RETENTION_SECONDS:
                raise invalid_parameter("retention_seconds must be between 1 and 15552000 (180 days)", field="rule")
            events = _events_of(item)
            for source in sources:
                pixel = await node(str((source or {}).get("id", "")))
                if (source or {}).get("type") != "pixel" or pixel is None or pixel["type"] != "adspixel" or \
                        pixel["account_id"] != account_id:
                    raise invalid_parameter("event_sources must be pixels of this ad account", field="rule")
                counts: dict[str, int] = pixel["fields"].get("event_counts", {})
                matched = counts.get("PageView", sum(counts.values())) if events is None else \
                    sum(counts.get(e, 0) for e in events)
                if where == "inclusions":
                    size += int(matched * min(1.0, retention / (_SEEDED_DAYS * 86400)))
                    longest = max(longest, retention)
                    pixel_ids.append(pixel["id"])
    return {"rule": json.dumps(rule, ensure_ascii=False), "retention_days": max(1, longest // 86400),
            "pixel_id": pixel_ids[0], "approximate_count_lower_bound": int(size * 0.9),
            "approximate_count_upper_bound": size}

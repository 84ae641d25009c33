"""Insights computed from the sandbox's daily ad stats, in Graph's format.

Date presets follow Meta's definitions (e.g. `last_7d` is the 7 days before today, today
excluded). Breakdowns split each total by fixed audience shares with largest-remainder
rounding, so breakdown rows always add up to the unbroken-down total.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agent_brain.platforms.sandbox import reference
from agent_brain.platforms.sandbox.graph_format import (
    GraphAPIError,
    JsonObject,
    invalid_parameter,
    money,
    parse_json_param,
    unsupported,
)
from agent_brain.platforms.sandbox.validation import coerce

LEVELS = ("account", "campaign", "adset", "ad")
COUNT_FIELDS = ("impressions", "reach", "clicks", "link_clicks", "spend_cents",
                "video_p25", "video_p50", "video_p75", "video_p95")

BREAKDOWN_SHARES: dict[str, dict[str, float]] = {
    "age": {"18-24": 0.10, "25-34": 0.32, "35-44": 0.30, "45-54": 0.18, "55-64": 0.08, "65+": 0.02},
    "gender": {"female": 0.63, "male": 0.35, "unknown": 0.02},
    "publisher_platform": {"instagram": 0.54, "facebook": 0.41, "audience_network": 0.03, "messenger": 0.02},
    "platform_position": {"feed": 0.58, "instagram_stories": 0.22, "instagram_reels": 0.14, "right_hand_column": 0.06},
    "device_platform": {"mobile_app": 0.86, "mobile_web": 0.06, "desktop": 0.08},
    "impression_device": {"iphone": 0.41, "android_smartphone": 0.45, "ipad": 0.03, "desktop": 0.08, "other": 0.03},
    "country": {"RU": 0.88, "KZ": 0.07, "BY": 0.05},
    "region": {"Moscow": 0.46, "Moscow Oblast": 0.17, "Saint Petersburg": 0.21, "Leningrad Oblast": 0.04,
               "Tatarstan Republic": 0.07, "Unknown": 0.05},
    "hourly_stats_aggregated_by_advertiser_time_zone": {},  # filled below: 24 hourly buckets
    "hourly_stats_aggregated_by_audience_time_zone": {},
}
# A day's delivery by hour: low at night, peaks at lunch and in the evening.
_HOURLY_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 6, 6, 7, 6, 6, 6, 6, 7, 8, 9, 9, 8, 5, 3)
for _name in ("hourly_stats_aggregated_by_advertiser_time_zone", "hourly_stats_aggregated_by_audience_time_zone"):
    BREAKDOWN_SHARES[_name] = {f"{h:02d}:00:00 - {h:02d}:59:59": w / sum(_HOURLY_WEIGHTS)
                               for h, w in enumerate(_HOURLY_WEIGHTS)}
ACTION_BREAKDOWN_SHARES: dict[str, dict[str, float]] = {
    "action_device": {"iphone": 0.41, "android_smartphone": 0.45, "ipad": 0.03, "desktop": 0.08, "other": 0.03},
}
DEFAULT_FIELDS = ("impressions", "clicks", "spend", "reach", "ctr", "cpm", "actions")
ENTITY_FILTERS = {"campaign.id": "campaign_id", "adset.id": "adset_id", "ad.id": "ad_id",
                  "campaign.name": "campaign_name", "adset.name": "adset_name", "ad.name": "ad_name"}
METRIC_FILTERS = ("impressions", "reach", "clicks", "inline_link_clicks", "spend", "ctr", "cpm", "cpc", "frequency")
INSIGHTS_DOCS = "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/"
# Documented insights parameters that would change the answer and are not emulated: refused
# explicitly rather than ignored. (Attribution settings are accepted: the sandbox has one attribution.)
UNEMULATED_PARAMS = ("time_ranges", "default_summary", "summary_action_breakdowns", "export_columns",
                     "export_format", "export_name", "product_id_limit")


@dataclass(frozen=True)
class InsightsRequest:
    level: str
    fields: tuple[str, ...]
    breakdowns: tuple[str, ...]
    action_breakdowns: tuple[str, ...]
    filters: tuple[tuple[str, str, Any], ...]
    sort: tuple[tuple[str, bool], ...]  # (field, descending)
    increment: str | None


def check_insights_request(params: dict[str, str], *, default_level: str) -> InsightsRequest:
    """Validate an insights request against Meta's reference, as Graph does, before computing it."""
    documented = reference.edge_params("adaccount", "insights", "GET")
    assert documented is not None
    typed = {name: coerce(name, params[name], documented[name]) for name in documented if name in params}
    for name in UNEMULATED_PARAMS:
        if name in typed and typed[name] not in (False, [], ""):
            raise unsupported(f"the insights parameter {name}")
    breakdowns = tuple(typed.get("breakdowns", ()))
    action_breakdowns = tuple(typed.get("action_breakdowns", ()))
    dimension_names = set(documented["breakdowns"]["enum"]) | set(documented["action_breakdowns"]["enum"])
    valid_fields = set(reference.insights_fields()) - dimension_names
    fields = tuple(typed.get("fields", ())) or DEFAULT_FIELDS
    invalid = [f for f in fields if f not in valid_fields]
    if invalid:
        verb = "is" if len(invalid) == 1 else "are"
        raise GraphAPIError(f"(#100) {', '.join(invalid)} {verb} not valid for fields param. please check "
                            f"{INSIGHTS_DOCS} for all valid values", code=100)
    for name in breakdowns:
        if name not in BREAKDOWN_SHARES:
            raise unsupported(f"the insights breakdown {name}")
    for name in action_breakdowns:
        if name not in ("action_type", *ACTION_BREAKDOWN_SHARES):
            raise unsupported(f"the insights action breakdown {name}")
    return InsightsRequest(
        level=typed.get("level", default_level), fields=fields, breakdowns=breakdowns,
        action_breakdowns=action_breakdowns, filters=_filters(typed.get("filtering")),
        sort=_sort(typed.get("sort", ()), valid_fields), increment=typed.get("time_increment"),
    )


def _filters(raw: Any) -> tuple[tuple[str, str, Any], ...]:
    if not raw:
        return ()
    operators = reference.insights_filter_operators()
    out = []
    for item in raw:
        if not isinstance(item, dict) or not {"field", "operator"} <= set(item):
            raise invalid_parameter("each filtering entry needs field, operator and value", field="filtering")
        field, operator, value = str(item["field"]), str(item["operator"]), item.get("value")
        if operator not in operators:
            raise invalid_parameter(f"filtering operator {operator} must be one of {', '.join(operators)}",
                                    field="filtering")
        if field not in ENTITY_FILTERS and field not in METRIC_FILTERS and field != "action_type":
            raise GraphAPIError(f"(#100) Filtering field {field} with operation {operator} is not supported",
                                code=100)
        out.append((field, operator, value))
    return tuple(out)


def _sort(raw: Sequence[str], valid_fields: set[str]) -> tuple[tuple[str, bool], ...]:
    out = []
    for entry in raw:
        field, _, direction = str(entry).rpartition("_")
        if direction not in ("ascending", "descending") or field not in valid_fields:
            raise invalid_parameter(f"sort {entry} must be <insights field>_ascending or _descending", field="sort")
        out.append((field, direction == "descending"))
    return tuple(out)


def matches(value: Any, operator: str, expected: Any) -> bool:
    """Graph's filtering operators on one value (numbers compare as numbers, the rest as text)."""
    def number(v: Any) -> float | None:
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    many = expected if isinstance(expected, list) else [expected]
    if operator in ("IN", "NOT_IN", "ANY", "ALL", "NONE"):
        values = value if isinstance(value, list) else [value]
        found = {str(v) for v in values} & {str(e) for e in many}
        return {"IN": bool(found), "ANY": bool(found), "NOT_IN": not found, "NONE": not found,
                "ALL": found == {str(e) for e in many}}[operator]
    if operator in ("CONTAIN", "NOT_CONTAIN"):
        return (str(expected).lower() in str(value).lower()) == (operator == "CONTAIN")
    if operator in ("EQUAL", "NOT_EQUAL"):
        a, b = number(value), number(expected)
        same = a == b if a is not None and b is not None else str(value) == str(expected)
        return same == (operator == "EQUAL")
    a = number(value)
    if operator in ("IN_RANGE", "NOT_IN_RANGE"):
        low, high = (number(v) for v in many[:2]) if len(many) >= 2 else (None, None)
        if a is None or low is None or high is None:
            raise invalid_parameter(f"{operator} needs a [low, high] value", field="filtering")
        return (low <= a <= high) == (operator == "IN_RANGE")
    b = number(expected)
    if a is None or b is None:
        return False
    return {"GREATER_THAN": a > b, "GREATER_THAN_OR_EQUAL": a >= b, "LESS_THAN": a < b,
            "LESS_THAN_OR_EQUAL": a <= b}[operator]


def apply_filters(items: list[JsonObject], filters: Sequence[dict[str, Any]], *, known: set[str]) -> list[JsonObject]:
    """`filtering=[...]` on an object edge (campaigns, ad sets, ads): fields of the objects themselves."""
    parsed = _filters_for_objects(filters, known)
    return [i for i in items if all(matches(i.get(f), op, v) for f, op, v in parsed)]


def _filters_for_objects(filters: Any, known: set[str]) -> list[tuple[str, str, Any]]:
    if not isinstance(filters, list):
        raise invalid_parameter("filtering must be a JSON array", field="filtering")
    operators = reference.insights_filter_operators()
    out = []
    for item in filters:
        if not isinstance(item, dict) or not {"field", "operator"} <= set(item):
            raise invalid_parameter("each filtering entry needs field, operator and value", field="filtering")
        field = str(item["field"]).rsplit(".", 1)[-1]  # `ad.effective_status` or `effective_status`
        if field not in known or item["operator"] not in operators:
            raise GraphAPIError(f"(#100) Filtering field {item['field']} with operation {item['operator']} is "
                                "not supported", code=100)
        out.append((field, str(item["operator"]), item.get("value")))
    return out


def row_filters(rows: Iterable[StatRow], filters: Sequence[tuple[str, str, Any]]) -> list[StatRow]:
    """Entity filters (`campaign.id IN [...]`, `ad.name CONTAIN ...`) select ad-days before aggregation."""
    entity = [(ENTITY_FILTERS[f], op, v) for f, op, v in filters if f in ENTITY_FILTERS]
    return [r for r in rows if all(matches(getattr(r, attr), op, v) for attr, op, v in entity)]


def sort_rows(rows: list[JsonObject], sort: Sequence[tuple[str, bool]]) -> list[JsonObject]:
    for field, descending in reversed(sort):
        rows = sorted(rows, key=lambda r, f=field: _sort_key(r.get(f)), reverse=descending)
    return rows


def _sort_key(value: Any) -> tuple[int, float | str]:
    try:
        return (0, float(value))
    except (TypeError, ValueError):
        return (1, str(value))


def resolve_range(params: dict[str, str], today: dt.date) -> tuple[dt.date, dt.date]:
    time_range = parse_json_param(params, "time_range")
    if time_range is not None:
        try:
            since = dt.date.fromisoformat(time_range["since"])
            until = dt.date.fromisoformat(time_range["until"])
        except (KeyError, TypeError, ValueError) as exc:
            raise invalid_parameter("time_range must be {\"since\": \"YYYY-MM-DD\", \"until\": \"YYYY-MM-DD\"}") from exc
        if since > until:
            raise invalid_parameter("time_range.since must not be after time_range.until")
        return since, until
    return preset_range(params.get("date_preset", "last_30d"), today)


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    yesterday = today - dt.timedelta(days=1)
    fixed = {"last_3d": 3, "last_7d": 7, "last_14d": 14, "last_28d": 28, "last_30d": 30, "last_90d": 90}
    if preset in fixed:
        return today - dt.timedelta(days=fixed[preset]), yesterday
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return yesterday, yesterday
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_week_mon_today":
        return today - dt.timedelta(days=today.weekday()), today
    if preset == "last_week_mon_sun":
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return monday, monday + dt.timedelta(days=6)
    if preset == "this_week_sun_today":
        return today - dt.timedelta(days=(today.weekday() + 1) % 7), today
    if preset == "last_week_sun_sat":
        sunday = today - dt.timedelta(days=(today.weekday() + 1) % 7 + 7)
        return sunday, sunday + dt.timedelta(days=6)
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    if preset == "this_quarter":
        return quarter_start, today
    if preset == "last_quarter":
        last = quarter_start - dt.timedelta(days=1)
        return last.replace(month=(last.month - 1) // 3 * 3 + 1, day=1), last
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    if preset == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    if preset in ("maximum", "data_maximum"):
        return dt.date(2000, 1, 1), today
    raise invalid_parameter(f"date_preset {preset} is not a valid preset", field="date_preset")


@dataclass(frozen=True)
class StatRow:
    """One ad-day, with the names needed for the requested level."""

    date: dt.date
    account_id: str
    campaign_id: str
    campaign_name: str
    adset_id: str
    adset_name: str
    ad_id: str
    ad_name: str
    counts: dict[str, int]
    actions: dict[str, int]


def _buckets(since: dt.date, until: dt.date, increment: str | None, day: dt.date) -> tuple[dt.date, dt.date]:
    if increment in (None, "all_days"):
        return since, until
    if increment == "monthly":
        start = max(since, day.replace(day=1))
        next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return start, min(until, next_month - dt.timedelta(days=1))
    try:
        days = int(increment)
    except ValueError as exc:
        raise invalid_parameter("time_increment must be 1–90, 'monthly' or 'all_days'") from exc
    if not 1 <= days <= 90:
        raise invalid_parameter("time_increment must be 1–90, 'monthly' or 'all_days'")
    index = (day - since).days // days
    start = since + dt.timedelta(days=index * days)
    return start, min(until, start + dt.timedelta(days=days - 1))


def split(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of an integer total by shares; the parts sum to `total` exactly."""
    raw = {k: total * s for k, s in shares.items()}
    parts = {k: int(v) for k, v in raw.items()}
    leftover = total - sum(parts.values())
    for k in sorted(raw, key=lambda k: raw[k] - parts[k], reverse=True)[:leftover]:
        parts[k] += 1
    return parts


def compute_rows(rows: Iterable[StatRow], request: InsightsRequest, *, since: dt.date, until: dt.date) -> list[JsonObject]:
    """Aggregate ad-days to the request's level, time buckets and breakdowns; then metric filters.

    Each row carries a private `_key` (its identity) that paging uses for stable cursors.
    """
    level, increment, breakdowns = request.level, request.increment, request.breakdowns
    if level not in LEVELS:
        raise invalid_parameter(f"level must be one of {', '.join(LEVELS)}", field="level")
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        bucket = _buckets(since, until, increment, row.date)
        ident = {
            "account": (row.account_id,),
            "campaign": (row.campaign_id, row.campaign_name),
            "adset": (row.campaign_id, row.campaign_name, row.adset_id, row.adset_name),
            "ad": (row.campaign_id, row.campaign_name, row.adset_id, row.adset_name, row.ad_id, row.ad_name),
        }[level]
        key = (*ident, *bucket)
        group = groups.setdefault(
            key, {"ident": ident, "bucket": bucket, "account_id": row.account_id,
                  "counts": defaultdict(int), "actions": defaultdict(int)}
        )
        for name, value in row.counts.items():
            group["counts"][name] += value
        for name, value in row.actions.items():
            group["actions"][name] += value
    out: list[JsonObject] = []
    action_types = [v for f, op, v in request.filters if f == "action_type" and op == "IN"]
    metric_filters = [(f, op, v) for f, op, v in request.filters if f in METRIC_FILTERS]
    for group in sorted(groups.values(), key=lambda g: (g["bucket"], g["ident"])):
        for variant in _breakdown_variants(group, breakdowns):
            if action_types:
                wanted = {str(a) for values in action_types for a in (values if isinstance(values, list) else [values])}
                variant["actions"] = {a: n for a, n in variant["actions"].items() if a in wanted}
            row = _graph_row(level, group, variant, request.action_breakdowns)
            if all(matches(row.get(f), op, v) for f, op, v in metric_filters):
                row["_key"] = [*group["ident"][::2], *group["bucket"], *variant["keys"].values()]
                out.append(row)
    return out


def _breakdown_variants(group: dict[str, Any], breakdowns: Sequence[str]) -> list[dict[str, Any]]:
    variants = [{"keys": {}, "counts": dict(group["counts"]), "actions": dict(group["actions"])}]
    for name in breakdowns:
        next_variants = []
        for variant in variants:
            shares = BREAKDOWN_SHARES[name]
            count_parts = {f: split(v, shares) for f, v in variant["counts"].items()}
            action_parts = {a: split(v, shares) for a, v in variant["actions"].items()}
            for value in shares:
                next_variants.append({
                    "keys": {**variant["keys"], name: value},
                    "counts": {f: parts[value] for f, parts in count_parts.items()},
                    "actions": {a: parts[value] for a, parts in action_parts.items() if parts[value]},
                })
        variants = next_variants
    return variants


def _graph_row(level: str, group: dict[str, Any], variant: dict[str, Any], action_breakdowns: Sequence[str]) -> JsonObject:
    c = variant["counts"]
    impressions, clicks, spend = c.get("impressions", 0), c.get("clicks", 0), c.get("spend_cents", 0)
    row: JsonObject = {"account_id": group["account_id"].removeprefix("act_")}
    ident = group["ident"]
    if level in ("campaign", "adset", "ad"):
        row["campaign_id"], row["campaign_name"] = ident[0], ident[1]
    if level in ("adset", "ad"):
        row["adset_id"], row["adset_name"] = ident[2], ident[3]
    if level == "ad":
        row["ad_id"], row["ad_name"] = ident[4], ident[5]
    row.update({
        "impressions": str(impressions),
        "reach": str(c.get("reach", 0)),
        "clicks": str(clicks),
        "inline_link_clicks": str(c.get("link_clicks", 0)),
        "spend": money(spend),
        "ctr": f"{100 * clicks / impressions:.6f}" if impressions else "0",
        "cpm": f"{spend * 10 / impressions:.6f}" if impressions else "0",
        "cpc": f"{spend / 100 / clicks:.6f}" if clicks else "0",
        "frequency": f"{impressions / c['reach']:.6f}" if c.get("reach") else "0",
        "inline_link_click_ctr": f"{100 * c.get('link_clicks', 0) / impressions:.6f}" if impressions else "0",
        "actions": _actions(variant["actions"], action_breakdowns),
        "cost_per_action_type": [
            {"action_type": k, "value": f"{spend / 100 / v:.6f}"} for k, v in sorted(variant["actions"].items()) if v
        ],
        **{f"video_{p}_watched_actions": [{"action_type": "video_view", "value": str(c.get(f"video_{p}", 0))}]
           for p in ("p25", "p50", "p75", "p95")},
        "date_start": group["bucket"][0].isoformat(),
        "date_stop": group["bucket"][1].isoformat(),
        **variant["keys"],
    })
    if not row["actions"]:
        del row["actions"], row["cost_per_action_type"]
    return row


def _actions(actions: dict[str, int], action_breakdowns: Sequence[str]) -> list[JsonObject]:
    """`actions` split by the requested action breakdowns (each item names its breakdown values)."""
    items = [{"action_type": k, "value": v} for k, v in sorted(actions.items())]
    for name in action_breakdowns:
        if name == "action_type":
            continue
        split_items = []
        for item in items:
            for key, part in split(item["value"], ACTION_BREAKDOWN_SHARES[name]).items():
                if part:
                    split_items.append({**{k: v for k, v in item.items() if k != "value"}, name: key, "value": part})
        items = split_items
    return [{**item, "value": str(item["value"])} for item in items]


def select_insight_fields(rows: list[JsonObject], request: InsightsRequest) -> list[JsonObject]:
    """Keep requested fields plus the always-present date and breakdown keys, as Graph does."""
    keep = {*request.fields, "date_start", "date_stop", "_key", *request.breakdowns}
    return [{k: v for k, v in row.items() if k in keep} for row in rows]

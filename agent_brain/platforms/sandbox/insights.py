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

from agent_brain.platforms.sandbox.graph_format import (
    JsonObject,
    invalid_parameter,
    money,
    parse_json_param,
    parse_list_param,
)

LEVELS = ("account", "campaign", "adset", "ad")
COUNT_FIELDS = ("impressions", "reach", "clicks", "link_clicks", "spend_cents",
                "video_p25", "video_p50", "video_p75", "video_p95")

BREAKDOWN_SHARES: dict[str, dict[str, float]] = {
    "age": {"18-24": 0.10, "25-34": 0.32, "35-44": 0.30, "45-54": 0.18, "55-64": 0.08, "65+": 0.02},
    "gender": {"female": 0.63, "male": 0.35, "unknown": 0.02},
    "publisher_platform": {"instagram": 0.54, "facebook": 0.41, "audience_network": 0.03, "messenger": 0.02},
    "platform_position": {"feed": 0.58, "instagram_stories": 0.22, "instagram_reels": 0.14, "right_hand_column": 0.06},
    "device_platform": {"mobile_app": 0.86, "mobile_web": 0.06, "desktop": 0.08},
}
DEFAULT_FIELDS = ("impressions", "clicks", "spend", "reach", "ctr", "cpm", "actions")


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
    if preset == "maximum":
        return dt.date(2000, 1, 1), today
    raise invalid_parameter(f"date_preset must be one of {', '.join([*fixed, 'today', 'yesterday', 'this_month', 'last_month', 'this_week_mon_today', 'last_week_mon_sun', 'maximum'])}")


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


def aggregate(
    rows: Iterable[StatRow], *, level: str, since: dt.date, until: dt.date, increment: str | None,
    breakdowns: Sequence[str],
) -> list[JsonObject]:
    if level not in LEVELS:
        raise invalid_parameter(f"level must be one of {', '.join(LEVELS)}")
    for name in breakdowns:
        if name not in BREAKDOWN_SHARES:
            raise invalid_parameter(f"breakdown {name!r} is not supported; use {', '.join(BREAKDOWN_SHARES)}")
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
    for group in sorted(groups.values(), key=lambda g: (g["bucket"], g["ident"])):
        for variant in _breakdown_variants(group, breakdowns):
            out.append(_graph_row(level, group, variant))
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


def _graph_row(level: str, group: dict[str, Any], variant: dict[str, Any]) -> JsonObject:
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
        "actions": [{"action_type": k, "value": str(v)} for k, v in sorted(variant["actions"].items())],
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


def select_insight_fields(rows: list[JsonObject], params: dict[str, str], breakdowns: Sequence[str]) -> list[JsonObject]:
    """Keep requested fields plus the always-present date and breakdown keys, as Graph does."""
    fields = parse_list_param(params, "fields") or list(DEFAULT_FIELDS)
    keep = {*fields, "date_start", "date_stop", *breakdowns}
    return [{k: v for k, v in row.items() if k in keep} for row in rows]

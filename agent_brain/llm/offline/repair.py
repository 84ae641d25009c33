"""Deterministic repair of tool-call arguments that failed validation.

Input (the agent loop's repair prompt): the tool's name, the invalid arguments, the validation
error and, when given, the JSON schema. Fixes: period words → presets ("week" → "last_7d"),
money strings → integer cents ("$50" → 5000), numbers as strings → numbers (clamped to the
schema's bounds), enum values by case and synonyms, snake_case / alias names → the schema's
names, phones → E.164, dates → ISO, unknown fields dropped; ids are kept as they are. When
nothing can be fixed the answer is `{}`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from agent_brain.llm.offline.extract import PERIOD_NAMES, Scan, extract_money, extract_period

_ALIASES = {
    "campaign_id": "campaignId", "campaign": "campaignId", "adset_id": "adsetId", "ad_set_id": "adsetId",
    "adSetId": "adsetId", "direction_id": "directionId", "creative_id": "creativeId", "lead_id": "leadId",
    "test_id": "testId", "date_from": "dateFrom", "date_to": "dateTo", "from": "dateFrom", "to": "dateTo",
    "budget": "dailyBudgetCents", "daily_budget": "dailyBudgetCents", "daily_budget_cents": "dailyBudgetCents",
    "amount": "dailyBudgetCents", "target_cpl": "targetCplCents", "target_cpl_cents": "targetCplCents",
    "creative_ids": "creativeIds", "group_by": "groupBy", "compare_by": "compareBy", "media_type": "mediaType",
    "risk_level": "riskLevel", "interest_level": "interestLevel", "min_score": "minScore", "max_score": "maxScore",
    "phone_number": "phone", "text": "message", "q": "query",
}
_ENUM_SYNONYMS = {
    "running": ("active", "ACTIVE", "running"), "active": ("active", "ACTIVE", "running"),
    "paused": ("paused", "PAUSED", "stopped"), "stopped": ("stopped", "paused", "PAUSED"),
    "enabled": ("active", "ACTIVE"), "disabled": ("paused", "PAUSED"), "finished": ("completed",),
    "done": ("completed",), "any": ("all",), "everything": ("all",), "daily": ("day",), "days": ("day",),
    "campaigns": ("campaign",), "directions": ("direction",), "creatives": ("creative",), "adsets": ("adset",),
    "videos": ("video",), "images": ("image",), "picture": ("image",),
}


def _first_json(text: str, after: str) -> Any:
    """The first JSON value after a label ("Arguments:"), tolerating Python-ish spellings."""
    pos = text.find(after)
    if pos < 0:
        return None
    rest = text[pos + len(after):].lstrip() if after != "{" else text[pos:]
    decoder = json.JSONDecoder()
    for candidate in (rest, _pythonish(rest)):
        try:
            return decoder.raw_decode(candidate)[0]
        except ValueError:
            continue
    return None


def _pythonish(text: str) -> str:
    text = re.sub(r"\bTrue\b", "true", re.sub(r"\bFalse\b", "false", re.sub(r"\bNone\b", "null", text)))
    text = re.sub(r"'([^'\\]*)'", r'"\1"', text)
    return re.sub(r",\s*([}\]])", r"\1", text)


def _section(text: str, label: str) -> str:
    m = re.search(rf"{label}:\s*(.*?)(?:\n[A-Z][\w ]+:|\Z)", text, re.S)
    return m.group(1).strip() if m else ""


def _unwrap(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null alternative of an `anyOf` (strict-mode optional fields)."""
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            for alt in schema[key]:
                if isinstance(alt, dict) and alt.get("type") != "null":
                    return {**{k: v for k, v in schema.items() if k != key}, **_unwrap(alt)}
    return schema


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _bounds_from_error(error: str, field: str) -> tuple[float | None, float | None]:
    low = re.search(rf"{re.escape(field)}[^;]*?greater than or equal to (\d+)", error)
    high = re.search(rf"{re.escape(field)}[^;]*?less than or equal to (\d+)", error)
    return (float(low.group(1)) if low else None), (float(high.group(1)) if high else None)


def _enum_from_error(error: str, field: str) -> list[str]:
    m = re.search(rf"{re.escape(field)}:[^;]*?Input should be ([^;]+)", error)
    return re.findall(r"'([^']+)'", m.group(1)) if m else []


def _date(value: Any, today: dt.date) -> str | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            period = extract_period(Scan(value.lower()), today)
            if period and period.date_from:
                return period.date_from.isoformat()
    return None


def _phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return "+" + digits


def _money(value: Any, low: float | None) -> int | None:
    """Cents from "$50" / "50.5" / 50.0 / 50 (when 50 is below the minimum, it meant dollars)."""
    if isinstance(value, str):
        found = extract_money(Scan(value.lower()), bare=True)
        if not found:
            return None
        cents = found[0].cents
        # A bare "5000" in a *Cents field is already cents; "$50" / "50.5" / "50 usd" were major units.
        if found[0].currency is None and re.fullmatch(r"\s*\d+\s*", value):
            cents = int(value)
        return cents
    if isinstance(value, float):
        return round(value * 100) if value != int(value) or (low is not None and value < low) else int(value)
    if isinstance(value, int) and low is not None and value < low and value * 100 >= low:
        return value * 100
    return None


def _fix(field: str, value: Any, spec: dict[str, Any], error: str, today: dt.date) -> tuple[bool, Any]:
    """(changed, new value) for one field; (True, None) drops it."""
    spec = _unwrap(spec)
    kind = spec.get("type")
    enum = spec.get("enum") or _enum_from_error(error, field)
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is None and high is None:
        low, high = _bounds_from_error(error, field)
    if value is None:
        return True, None
    if field == "period" and value not in PERIOD_NAMES:
        period = extract_period(Scan(str(value).lower().replace("_", " ")), today) if isinstance(value, str) else None
        if period and period.name:
            return True, period.name
        if period:
            return True, period.args()
        return True, None
    if field in ("dateFrom", "dateTo"):
        fixed = _date(value, today)
        return (fixed != value, fixed) if fixed else (True, None)
    if field.endswith("Cents") or field.endswith("_cents"):
        cents = _money(value, low)
        if cents is not None and cents != value:
            return True, cents
    if field == "phone" and isinstance(value, str):
        return (_phone(value) != value), _phone(value)
    if field == "phones":
        items = value if isinstance(value, list) else re.split(r"[,;]\s*", str(value))
        fixed = [_phone(str(p)) for p in items if re.sub(r"\D", "", str(p))]
        return fixed != value, fixed
    if enum and isinstance(value, str) and value not in enum:
        wanted = [value.lower(), *_ENUM_SYNONYMS.get(value.lower(), ())]
        for w in wanted:
            match = next((e for e in enum if isinstance(e, str) and e.lower() == w.lower()), None)
            if match:
                return True, match
        return True, None  # an invalid optional filter is better dropped than guessed
    if kind == "integer" or (kind is None and (low is not None or high is not None)):
        number = value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(?:[.,]\d+)?\s*", value):
            number = float(value.replace(",", "."))
        if isinstance(number, int | float) and not isinstance(number, bool):
            number = int(round(number))
            if low is not None:
                number = max(int(low), number)
            if high is not None:
                number = min(int(high), number)
            return number != value, number
    if kind == "array" and isinstance(value, str):
        return True, [v.strip() for v in re.split(r"[,;]", value) if v.strip()]
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return True, str(value)
    return False, value


def repair(text: str, today: dt.date) -> dict[str, Any]:
    """Corrected arguments from a repair request, or {} when they cannot be repaired."""
    args = _first_json(text, "Arguments:")
    if args is None:
        args = _first_json(text, "{") if "{" in text else None
    if not isinstance(args, dict):
        return {}
    schema = _first_json(text, "JSON schema:")
    props: dict[str, Any] = schema.get("properties", {}) if isinstance(schema, dict) else {}
    error = _section(text, "Validation error") or text
    fixed: dict[str, Any] = {}
    changed = False
    for key, value in args.items():
        name = key
        if props and key not in props:
            name = next((n for n in (_ALIASES.get(key), _camel(key)) if n and n in props), "")
            changed = True
            if not name:
                continue  # unknown to the schema: dropped
        elif not props and re.search(rf"{re.escape(key)}:\s*Extra inputs are not permitted", error):
            changed = True
            continue
        did, new = _fix(name, value, props.get(name, {}), error, today)
        changed = changed or did
        if isinstance(new, dict) and name == "period":  # a range written as a period
            fixed.update(new)
        elif new is not None:
            fixed[name] = new
    return fixed if changed else {}

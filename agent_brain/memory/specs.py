"""Procedural memory: the business's tracking, CRM and KPI specs (`business_specs`).

A user may keep one user-level spec (ad_account_id NULL) and one per ad account; an agent sees
the account's spec merged over the user-level one, key by key within each section (a key set on
the account wins; a nested object such as `target_cpl_by_direction` is replaced as a whole).

`update` is a partial merge: the given keys are set, keys given as None are removed, all other
keys stay. Values are validated first (money keys `*_cents` must be non-negative integers), and
a bad value raises ValueError naming the section and key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from sqlalchemy import Text, bindparam, func, literal, select, type_coerce, union_all
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import BusinessSpec as SpecRow
from agent_brain.money import format_money

SECTIONS = ("tracking", "crm", "kpi")
MAX_SECTION_CHARS = 400  # per prompt line: a spec is context, not a document

Cents = Annotated[StrictInt, Field(ge=0)]
NonNegativeNumber = Annotated[StrictInt, Field(ge=0)] | Annotated[StrictFloat, Field(ge=0)]


class BusinessSpec(BaseModel):
    """The effective spec of a (user, ad account): each section a plain JSON object."""

    model_config = ConfigDict(frozen=True)

    tracking: dict[str, Any] = Field(default_factory=dict)
    crm: dict[str, Any] = Field(default_factory=dict)
    kpi: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.tracking or self.crm or self.kpi)


# ── validation of patches ───────────────────────────────────────────────────────────────────


class _Patch(BaseModel):
    """Known keys are typed; any other key is allowed, but `*_cents` keys are money everywhere."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="after")
    def _money_keys(self) -> _Patch:
        for key, value in (self.model_extra or {}).items():
            _check_cents(key, value)
        return self


def _check_cents(key: str, value: Any) -> None:
    is_cents = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if key.endswith("_cents") and value is not None and not is_cents:
        raise ValueError(f"{key} must be a non-negative integer number of cents, got {value!r}")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_cents(str(k), v)


class KpiPatch(_Patch):
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")] | None = None
    target_cpl_cents: Cents | None = None
    max_cpl_cents: Cents | None = None
    monthly_budget_cents: Cents | None = None
    target_roi_percent: NonNegativeNumber | None = None
    target_cpl_by_direction: dict[str, Cents | None] | None = None


class CrmPatch(_Patch):
    funnel: list[StrictStr] | None = None
    won_stage: StrictStr | None = None
    lost_stage: StrictStr | None = None


class TrackingPatch(_Patch):
    lead_actions: list[StrictStr] | None = None
    pixel_id: StrictStr | None = None
    attribution: StrictStr | None = None


_PATCH_MODELS: dict[str, type[_Patch]] = {"tracking": TrackingPatch, "crm": CrmPatch, "kpi": KpiPatch}


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def _validated(section: str, patch: Any) -> tuple[dict[str, Any], list[str]]:
    """(keys to set, keys to remove) of one section's patch; ValueError when it is invalid."""
    if not isinstance(patch, Mapping):
        raise ValueError(f"{section} must be an object (a dict), got {type(patch).__name__}")
    if any(not isinstance(k, str) for k in patch):
        raise ValueError(f"invalid {section}: keys must be strings")
    patch = dict(patch)
    if isinstance(patch.get("currency"), str):
        patch["currency"] = patch["currency"].strip().upper()
    try:
        _PATCH_MODELS[section].model_validate(patch)
        json.dumps(patch, allow_nan=False)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ValueError(f"invalid {section}: {problems}") from None
    except (TypeError, ValueError) as exc:  # not JSON: sets, objects, NaN …
        raise ValueError(f"invalid {section}: values must be plain JSON ({exc})") from None
    values = {k: _drop_none(v) for k, v in patch.items() if v is not None}
    return values, [k for k, v in patch.items() if v is None]


def _merge(rows: list[Any]) -> BusinessSpec:
    """User-level row first, the account's row over it, key by key per section."""
    ordered = sorted(rows, key=lambda r: r.ad_account_id is not None)
    merged: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for row in ordered:
        for section in SECTIONS:
            merged[section].update(getattr(row, section) or {})
    return BusinessSpec(**merged)


# ── the store ───────────────────────────────────────────────────────────────────────────────


_COLUMNS = (SpecRow.ad_account_id, SpecRow.tracking, SpecRow.crm, SpecRow.kpi)
# Built once (every turn reads the spec): the user-level row, and the account's row with it.
_USER_SPEC = select(*_COLUMNS).where(SpecRow.user_id == bindparam("user_id"), SpecRow.ad_account_id.is_(None))
_ACCOUNT_SPEC = select(*_COLUMNS).where(
    SpecRow.user_id == bindparam("user_id"),
    (SpecRow.ad_account_id == bindparam("ad_account_id")) | SpecRow.ad_account_id.is_(None))


class BusinessSpecsStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def _merged(self, stmt: Any, params: dict[str, Any] | None = None) -> BusinessSpec:
        async with self._engine.connect() as conn:
            return _merge(list((await conn.execute(stmt, params)).all()))

    async def get(self, user_id: uuid.UUID, ad_account_id: uuid.UUID | None) -> BusinessSpec:
        """The account's spec merged over the user-level one; an empty spec when there is none."""
        return await self._merged(_USER_SPEC if ad_account_id is None else _ACCOUNT_SPEC,
                                  {"user_id": user_id, "ad_account_id": ad_account_id})

    async def update(
        self,
        user_id: uuid.UUID,
        ad_account_id: uuid.UUID | None,
        *,
        tracking: Mapping[str, Any] | None = None,
        crm: Mapping[str, Any] | None = None,
        kpi: Mapping[str, Any] | None = None,
    ) -> BusinessSpec:
        """Merge the given keys into the (user, account) spec, creating it; returns the effective spec.

        One statement: the upsert runs in a CTE and the user-level row is read beside it.

        Raises:
            ValueError: a section is not an object, or a value is invalid (e.g. negative cents).
        """
        patches = {s: _validated(s, p) for s, p in (("tracking", tracking), ("crm", crm), ("kpi", kpi))
                   if p is not None}
        if not patches:
            return await self.get(user_id, ad_account_id)
        ins = pg_insert(SpecRow).values(
            user_id=user_id, ad_account_id=ad_account_id,
            **{section: values for section, (values, _removed) in patches.items()},
        )
        set_: dict[str, Any] = {"updated_at": func.now()}
        for section, (_values, removed) in patches.items():
            column = getattr(SpecRow, section)
            merged = type_coerce(column.op("||")(getattr(ins.excluded, section)), JSONB)
            if removed:
                merged = type_coerce(merged.op("-")(literal(removed, ARRAY(Text))), JSONB)
            set_[section] = merged
        upserted = (ins.on_conflict_do_update(constraint="uq_business_specs_user_account", set_=set_)
                    .returning(*_COLUMNS).cte("upserted"))
        stmt: Any = select(upserted)
        if ad_account_id is not None:
            # The snapshot the statement reads is from before the upsert; the user-level row is untouched by it.
            user_level = select(*_COLUMNS).where(SpecRow.user_id == user_id, SpecRow.ad_account_id.is_(None))
            stmt = union_all(stmt, user_level)
        return await self._merged(stmt)

    @staticmethod
    def target_cpl_cents(spec: BusinessSpec, direction: str | None = None) -> int | None:
        return target_cpl_cents(spec, direction)

    @staticmethod
    def format_for_prompt(spec: BusinessSpec, language: str) -> str:
        return format_for_prompt(spec, language)


# ── reading a spec ──────────────────────────────────────────────────────────────────────────


def _cents(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def target_cpl_cents(spec: BusinessSpec, direction: str | None = None) -> int | None:
    """The target CPL in cents: the direction's own (`target_cpl_by_direction`, as the demo seed
    writes it) when a direction is named, else `target_cpl_cents`; None when unset or zero."""
    if direction is not None:
        by_direction = spec.kpi.get("target_cpl_by_direction")
        if isinstance(by_direction, Mapping) and (own := _cents(by_direction.get(direction))):
            return own
    return _cents(spec.kpi.get("target_cpl_cents"))


# key → (RU, EN) labels; KPI keys in this order come first.
_LABELS = {
    "target_cpl_cents": ("целевой CPL", "target CPL"),
    "max_cpl_cents": ("макс. CPL", "max CPL"),
    "target_roi_percent": ("целевой ROI", "target ROI"),
    "monthly_budget_cents": ("бюджет в месяц", "monthly budget"),
    "target_cpl_by_direction": ("целевой CPL по направлениям", "target CPL by direction"),
    "currency": ("валюта", "currency"),
    "funnel": ("воронка", "funnel"),
    "won_stage": ("успешный этап", "won stage"),
    "lost_stage": ("этап потери", "lost stage"),
    "lead_actions": ("события лида", "lead events"),
    "pixel_id": ("пиксель", "pixel"),
    "custom_conversion_id": ("конверсия", "custom conversion"),
    "whatsapp_phone": ("WhatsApp", "WhatsApp"),
    "attribution": ("атрибуция", "attribution"),
}
_HEADERS = {"kpi": ("KPI", "KPI"), "crm": ("CRM", "CRM"), "tracking": ("Трекинг", "Tracking")}


def _is_money(key: str) -> bool:
    return key.endswith("_cents") or "cpl" in key or "budget" in key


def _value(key: str, value: Any, currency: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and _is_money(key):
        return format_money(value, currency)
    if isinstance(value, int | float) and not isinstance(value, bool) and key.endswith("_percent"):
        return f"{value:g}%"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_value(key, v, currency)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return (" → " if key == "funnel" else ", ").join(str(v) for v in value)
    return str(value)


def _section(section: str, values: Mapping[str, Any], en: bool, currency: str) -> str:
    known = [k for k in _LABELS if k in values]
    keys = known + sorted(k for k in values if k not in _LABELS)
    parts = [f"{_LABELS.get(k, (k.replace('_', ' '),) * 2)[en]}: {_value(k, values[k], currency)}"
             for k in keys if values[k] not in (None, "", [], {})]
    line = f"{_HEADERS[section][en]}: " + "; ".join(parts)
    return line if len(line) <= MAX_SECTION_CHARS else line[: MAX_SECTION_CHARS - 1] + "…"


def format_for_prompt(spec: BusinessSpec, language: str) -> str:
    """A compact block for an agent's prompt — KPI first, then CRM, then tracking; "" when empty."""
    en = language.lower().startswith("en")
    currency = spec.kpi.get("currency") if isinstance(spec.kpi.get("currency"), str) else "USD"
    lines = [_section(s, getattr(spec, s), en, currency) for s in ("kpi", "crm", "tracking") if getattr(spec, s)]
    if not lines:
        return ""
    return "\n".join(["Business profile:" if en else "Бизнес-профиль:", *lines])

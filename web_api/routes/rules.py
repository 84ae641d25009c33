"""Automation rules over HTTP: preview (words + 30-day backtest), create, list, change, delete, log.

A rule body is the `RuleSpec` itself (the same validated structure the chat produces); money is in
the account currency's minor units. Every route acts on the caller's own rules only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from agent_brain import clock
from agent_brain.automation.evaluate import backtest
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RuleNotFoundError, RulesStore, StoredRule
from agent_brain.runtime import Runtime
from agent_brain.stores.users import UserRecord
from web_api.deps import CurrentUser, Lang, RuntimeDep
from web_api.errors import ApiError
from web_api.schemas import ERRORS

router = APIRouter(prefix="/api/brain/rules", tags=["rules"], responses=ERRORS)


class RuleChange(BaseModel):
    enabled: bool | None = None
    mode: str | None = Field(default=None, pattern="^(propose|auto)$")
    threshold: float | None = Field(default=None, ge=0)
    action_value: float | None = None
    schedule_hours: int | None = Field(default=None, ge=1, le=168)


async def _account(runtime: Runtime, user: UserRecord, lang: str) -> tuple[uuid.UUID, str, str]:
    ctx = await runtime.orchestrator.context_for(user.id)
    if ctx.ad_account_id is None:
        raise ApiError(409, "no_ad_account", text="К пользователю не привязан рекламный аккаунт." if lang == "ru"
                       else "No ad account is linked to this user.")
    return ctx.ad_account_id, ctx.currency, ctx.timezone


def _rule_out(rule: StoredRule, language: str, currency: str) -> dict[str, Any]:
    return {"id": str(rule.id), "enabled": rule.enabled, "spec": rule.spec.model_dump(mode="json"),
            "description": rule.spec.describe(language, currency),
            "lastEvaluatedAt": rule.last_evaluated_at.isoformat() if rule.last_evaluated_at else None}


async def _preview(runtime: Runtime, spec: RuleSpec, account: uuid.UUID, currency: str, timezone: str,
                   language: str) -> dict[str, Any]:
    if spec.kind != "metric":  # the optimizer and the bandit have no threshold to backtest: they propose plans
        return {"description": spec.describe(language, currency), "backtest": None}
    result = await backtest(runtime.engine, spec, ad_account_id=account,
                            last_day=clock.today_in(timezone) - dt.timedelta(days=1))
    return {"description": spec.describe(language, currency), "backtest": {
        "from": result.first_day.isoformat(), "to": result.last_day.isoformat(),
        "effectCents": result.effect_cents(spec),
        "hits": [{"objectId": h.object_id, "objectName": h.object_name, "firstDay": h.first_day.isoformat(),
                  "daysFired": h.days_fired, "spendAfterFirstCents": h.spend_after_first_cents} for h in result.hits]}}


@router.post("/preview")
async def preview_rule(spec: RuleSpec, user: CurrentUser, runtime: RuntimeDep, lang: Lang) -> dict[str, Any]:
    """The rule in words and what it would have done over the last 30 days; nothing is saved."""
    account, currency, timezone = await _account(runtime, user, lang)
    return await _preview(runtime, spec, account, currency, timezone, lang)


@router.post("", status_code=201)
async def create_rule(spec: RuleSpec, user: CurrentUser, runtime: RuntimeDep, lang: Lang) -> dict[str, Any]:
    account, currency, timezone = await _account(runtime, user, lang)
    rule = await RulesStore(runtime.engine).create(user.id, account, spec)
    return {"rule": _rule_out(rule, lang, currency),
            **await _preview(runtime, spec, account, currency, timezone, lang)}


@router.get("")
async def list_rules(user: CurrentUser, runtime: RuntimeDep, lang: Lang) -> dict[str, Any]:
    _account_id, currency, _tz = await _account(runtime, user, lang)
    return {"items": [_rule_out(r, lang, currency) for r in await RulesStore(runtime.engine).list(user.id)]}


@router.get("/events")
async def rule_events(user: CurrentUser, runtime: RuntimeDep,
                      days: Annotated[int, Query(ge=1, le=90)] = 7) -> dict[str, Any]:
    """What the rules did (fired, proposed, executed, skipped and why), newest first."""
    events = await RulesStore(runtime.engine).events(user.id, since=clock.now() - dt.timedelta(days=days))
    return {"items": [{"rule": e["name"], "ruleId": str(e["rule_id"]), "objectId": e["object_id"],
                       "objectName": e["object_name"], "value": e["metric_value"], "outcome": e["outcome"],
                       "planId": str(e["plan_id"]) if e["plan_id"] else None, "at": e["created_at"].isoformat()}
                      for e in events]}


@router.patch("/{rule_id}")
async def change_rule(rule_id: uuid.UUID, body: RuleChange, user: CurrentUser, runtime: RuntimeDep,
                      lang: Lang) -> dict[str, Any]:
    _account_id, currency, _tz = await _account(runtime, user, lang)
    try:
        rule = await RulesStore(runtime.engine).update(user.id, rule_id, **body.model_dump(exclude_none=True))
    except RuleNotFoundError:
        raise ApiError(404, "not_found") from None
    except ValueError as exc:
        raise ApiError(422, "validation_error", text=str(exc).splitlines()[-1]) from None
    return {"rule": _rule_out(rule, lang, currency)}


@router.delete("/{rule_id}", status_code=204)
async def delete_rule(rule_id: uuid.UUID, user: CurrentUser, runtime: RuntimeDep) -> Response:
    try:
        await RulesStore(runtime.engine).delete(user.id, rule_id)
    except RuleNotFoundError:
        raise ApiError(404, "not_found") from None
    return Response(status_code=204)

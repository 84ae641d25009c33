"""Reading a journalled write's object back without the tool that made it (recovery, undo).

The row's `target` (type, id, locator) and `expected` say what to read; the answer has the same
keys as `expected`, so `values_match(expected, state)` tells whether the write applied. Objects
the journal cannot read yet give None: such an action stays `unknown` and is reported, never guessed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Creative, Direction, FunnelStage, Lead, WhatsAppMessage
from agent_brain.journal import creatives
from agent_brain.journal.records import ActionRecord
from agent_brain.platforms.meta.adapter import MetaAdapter

_DIRECTION_COLUMNS = ("daily_budget_cents", "target_cpl_cents", "is_active", "campaign_status")


async def read_target(action: ActionRecord, *, meta: MetaAdapter, engine: AsyncEngine) -> dict[str, Any] | None:
    """The object's current values for the keys of `action.expected`, or None if it cannot be read here."""
    target, wanted = action.target, set(action.expected)
    if hasattr(meta, "for_platform"):  # a PlatformRouter: the object lives on the write's own platform
        meta = meta.for_platform(action.platform)
    kind = action.target_type
    state: dict[str, Any] = {}
    if kind == "campaign":
        campaign = await meta.get_campaign(str(action.target_id))
        state = {"status": campaign.status, "daily_budget": campaign.daily_budget_cents}
    elif kind == "adset":
        ad_set = await meta.get_ad_set(str(action.target_id))
        state = {"status": ad_set.status, "daily_budget": ad_set.daily_budget_cents}
    elif kind == "direction":
        state = await _direction(action, meta, engine, wanted)
    elif kind == "lead":
        state = await _lead(action, engine)
    elif kind == "dialogs":
        state = await _dialogs(action, engine)
    elif kind == "creative" and action.tool in _CREATED:
        state = await _CREATED[action.tool](action, meta, engine)
    elif kind == "creative" and wanted <= {"ad_statuses", "creative_status"}:
        state = await _creative(action, target, meta, engine)
    if not wanted <= set(state):
        return None
    return {key: state[key] for key in wanted}


async def _launch(action: ActionRecord, meta: MetaAdapter, engine: AsyncEngine) -> dict[str, Any]:
    if "ad_set_id" not in action.target:
        return {}  # journalled before launches recorded where they go
    return await creatives.read_launch(action.target, uuid.UUID(str(action.target_id)), meta=meta, engine=engine)


async def _test(action: ActionRecord, meta: MetaAdapter, engine: AsyncEngine) -> dict[str, Any]:
    if "earlier_tests" not in action.target:
        return {}
    return await creatives.read_test(uuid.UUID(str(action.target_id)), int(action.target["earlier_tests"]),
                                     meta=meta, engine=engine)


async def _analysis(action: ActionRecord, meta: MetaAdapter, engine: AsyncEngine) -> dict[str, Any]:
    return await creatives.read_analysis(uuid.UUID(str(action.target_id)), str(action.expected["analysis_id"]),
                                         engine=engine)


# Creative writes that make a new object, read back by what their row recorded before the call.
_CREATED = {"launchCreative": _launch, "startCreativeTest": _test, "triggerCreativeAnalysis": _analysis}


async def _direction(action: ActionRecord, meta: MetaAdapter, engine: AsyncEngine, wanted: set[str]) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(Direction.__table__).where(
            Direction.id == uuid.UUID(str(action.target_id)), Direction.user_id == action.user_id))).first()
    if row is None:
        return {}
    state: dict[str, Any] = {name: getattr(row, name) for name in _DIRECTION_COLUMNS}
    platform = action.target.get("platform")
    if "platform_daily_budget" in wanted and platform:
        obj = (await meta.get_campaign(platform["id"]) if platform["level"] == "campaign"
               else await meta.get_ad_set(platform["id"]))
        state["platform_daily_budget"] = obj.daily_budget_cents
    if "adsets" in wanted:
        state["adsets"] = {ad_set_id: (await meta.get_ad_set(ad_set_id)).status
                           for ad_set_id in action.expected["adsets"]}
    return state


async def _lead(action: ActionRecord, engine: AsyncEngine) -> dict[str, Any]:
    stmt = (select(FunnelStage.name).select_from(Lead).join(FunnelStage, FunnelStage.id == Lead.stage_id)
            .where(Lead.id == uuid.UUID(str(action.target_id)), Lead.user_id == action.user_id))
    async with engine.connect() as conn:
        stage = (await conn.execute(stmt)).scalar_one_or_none()
    return {} if stage is None else {"stage": stage}


async def _dialogs(action: ActionRecord, engine: AsyncEngine) -> dict[str, Any]:
    ids = [uuid.UUID(i) for i in action.target.get("dialog_ids", [])]
    since = dt.datetime.fromisoformat(action.target["since"])
    stmt = select(func.count(func.distinct(WhatsAppMessage.dialog_id))).where(
        WhatsAppMessage.dialog_id.in_(ids), WhatsAppMessage.direction == "out",
        WhatsAppMessage.text == action.args.get("message"), WhatsAppMessage.sent_at >= since)
    async with engine.connect() as conn:
        return {"recipients": (await conn.execute(stmt)).scalar_one()}


async def _creative(action: ActionRecord, target: dict[str, Any], meta: MetaAdapter,
                    engine: AsyncEngine) -> dict[str, Any]:
    pairs = [tuple(p) for p in target.get("ads", [])]
    found: dict[str, str] = {}
    for ad_set_id in sorted({ad_set for _, ad_set in pairs}):
        for ad in await meta.list_ads(ad_set_id=ad_set_id):
            found[ad.id] = ad.status
    async with engine.connect() as conn:
        status = (await conn.execute(select(Creative.status).where(
            Creative.id == uuid.UUID(str(action.target_id))))).scalar_one_or_none()
    return {"ad_statuses": {ad_id: found.get(ad_id) for ad_id, _ in pairs}, "creative_status": status}

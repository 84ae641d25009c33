"""Undo: a plan that puts back the state the journal recorded before a write.

The plan is an ordinary one (approved like any write, run by PlanExecutor through the write path),
whose step is the inverse tool call with the journalled before-state, and whose journal row links
to the action it reverts. An action is undone at most once (the database refuses a second revert
that did not fail); actions nothing can take back (a sent message) are refused with a reason; an
object someone changed since is described, and the plan asks before overwriting that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.journal.readback import read_target
from agent_brain.journal.records import ActionRecord
from agent_brain.journal.store import ActionFilter, ActionJournal
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.write_safety import values_match
from agent_brain.stores.records import NewMessage, Plan, PlanRecord, PlanStep, Source
from agent_brain.stores.unified import UnifiedStore

Inverse = Callable[[ActionRecord], tuple[str, dict[str, Any]] | None]


def _before(key: str) -> Callable[[ActionRecord], Any]:
    return lambda a: (a.before_state or {}).get(key)


def _swap(tool: str, arg: str) -> Inverse:
    return lambda a: (tool, {arg: a.target_id})


def _restore(tool: str, arg: str, value_arg: str, state_key: str) -> Inverse:
    def inverse(a: ActionRecord) -> tuple[str, dict[str, Any]] | None:
        value = _before(state_key)(a)
        return None if value is None else (tool, {arg: a.target_id, value_arg: value})

    return inverse


def _created(tool: str, arg: str, response_key: str) -> Inverse:
    """A creation is undone by archiving what it created (its id is in the journalled response)."""
    def inverse(a: ActionRecord) -> tuple[str, dict[str, Any]] | None:
        response = a.response.get("result", a.response) if isinstance(a.response, dict) else None
        value = response.get(response_key) if isinstance(response, dict) else None
        return None if value is None else (tool, {arg: value})

    return inverse


def _restore_all(tool: str, arg: str) -> Inverse:
    """The same tool with every journalled before-value that was set (a value that was unset cannot be sent)."""
    def inverse(a: ActionRecord) -> tuple[str, dict[str, Any]] | None:
        values = {k: v for k, v in (a.before_state or {}).items() if v is not None}
        return (tool, {arg: a.target_id, **values}) if values else None

    return inverse


def _resume_direction(a: ActionRecord) -> tuple[str, dict[str, Any]] | None:
    """Switch back on exactly the ad sets the pause stopped: those ACTIVE in its before-state."""
    before = (a.before_state or {}).get("adsets")
    if before is None and "adsets" in a.expected:
        return None  # the ad sets' earlier states were not recorded: do not guess
    return "resumeDirection", {"directionId": a.target_id,
                               "adsetIds": sorted(i for i, s in (before or {}).items() if s == "ACTIVE")}


# The tool call that restores an action's before-state. Tools missing here cannot be undone yet.
INVERSES: dict[str, Inverse] = {
    "pauseCampaign": _swap("resumeCampaign", "campaignId"),
    "resumeCampaign": _swap("pauseCampaign", "campaignId"),
    "pauseAdSet": _swap("resumeAdSet", "adsetId"),
    "resumeAdSet": _swap("pauseAdSet", "adsetId"),
    "updateBudget": _restore("updateBudget", "adsetId", "dailyBudgetCents", "daily_budget"),
    "updateDirectionBudget": _restore("updateDirectionBudget", "directionId", "dailyBudgetCents", "daily_budget_cents"),
    "updateDirectionTargetCPL": _restore("updateDirectionTargetCPL", "directionId", "targetCplCents",
                                         "target_cpl_cents"),
    "updateLeadStage": _restore("updateLeadStage", "leadId", "stage", "stage"),
    "createCampaignStructure": _created("archiveCampaign", "campaignId", "campaign_id"),
    "updateAdSetTargeting": _restore_all("updateAdSetTargeting", "adsetId"),
    "updateAdSetSettings": _restore_all("updateAdSetSettings", "adsetId"),
    "pauseDirection": _resume_direction,
}


@dataclass(frozen=True)
class UndoProposal:
    code: str  # planned | not_found | already_reverted | irreversible | not_applied | nothing_changed
    text: str
    plan: PlanRecord | None = None
    action: ActionRecord | None = None
    changed_since: dict[str, Any] | None = None


def _state(value: dict[str, Any] | None) -> str:
    return ", ".join(f"{v}" if len(value) == 1 else f"{k}={v}" for k, v in value.items()) if value else "—"


async def propose_undo(
    *, engine: AsyncEngine, meta: MetaAdapter, store: UnifiedStore, user_id: uuid.UUID, language: str,
    action_id: uuid.UUID | None = None, conversation_id: uuid.UUID | None = None, source: Source = "web",
    telegram_chat_id: int | None = None,
) -> UndoProposal:
    """A pending plan undoing `action_id` (or the last change in `conversation_id`), or why not."""
    ru = language == "ru"
    journal = ActionJournal(engine)
    action = await _pick(journal, user_id, action_id, conversation_id)
    if action is None:
        return UndoProposal("not_found", "Не нашёл изменений, которые можно отменить." if ru
                            else "I found no change to undo.")
    what = f"{action.tool}" + (f" «{action.target_name}»" if action.target_name else "")
    if not action.reversible or action.tool not in INVERSES:
        reason = ("сообщение уже отправлено, вернуть его нельзя" if action.tool == "sendBulkMessage" and ru
                  else "the message has already been sent and cannot be taken back"
                  if action.tool == "sendBulkMessage" else
                  "автоматически это действие не отменить" if ru else "this action cannot be undone automatically")
        return UndoProposal("irreversible", f"Не могу отменить {what}: {reason}." if ru
                            else f"I can't undo {what}: {reason}.", action=action)
    if action.status not in ("verified", "unverified"):
        return UndoProposal("not_applied", f"{what} не применилось — отменять нечего." if ru
                            else f"{what} was not applied — there is nothing to undo.", action=action)
    if any(r.status != "failed" for r in await journal.reverts_of(action.id)):
        return UndoProposal("already_reverted", f"{what} уже отменено." if ru else f"{what} has already been undone.",
                            action=action)
    after = action.after_state if action.after_state is not None else action.expected
    if action.before_state is not None and values_match(action.before_state, after):
        return UndoProposal("nothing_changed", f"{what} ничего не изменило — отменять нечего." if ru
                            else f"{what} changed nothing — there is nothing to undo.", action=action)
    inverse = INVERSES[action.tool](action)
    if inverse is None:
        return UndoProposal("irreversible", f"Не знаю, каким {what} было до изменения." if ru
                            else f"I don't know what {what} was before the change.", action=action)
    tool, params = inverse
    current = await read_target(action, meta=meta, engine=engine)
    changed = current if current is not None and not values_match(after, current) else None
    restore = _state(action.before_state)
    if changed is not None:
        text = (f"С тех пор {what} изменили: сейчас {_state(changed)}, после моего изменения было {_state(after)}. "
                f"Всё равно вернуть {restore}? Подтвердите план." if ru else
                f"{what} has changed since: it is now {_state(changed)}, after my change it was {_state(after)}. "
                f"Restore {restore} anyway? Please confirm the plan.")
    else:
        text = (f"Отменю {what}: верну {restore}. Подтвердите план." if ru
                else f"I'll undo {what}: restore {restore}. Please confirm the plan.")
    conv_id = conversation_id or action.conversation_id
    if conv_id is None:
        conv_id = (await store.get_or_create(user_id=user_id, source=source, telegram_chat_id=telegram_chat_id)).id
    step = PlanStep(action=tool, params=params, dangerous=True,
                    description=(f"Отмена: {what} → {restore}" if ru else f"Undo: {what} → {restore}"))
    plan = await store.create_pending_plan(
        conv_id, user_id, Plan(steps=[step], summary=text, reverts_action_id=str(action.id)), source=source,
        telegram_chat_id=telegram_chat_id)
    await store.add_message(conv_id, NewMessage(role="assistant", content=text, domain="system",
                                                plan_json={**plan.plan_json, "plan_id": str(plan.id)}))
    return UndoProposal("planned", text, plan=plan, action=action, changed_since=changed)


async def _pick(journal: ActionJournal, user_id: uuid.UUID, action_id: uuid.UUID | None,
                conversation_id: uuid.UUID | None) -> ActionRecord | None:
    if action_id is not None:
        return await journal.get(action_id, user_id=user_id)
    scopes = [ActionFilter(conversation_id=conversation_id)] if conversation_id else []
    for flt in [*scopes, ActionFilter()]:
        for action in await journal.list(user_id, flt, limit=20):
            if action.reverts_action_id is None and action.status in ("verified", "unverified"):
                return action
    return None

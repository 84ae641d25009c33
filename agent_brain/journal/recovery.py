"""Recovery: settle the work a dead process left behind.

Work on a conversation holds its lease and renews it by a heartbeat. When the heartbeat lapses
(kill -9, a lost machine) `recover()` finds what that work left open:

1. journal rows still `intended`/`sent`/`applied`/`unknown` → each object is read back: applied →
   `verified`, not applied → `failed`; its idempotency key gets the same final outcome, so a retry
   replays it instead of resending. Objects it cannot read stay `unknown` and are reported.
2. plans still `executing` → each step gets its outcome from the journal, the plan a final status
   (completed / partially_completed / unverified / failed), and the conversation where it was
   approved a message saying what happened (plus any `RecoveryNotifier`, e.g. Telegram).
3. lapsed leases are released, so the user can chat again.

It is a plain async function: `serve` runs it at start-up and then periodically; a job queue can
schedule it the same way. Concurrent sweepers are safe: each row is taken over by one of them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import and_, exists, func, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Action, IdempotentOperation
from agent_brain.journal.readback import read_target
from agent_brain.journal.records import OPEN_STATUSES, ActionRecord
from agent_brain.journal.store import RECOVERY_OWNER_PREFIX, ActionJournal
from agent_brain.orchestrator.plans import final_status
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.write_safety import IdempotentExecutor, values_match
from agent_brain.stores.records import NewMessage, PlanRecord
from agent_brain.stores.unified import UnifiedStore

log = logging.getLogger(__name__)

# A key claimed but never journalled (the process died between the two) is released after this.
STALE_CLAIM = dt.timedelta(minutes=2)
_SETTLING = ("intended", "sent", "applied")  # open rows a sweeper moves on when it settles them


class RecoveryNotifier(Protocol):
    """Tells the person who approved a plan what recovery found (Telegram implements it)."""

    async def plan_recovered(self, plan: PlanRecord, text: str) -> None: ...


@dataclass
class RecoveryReport:
    applied: int = 0
    not_applied: int = 0
    unresolved: int = 0
    plans: dict[str, str] = field(default_factory=dict)  # plan id → final status
    leases_released: int = 0
    claims_released: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.applied or self.not_applied or self.unresolved or self.plans or self.leases_released
                    or self.claims_released)


async def recover(
    engine: AsyncEngine, meta: MetaAdapter, *, store: UnifiedStore | None = None,
    notifiers: Sequence[RecoveryNotifier] = (), grace: dt.timedelta = STALE_CLAIM,
) -> RecoveryReport:
    store = store or UnifiedStore(engine)
    journal = ActionJournal(engine)
    executor = IdempotentExecutor(engine)
    owner = f"{RECOVERY_OWNER_PREFIX}{uuid.uuid4().hex[:12]}"
    report = RecoveryReport()
    for action in await journal.orphaned(grace=grace):
        await _settle_action(action, owner, journal, executor, meta, engine, report)
    for plan in await store.orphaned_plans():
        if any(a.status in _SETTLING and (a.owner or "").startswith(RECOVERY_OWNER_PREFIX)
               for a in await journal.for_plan(plan.id)):
            continue  # another sweeper is reading a step's write back: finishing now would say "unknown"
        taken = await store.take_over_plan(plan.id, plan.executor, owner)
        if taken is not None:
            await _finish_plan(taken, owner, store, journal, notifiers, report)
    report.leases_released = await store.release_lapsed_locks()
    report.claims_released = await _release_stale_claims(engine, grace)
    if report.anything:
        log.warning("recovery: %s", report)
    return report


async def _settle_action(action: ActionRecord, owner: str, journal: ActionJournal, executor: IdempotentExecutor,
                         meta: MetaAdapter, engine: AsyncEngine, report: RecoveryReport) -> None:
    if not await journal.claim(action.id, owner, previous=action.owner):
        return  # another sweeper has it
    try:
        state = await read_target(action, meta=meta, engine=engine)
    except Exception:  # the platform is unreachable now: leave it for the next sweep
        log.warning("recovery: could not read back action %s", action.id, exc_info=True)
        await journal.move(action.id, "unknown")
        report.unresolved += 1
        return
    if state is None:
        await journal.move(action.id, "unknown")
        report.unresolved += 1
        return
    applied = values_match(action.expected, state)
    if applied:
        await journal.move(action.id, "verified", after=state)
        report.applied += 1
    else:
        await journal.move(action.id, "failed", after=state, error={"error": "not_applied", "by": "recovery"})
        report.not_applied += 1
    result = _replay(action, state) if applied else {"error": "not_applied", "message": "read back: not applied"}
    await executor.settle_key(action.idempotency_key, applied=applied, result=result)


def _replay(action: ActionRecord, after: dict[str, Any]) -> dict[str, Any]:
    """What a retry of the same request replays: the shape WriteGuard returns for a verified write."""
    return {"success": True, "dry_run": False, "result": action.response, "action_id": str(action.id),
            "recovered": True, "verification": {"verified": True, "before": action.before_state, "after": after}}


async def _finish_plan(plan: PlanRecord, owner: str, store: UnifiedStore, journal: ActionJournal,
                       notifiers: Sequence[RecoveryNotifier], report: RecoveryReport) -> None:
    steps = plan.plan.steps
    results = dict(plan.execution_results or {})
    actions = await journal.for_plan(plan.id)
    for index, step in enumerate(steps):
        if str(index) in results:
            continue
        mine = [a for a in actions if a.step_index == index]
        if not mine:
            break  # the process died before this step wrote anything: it did not run
        latest = mine[-1]
        results[str(index)] = _step_outcome(step.action, latest)
        if not results[str(index)]["success"]:
            break
    status = final_status(len(steps), results)
    try:
        record = await store.finish_execution(plan.id, status, results=results, executor=owner)
    except Exception:
        log.exception("recovery: could not finish plan %s", plan.id)
        return
    report.plans[str(plan.id)] = status
    language = await _language(store, plan.conversation_id)
    text = recovery_message(record, language)
    await store.add_message(plan.conversation_id, NewMessage(
        role="assistant", content=text, domain="system",
        tool_result={"plan_id": str(plan.id), "status": status, "recovered": True}))
    for notifier in notifiers:
        try:
            await notifier.plan_recovered(record, text)
        except Exception:  # the conversation message is the record; a notification is a courtesy
            log.warning("recovery notifier failed", exc_info=True)


def _step_outcome(action_name: str, action: ActionRecord) -> dict[str, Any]:
    base = {"action": action_name, "result": {"action_id": str(action.id), "recovered": True,
                                              "target": {"id": action.target_id, "name": action.target_name},
                                              "verification": {"verified": action.status == "verified",
                                                               "before": action.before_state,
                                                               "after": action.after_state}}}
    if action.status in ("verified", "unverified"):
        return {**base, "success": True, "verified": action.status == "verified", "error": None}
    if action.status == "failed":
        return {**base, "success": False, "error": "not applied"}
    return {**base, "success": False, "error": "outcome unknown"}


async def _language(store: UnifiedStore, conversation_id: uuid.UUID) -> str:
    from agent_brain.orchestrator.orchestrator import detect_language

    messages = await store.load_messages(conversation_id, 10)
    said = next((m.content for m in reversed(messages) if m.role == "user" and m.content), "")
    return detect_language(said) if said else "ru"


def recovery_message(plan: PlanRecord, language: str) -> str:
    """What the user reads in the chat after a restart: the plan's final state and each step."""
    ru = language == "ru"
    headline = {
        "completed": ("План выполнен полностью.", "The plan was completed."),
        "partially_completed": ("План выполнен частично.", "The plan was partially completed."),
        "unverified": ("План выполнен, но не все изменения видны на платформе.",
                       "The plan ran, but not every change shows on the platform."),
        "failed": ("План не выполнен: изменения не применились.", "The plan failed: no change was applied."),
    }[plan.status]
    lines = [("Сервис перезапускался во время выполнения плана; я проверил состояние объектов. "
              if ru else "The service restarted while the plan was running; I checked the objects. ")
             + (headline[0] if ru else headline[1])]
    results = plan.execution_results or {}
    for index, step in enumerate(plan.plan.steps):
        outcome = results.get(str(index))
        name = ((outcome or {}).get("result") or {}).get("target", {}).get("name")
        label = f"{step.action}{f' «{name}»' if name else ''}"
        if outcome is None:
            mark = "не выполнялся" if ru else "not run"
        elif outcome.get("success") and outcome.get("verified", True):
            mark = "✅ " + ("применено и проверено" if ru else "applied and verified")
        elif outcome.get("success"):
            mark = "⚠️ " + ("платформа не показывает изменение" if ru else "the platform does not show the change")
        elif outcome.get("error") == "not applied":
            mark = "❌ " + ("не применено" if ru else "not applied")
        else:
            mark = "❓ " + ("результат неизвестен — проверьте объект" if ru else "outcome unknown — check the object")
        lines.append(f"{label}: {mark}")
    return "\n".join(lines)


async def _release_stale_claims(engine: AsyncEngine, grace: dt.timedelta) -> int:
    """Keys a dead process left `in_progress` outside any open journal row get their outcome from
    the journal: a verified (or unverified) row → succeeded, so a retry replays it; no row, or only
    rows read back as not applied → failed, so the request may run again."""
    def rows_with(*statuses: str) -> Any:
        return exists().where(and_(Action.idempotency_key == IdempotentOperation.operation_key,
                                   Action.status.in_(statuses)))

    stale = and_(IdempotentOperation.status == "in_progress", IdempotentOperation.created_at < func.now() - grace,
                 ~rows_with(*OPEN_STATUSES))
    applied = (update(IdempotentOperation).where(stale, rows_with("verified", "unverified"))
               .values(status="succeeded", result={"success": True, "recovered": True}, completed_at=func.now())
               .returning(IdempotentOperation.operation_key))
    abandoned = (update(IdempotentOperation).where(stale)
                 .values(status="failed", result={"error": "abandoned"}, completed_at=func.now())
                 .returning(IdempotentOperation.operation_key))
    async with engine.connect() as conn:
        count = len((await conn.execute(applied)).all()) + len((await conn.execute(abandoned)).all())
        await conn.commit()
    return count


async def recovery_loop(engine: AsyncEngine, meta: MetaAdapter, *, store: UnifiedStore | None = None,
                        notifiers: Sequence[RecoveryNotifier] = (), interval: float = 5.0) -> None:
    """Run `recover` now and then every `interval` seconds until cancelled (the `serve` task)."""
    while True:
        try:
            await recover(engine, meta, store=store, notifiers=notifiers)
        except Exception:
            log.exception("recovery sweep failed")
        await asyncio.sleep(interval)


"""Undo of a direction's pause switches back on exactly the ad sets that pause stopped — not an ad set
the user had paused before — through an approved plan (`resumeDirection`), journalled as the revert.
Real agents, PostgreSQL and the Graph sandbox."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from turns import new_conversation, turn

from agent_brain.journal.store import ActionJournal

ACCOUNT = "act_100200300400"


async def _executed(orch, user_id, plan_id) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e.to_json() async for e in orch.execute_plan(user_id, plan_id)]


async def _direction(engine, name: str):  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT id, fb_adset_id, fb_campaign_id, is_active FROM directions "
                                        "WHERE name = :n"), {"n": name})).one()


async def _statuses(meta, ids: list[str]) -> set[str]:  # type: ignore[no-untyped-def]
    return {(await meta.get_ad_set(i)).status for i in ids}


async def test_undo_of_a_direction_pause_resumes_only_what_the_pause_stopped(product) -> None:  # type: ignore[no-untyped-def]
    orch, meta, user_id, engine = product["build"](), product["meta"], product["user_id"], product["engine"]
    direction = await _direction(engine, "Имплантация")
    ad_sets = {s.id: s.status for s in await meta.list_ad_sets(campaign_id=direction.fb_campaign_id)}
    others = sorted(i for i, status in ad_sets.items() if status == "ACTIVE" and i != direction.fb_adset_id)
    assert others and ad_sets[direction.fb_adset_id] == "ACTIVE"
    # The user had paused the direction's own ad set themselves before the direction was paused.
    await meta.set_status(direction.fb_adset_id, "PAUSED")

    conv = await new_conversation(orch, user_id, "plan")
    events = await turn(orch, user_id, conv, "поставь на паузу направление Имплантация")
    plan_id = uuid.UUID(next(e for e in events if e["type"] == "approval_required")["plan_id"])
    await _executed(orch, user_id, plan_id)
    [paused] = await ActionJournal(engine).for_plan(plan_id)
    assert paused.status == "verified" and paused.before_state["adsets"][direction.fb_adset_id] == "PAUSED"
    assert await _statuses(meta, others) == {"PAUSED"}

    events = await turn(orch, user_id, conv, "Отмени последнее изменение")
    undo = next(e for e in events if e["type"] == "approval_required")
    assert [(s["action"], s["params"]) for s in undo["plan"]["steps"]] == [
        ("resumeDirection", {"directionId": str(direction.id), "adsetIds": others})]
    assert await _statuses(meta, others) == {"PAUSED"}  # gated: nothing ran yet
    await _executed(orch, user_id, uuid.UUID(undo["plan_id"]))

    assert await _statuses(meta, others) == {"ACTIVE"}
    assert (await meta.get_ad_set(direction.fb_adset_id)).status == "PAUSED"  # the user's own pause stays
    assert (await _direction(engine, "Имплантация")).is_active is True
    [resumed] = await ActionJournal(engine).for_plan(uuid.UUID(undo["plan_id"]))
    assert resumed.tool == "resumeDirection" and resumed.reverts_action_id == paused.id
    assert resumed.status == "verified" and resumed.after_state["adsets"] == dict.fromkeys(others, "ACTIVE")

    again = await turn(orch, user_id, conv, "undo that")
    assert not any(e["type"] == "approval_required" for e in again)

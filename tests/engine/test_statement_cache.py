"""Every statement a turn runs is compiled once per process, not once per turn.

SQLAlchemy caches a statement's compiled form by its structure; a statement without a cache key
(a multi-row `insert().values([...])`, a `values()` construct with literal rows, …) is compiled
again on every execution — for the message batch and the run record that was about a fifth of a
turn's CPU. This drives the paths a marketer takes most (a read, a CRM question, a write planned
and approved) and fails on any statement of ours that could not be cached, naming it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats
from turns import new_conversation, turn

TURNS = ("Покажи расходы за неделю", "Сколько новых лидов за неделю?", "Как идут кампании?")


async def test_a_turn_and_a_plan_run_only_cacheable_statements(product) -> None:  # type: ignore[no-untyped-def]
    orch, user_id, engine = product["build"](), product["user_id"], product["engine"]
    seen: list[tuple[Any, str]] = []

    def record(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "sandbox_" not in statement:  # the Graph emulator shares the database; it is not the product
            seen.append((context.cache_hit, statement))

    event.listen(engine.sync_engine, "after_cursor_execute", record)
    try:
        conv = await new_conversation(orch, user_id, "plan")
        for message in TURNS:
            await turn(orch, user_id, conv, message)
        events = await turn(orch, user_id, conv, "Поставь на паузу кампанию Виниры СПб")
        plan_id = next(e for e in events if e["type"] == "approval_required")["plan_id"]
        executed = [e.to_json() async for e in orch.execute_plan(user_id, uuid.UUID(plan_id))]
        await orch.wait_idle()
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", record)
    assert any(e["type"] == "step_result" and e["success"] for e in executed)
    assert len(seen) > 20  # the listener saw the turns
    uncacheable = sorted({s.split("\n")[0][:160] for hit, s in seen
                          if hit in (CacheStats.NO_CACHE_KEY, CacheStats.CACHING_DISABLED)})
    assert uncacheable == []

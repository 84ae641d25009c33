"""The snapshot's figures are reused per account for a few seconds; its notes are always this turn's;
a write here forgets it at once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.memory import snapshot_cache
from agent_brain.memory.budget import TokenBudget
from agent_brain.memory.notes import NotesStore
from agent_brain.memory.snapshot import BusinessSnapshot, load_snapshot
from agent_brain.memory.snapshot_cache import SnapshotCache
from agent_brain.memory.specs import BusinessSpecsStore
from agent_brain.orchestrator.context import ContextGatherer
from agent_brain.stores.unified import UnifiedStore
from agent_brain.tools.context import ToolContext


class _Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    clock = _Clock()
    monkeypatch.setattr(snapshot_cache.time, "monotonic", clock)
    return clock


async def _setup(engine: AsyncEngine, ttl: float):  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        user_id, account_id = (await conn.execute(text("SELECT user_id, id FROM ad_accounts"))).one()
    store = UnifiedStore(engine)
    notes = NotesStore(engine)
    gatherer = ContextGatherer(engine, store, notes, BusinessSpecsStore(engine), TokenBudget(8000),
                               snapshots=SnapshotCache(ttl))
    ctx = ToolContext(user_id=user_id, engine=engine, meta=None, writes=None, ad_account_id=account_id)  # type: ignore[arg-type]
    conv = await store.get_or_create(user_id=user_id, source="web")
    loads: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "FROM creative_metrics_history" in statement:
            loads.append(statement)

    return gatherer, ctx, conv, notes, loads


async def test_figures_are_reused_and_notes_are_fresh(demo_engine: AsyncEngine, monotonic: _Clock) -> None:
    gatherer, ctx, conv, notes, loads = await _setup(demo_engine, ttl=30)
    first = (await gatherer.gather(conv, ctx)).snapshot
    assert first.freshness != "missing" and len(loads) == 1
    marker = f"заметка {uuid.uuid4().hex[:6]}"
    await notes.add(ctx.user_id, ctx.ad_account_id, "ads", marker, importance=1.0)
    monotonic.t += 29
    second = (await gatherer.gather(conv, ctx)).snapshot
    assert len(loads) == 1  # the figures came from the cache …
    assert second.totals == first.totals and second.top_direction == first.top_direction
    assert marker in [n.text for n in second.notes]  # … the notes did not
    assert marker not in [n.text for n in first.notes]
    monotonic.t += 2  # older than the ttl: loaded again
    await gatherer.gather(conv, ctx)
    assert len(loads) == 2
    gatherer.snapshots.forget(ctx.user_id)  # after a write
    await gatherer.gather(conv, ctx)
    assert len(loads) == 3


async def test_the_notes_match_what_an_uncached_load_shows(demo_engine: AsyncEngine, monotonic: _Clock) -> None:
    cached, ctx, conv, notes, _ = await _setup(demo_engine, ttl=30)
    await cached.gather(conv, ctx)
    for i in range(3):
        await notes.add(ctx.user_id, ctx.ad_account_id, "crm", f"наблюдение {i}", importance=0.9 + i / 100)
    uncached, *_ = await _setup(demo_engine, ttl=0)
    shown = (await cached.gather(conv, ctx)).snapshot.notes
    assert shown == (await uncached.gather(conv, ctx)).snapshot.notes
    assert "наблюдение 2" in [n.text for n in shown]


async def test_no_ttl_loads_every_turn(demo_engine: AsyncEngine) -> None:
    gatherer, ctx, conv, _, loads = await _setup(demo_engine, ttl=0)
    await gatherer.gather(conv, ctx)
    await gatherer.gather(conv, ctx)
    assert len(loads) == 2


async def test_concurrent_turns_share_one_load_and_a_write_meanwhile_is_not_cached(
        demo_engine: AsyncEngine, monotonic: _Clock) -> None:
    gatherer, ctx, conv, _, loads = await _setup(demo_engine, ttl=30)
    await asyncio.gather(*(gatherer.gather(conv, ctx) for _ in range(5)))
    assert len(loads) == 1  # five turns of the account at once: one load
    cache = gatherer.snapshots
    cache.forget(ctx.user_id)
    release = asyncio.Event()

    async def slow_load() -> BusinessSnapshot:
        await release.wait()
        return await load_snapshot(demo_engine, user_id=ctx.user_id, ad_account_id=ctx.ad_account_id, now=clock.now())

    pending = asyncio.ensure_future(cache.get_or_load(ctx.user_id, ctx.ad_account_id, slow_load))
    await asyncio.sleep(0)
    cache.forget(ctx.user_id)  # a write lands while that load runs
    release.set()
    assert (await pending).freshness != "missing"
    assert cache.get(ctx.user_id, ctx.ad_account_id) is None  # what it loaded may predate the write

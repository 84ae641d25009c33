"""The webhook inbox on its own (real PostgreSQL, no bot): a failing update is retried after a backoff and
then parked without holding its chat; claims are exclusive and per-chat ordered; old done rows are purged."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from telegram_bot.inbox import InboxWorker, WebhookInbox
from telegram_bot.standin import message_update


async def _rows(engine: AsyncEngine) -> dict[int, tuple[str, int]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT update_id, status, attempts FROM telegram_updates"))).all()
    return {r.update_id: (r.status, r.attempts) for r in rows}


async def test_a_failing_update_is_retried_then_parked_and_its_chat_moves_on(engine: AsyncEngine) -> None:
    inbox = WebhookInbox(engine)
    await inbox.put(1, message_update(10, "сломается", update_id=1))
    await inbox.put(2, message_update(10, "следующее", update_id=2))
    seen: list[str] = []

    async def process(payload: dict[str, Any]) -> None:
        seen.append(payload["message"]["text"])
        if payload["message"]["text"] == "сломается":
            raise RuntimeError("handler bug")

    worker = InboxWorker(inbox, process, poll_every=0.05, backoff=0.05, max_attempts=3, settle=0.0)
    runner = asyncio.create_task(worker.run())
    try:
        await worker.drained(within=20)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert seen == ["сломается"] * 3 + ["следующее"]  # the chat's next update waited for the retries
    assert await _rows(engine) == {1: ("failed", 3), 2: ("done", 1)}


async def test_claims_are_exclusive_and_one_per_chat_at_a_time(engine: AsyncEngine) -> None:
    inbox = WebhookInbox(engine)
    for n in range(1, 7):  # chats 1, 2, 3 with two updates each
        await inbox.put(n, message_update(n % 3 + 1, f"m{n}", update_id=n))
    claims = await asyncio.gather(*(inbox.claim(f"w{k}", limit=10, lease=30) for k in range(4)))
    taken = [c.update_id for batch in claims for c in batch]
    assert sorted(taken) == [1, 2, 3]  # each chat's oldest, each claimed by exactly one worker
    for batch, k in zip(claims, range(4), strict=True):
        for claimed in batch:
            await inbox.done(claimed.update_id, f"w{k}")
    assert sorted(c.update_id for c in await inbox.claim("w9", limit=10, lease=30)) == [4, 5, 6]


async def test_done_rows_are_purged_after_their_keep_time(engine: AsyncEngine) -> None:
    inbox = WebhookInbox(engine)
    await inbox.put(1, message_update(10, "x", update_id=1))
    [claimed] = await inbox.claim("w", limit=1, lease=30)
    await inbox.done(claimed.update_id, "w")
    assert await inbox.purge(older_than=3600) == 0
    assert not await inbox.put(1, message_update(10, "x", update_id=1))  # still deduped while kept
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE telegram_updates SET processed_at = processed_at - interval '2 days'"))
    assert await inbox.purge(older_than=86_400) == 1 and await _rows(engine) == {}

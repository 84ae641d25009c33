"""Issue 2 measure: SQL statements and round trips for one turn's conversation bookkeeping.

getOrCreate + loadMessages(50) + addMessages(2), on a conversation that already holds 60
messages. Target: ≤ 4 statements. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import QueryCounter, scratch_database  # noqa: E402

from agent_brain.stores.records import NewMessage  # noqa: E402
from agent_brain.stores.unified import UnifiedStore  # noqa: E402
from agent_brain.stores.users import UserStore  # noqa: E402


async def main() -> None:
    async with scratch_database() as engine:
        counter = QueryCounter()
        counter.attach(engine)
        await engine.dispose()  # new pooled connections get the round-trip counter
        user = await UserStore(engine).get_or_create_user("bench")
        store = UnifiedStore(engine)
        conv = await store.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=1)
        await store.add_messages(conv.id, [NewMessage(role="user", content=f"message {i}") for i in range(60)])

        async def turn(i: int) -> None:
            c = await store.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=1)
            history = await store.load_messages(c.id, 50)
            assert len(history) == 50
            await store.add_messages(
                c.id,
                [NewMessage(role="user", content=f"q{i}"), NewMessage(role="assistant", content=f"a{i}")],
            )

        await turn(0)  # warm the prepared-statement cache, as a long-running process has it
        counter.reset()
        await turn(1)
        statements, trips = counter.statements, counter.total_round_trips
        detail = dict(counter.round_trips)
        sql = list(counter.sql)

        timings = []
        for i in range(2, 202):
            t0 = time.perf_counter()
            await turn(i)
            timings.append((time.perf_counter() - t0) * 1e3)

    print("getOrCreate + loadMessages(50) + addMessages(2), warm connection")
    print(f"  SQL statements:        {statements}   (target ≤ 4)")
    print(f"  wire round trips:      {trips}   {detail}")
    for line in sql:
        print(f"    · {line}")
    print(f"  latency per turn:      median {statistics.median(timings):.2f} ms, "
          f"p95 {sorted(timings)[int(len(timings) * 0.95)]:.2f} ms over {len(timings)} turns")


if __name__ == "__main__":
    asyncio.run(main())

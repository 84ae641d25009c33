"""Issue 5 measure: context build time and SQL statements for conversations of 10, 100 and 1000 messages.

The context (history window, business snapshot, specs, notes, fitted to the token budget) must
not grow with the conversation beyond the budgeted window. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import QueryCounter, scratch_database  # noqa: E402

from agent_brain.agents import load_agents  # noqa: E402
from agent_brain.demo.seed import seed_demo  # noqa: E402
from agent_brain.memory.budget import TokenBudget  # noqa: E402
from agent_brain.memory.notes import NotesStore  # noqa: E402
from agent_brain.memory.specs import BusinessSpecsStore  # noqa: E402
from agent_brain.orchestrator.context import ContextGatherer  # noqa: E402
from agent_brain.stores.records import NewMessage  # noqa: E402
from agent_brain.stores.unified import UnifiedStore  # noqa: E402
from agent_brain.tools.context import ToolContext  # noqa: E402

SIZES = (10, 100, 1000)
ROUNDS = 30


def messages(n: int) -> list[NewMessage]:
    out = []
    for i in range(n):
        if i % 4 == 3:
            out.append(NewMessage(role="assistant", tool_calls=[{"id": f"c{i}", "type": "function", "function": {
                "name": "getSpendReport", "arguments": "{}"}}]))
            out.append(NewMessage(role="tool", tool_call_id=f"c{i}", tool_name="getSpendReport",
                                  tool_result={"items": [{"name": f"Кампания {j}", "spend_cents": j * 1000}
                                                         for j in range(12)]}))
        else:
            out.append(NewMessage(role="user" if i % 2 == 0 else "assistant",
                                  content=f"Сообщение {i}: расходы и лиды по направлению Виниры за неделю"))
    return out[:n]


async def main() -> None:
    async with scratch_database() as engine:
        report = await seed_demo(engine)
        counter = QueryCounter()
        counter.attach(engine)
        await engine.dispose()
        store = UnifiedStore(engine)
        gatherer = ContextGatherer(engine, store, NotesStore(engine), BusinessSpecsStore(engine), TokenBudget())
        ads = next(a for a in load_agents() if a.name == "ads")
        ctx = ToolContext(user_id=report.user_id, engine=engine, meta=None, writes=None,  # type: ignore[arg-type]
                          ad_account_id=report.ad_account_id, platform_account_id="act_100200300400")
        print("context build (history window + snapshot + specs + notes, fitted to an 8000-token budget)")
        for size in SIZES:
            conv = await store.get_or_create(user_id=report.user_id, source="web")
            batch = messages(size)
            for start in range(0, len(batch), 200):
                await store.add_messages(conv.id, batch[start:start + 200])
            conv = await store.get_by_id(conv.id)
            await gatherer.gather(conv, ctx)  # warm
            counter.reset()
            timings = []
            for _ in range(ROUNDS):
                t0 = time.perf_counter()
                turn = await gatherer.gather(conv, ctx)
                fitted = gatherer.for_agent(turn, ads, language="ru", currency="USD")
                timings.append((time.perf_counter() - t0) * 1000)
            stats = fitted.stats["budget"]
            print(f"  {size:>5} messages: {counter.statements / ROUNDS:4.1f} SQL statements, "
                  f"median {statistics.median(timings):6.1f} ms, history kept {stats['blocks']['history']['kept']:>3}"
                  f" msgs, tokens used {stats['used']} / {stats['budget']} ({stats['utilization']:.0%})")
        print("  budget blocks of the last run:", json.dumps({k: v.get("tokens") for k, v in stats["blocks"].items()}))


if __name__ == "__main__":
    asyncio.run(main())

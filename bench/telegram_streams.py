"""100 Telegram chats streaming a reply at once, through the real aiogram Bot and a local Bot API stand-in.

Every chat (its own user, linked) sends «Покажи расходы за неделю» in the same instant; the bot
long-polls the stand-in, streams each reply by edits, then sends the daily chart. The stand-in
(127.0.0.1 only) enforces about one message per second per chat (token bucket: burst 3, 1/s) and
answers 429 when a chat exceeds it. The model is the offline one, slowed to stream like a remote
LLM (`--delay` seconds per text chunk). Prints: Bot API calls per reply, 429s (target 0), limit
violations, message calls closer than 1 s in a chat (target 0: sends, edits, charts and the
quick-action buttons of a chat are paced ≥ 1 s apart), and time from update to the typing indicator / first message / last call (median, p95).
The engine itself (bench/engine_turns.py) is the bound here: ~13 turns/s on 2 CPUs.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/telegram_streams.py
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import scratch_database  # noqa: E402

from agent_brain.agents import load_agents  # noqa: E402
from agent_brain.config import load_settings  # noqa: E402
from agent_brain.db.engine import create_engine  # noqa: E402
from agent_brain.demo.seed import seed_demo  # noqa: E402
from agent_brain.llm.base import ModelEvent, ModelRequest, TextDelta  # noqa: E402
from agent_brain.llm.offline import OfflineModel  # noqa: E402
from agent_brain.orchestrator.orchestrator import Orchestrator  # noqa: E402
from agent_brain.platforms.graph.breaker import BreakerRegistry  # noqa: E402
from agent_brain.platforms.graph.client import GraphClient  # noqa: E402
from agent_brain.platforms.meta.adapter import MetaAdapter  # noqa: E402
from agent_brain.platforms.sandbox.app import create_sandbox_app  # noqa: E402
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard  # noqa: E402
from agent_brain.runtime import Runtime  # noqa: E402
from agent_brain.stores.unified import UnifiedStore  # noqa: E402
from agent_brain.stores.users import UserStore  # noqa: E402
from telegram_bot.bot import build_bot, build_dispatcher, run_polling  # noqa: E402
from telegram_bot.links import ChatLinks  # noqa: E402
from telegram_bot.standin import MESSAGE_METHODS, BotAPIStandIn, ChatLimit, message_update  # noqa: E402

TOKEN = "123456:BENCH"
TEXT = "Покажи расходы за неделю"
FIRST_CHAT = 900_000
SETUP_METHODS = {"getMe", "getUpdates", "setMyCommands", "deleteWebhook"}


class StreamingModel:
    """The offline model, pausing before each text chunk the way a remote model streams."""

    name = "offline-streaming"
    is_llm = False

    def __init__(self, delay: float) -> None:
        self.inner = OfflineModel()
        self.delay = delay

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        async for event in self.inner.stream(request):
            if isinstance(event, TextDelta) and request.hints.purpose == "agent":
                await asyncio.sleep(self.delay)
            yield event


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def main(chats: int, delay: float, charts: bool) -> None:
    standin = BotAPIStandIn(token=TOKEN, limit=ChatLimit(per_second=1.0, burst=3.0), enforce_limit=True)
    base = await standin.start()
    async with scratch_database(pool_size=20) as engine:
        report = await seed_demo(engine)
        users = UserStore(engine)
        demo_accounts = await users.ad_accounts(report.user_id)
        links = ChatLinks(engine)
        for n in range(chats):
            user, _ = await users.create_user(f"bench-{n}")
            account = demo_accounts[0]
            await users.upsert_ad_account(user.id, external_id=account.external_id, name=account.name,
                                          currency=account.currency, timezone=account.timezone, is_sandbox=True)
            code, _ = await links.codes.issue(user.id)
            assert await links.link(code, FIRST_CHAT + n) is not None

        sandbox_engine = create_engine(engine.url.render_as_string(hide_password=False), pool_size=20)
        app = create_sandbox_app(sandbox_engine, usage_capacity=10**9)
        client = GraphClient("bench", transport=httpx.ASGITransport(app=app), breaker=BreakerRegistry().get("meta"))
        store = UnifiedStore(engine)
        orchestrator = Orchestrator(engine=engine, model=StreamingModel(delay), agents=load_agents(),
                                    meta=MetaAdapter(client), store=store, writes=WriteGuard(IdempotentExecutor(engine)))
        settings = load_settings(telegram_bot_token=TOKEN, telegram_api_base=base)
        runtime = Runtime(settings=settings, engine=engine, conversations=store, users=users,
                          meta=MetaAdapter(client), orchestrator=orchestrator)
        bot = build_bot(settings)
        dispatcher = build_dispatcher(runtime, charts=charts)
        done: dict[int, float] = {}
        all_done = asyncio.Event()

        async def track(handler: Callable[[Any, dict[str, Any]], Awaitable[Any]], event: Any,
                        data: dict[str, Any]) -> Any:
            try:
                return await handler(event, data)
            finally:
                done[event.update_id] = time.monotonic()
                if len(done) >= chats:
                    all_done.set()

        dispatcher.update.outer_middleware(track)
        polling = asyncio.create_task(run_polling(runtime, bot=bot, dispatcher=dispatcher, polling_timeout=5))
        await standin.wait_for(lambda: standin.calls_of("getUpdates"))

        pushed: dict[int, float] = {}
        started = time.monotonic()
        for n in range(chats):
            standin.push_update(message_update(FIRST_CHAT + n, TEXT))
            pushed[FIRST_CHAT + n] = time.monotonic()
        await asyncio.wait_for(all_done.wait(), 300)
        elapsed = time.monotonic() - started
        await dispatcher.stop_polling()
        await polling
        await orchestrator.wait_idle()

        chat_calls = [c for c in standin.calls if c.method not in SETUP_METHODS]
        per_method = Counter(c.method for c in chat_calls)
        first_message: list[float] = []
        last_call: list[float] = []
        typing = [min(c.at for c in chat_calls if c.chat_id == chat and c.method == "sendChatAction") - at
                  for chat, at in pushed.items()]
        for chat, at in pushed.items():
            calls = [c for c in chat_calls if c.chat_id == chat and c.method in MESSAGE_METHODS and c.status == 200]
            first_message.append(min(c.at for c in calls if c.method == "sendMessage") - at)
            last_call.append(max(c.at for c in calls) - at)
        print(f"{chats} Telegram chats at once · «{TEXT}» · offline model streaming ({delay:.2f} s per chunk) · "
              f"{'with' if charts else 'no'} charts · Graph sandbox · PostgreSQL · Bot API stand-in on 127.0.0.1 (≈1 msg/s per chat, burst 3, enforced)")
        print(f"  all replies done in {elapsed:5.1f} s")
        print(f"  Bot API calls per reply: {len(chat_calls) / chats:4.1f}   "
              + ", ".join(f"{m} {n / chats:.1f}" for m, n in per_method.most_common()))
        print(f"  429s received: {standin.rate_limited}   (target 0)   per-chat limit violations: {standin.violations}"
              f"   message calls < 1 s apart in a chat: {standin.gap_violations}   (target 0)"
              f"   over 30/s bot-wide: {standin.bot_violations}   (target 0)")
        print(f"  update → typing indicator: median {statistics.median(typing) * 1000:5.0f} ms   "
              f"p95 {pct(typing, 0.95) * 1000:5.0f} ms")
        print(f"  update → first message: median {statistics.median(first_message) * 1000:5.0f} ms   "
              f"p95 {pct(first_message, 0.95) * 1000:5.0f} ms")
        print(f"  update → reply complete (last call, chart included): median {statistics.median(last_call):5.2f} s   "
              f"p95 {pct(last_call, 0.95):5.2f} s")
        await client.aclose()
        await sandbox_engine.dispose()
    await standin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.15, help="seconds before each streamed text chunk")
    parser.add_argument("--no-charts", action="store_true", help="do not send the daily chart")
    options = parser.parse_args()
    asyncio.run(main(options.chats, options.delay, not options.no_charts))

"""Per-chat outbox: every message the bot sends or edits in a chat goes through one pacer.

Telegram asks for no more than about one message per second per chat (short bursts pass until
they don't), and edits count against the same budget — streaming bots mostly get flood-limited
by their edits. So sends, edits, deletions and photos of one chat share a token bucket of one
call per second without bursts, are spaced by at least `min_interval` (1 s) from the end of the
previous call, and run one at a time: the parts of a split answer, a chart and a card after a
reply all go out ≥ 1 s apart. Group chats get Telegram's 20 a minute, and every chat's calls also
draw on one bot-wide bucket of ~30 a second. A 429 is honoured:
the chat is held for `retry_after` seconds and the request is rebuilt and sent again, so the
newest text goes out and nothing is lost (aiogram raises TelegramRetryAfter and does not retry).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import TelegramMethod

log = logging.getLogger(__name__)

T = TypeVar("T")
_EPSILON = 1e-6
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Pacing:
    """The per-chat sending policy. `clock`/`sleep` are injectable so tests need not wait.

    Attributes:
        min_interval: seconds between the end of one call and the start of the next in a chat
            (streaming edits are therefore debounced to at least this).
        per_second: sustained calls per second per chat (Telegram: about 1).
        burst: calls that may go out back to back after a quiet period.
        group_per_minute / group_burst: the same for group chats (negative chat ids).
        bot_per_second: the bot's budget over all chats together (one shared bucket).
        max_flood_waits: consecutive 429s on one request before giving up on it.
        max_network_retries: retries of a request after a network or 5xx error.
    """

    min_interval: float = 1.0
    per_second: float = 1.0
    burst: float = 1.0
    group_per_minute: float = 20.0  # Telegram: about 20 messages a minute in a group
    group_burst: float = 3.0
    bot_per_second: float = 30.0  # Telegram: about 30 messages a second across all chats
    max_flood_waits: int = 8
    max_network_retries: int = 3
    network_backoff: float = 1.0
    clock: Clock = time.monotonic
    sleep: Sleep = field(default=asyncio.sleep)


class BotBucket:
    """The bot-wide budget every chat's calls share: evenly spaced calls, no burst, so no one-second
    window ever holds more than `bot_per_second` of them."""

    def __init__(self, pacing: Pacing) -> None:
        self.pacing = pacing
        self._tokens = 1.0
        self._refilled_at = pacing.clock()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        p = self.pacing
        async with self._lock:  # first come, first served across chats
            while True:
                now = p.clock()
                self._tokens = min(1.0, self._tokens + (now - self._refilled_at) * p.bot_per_second)
                self._refilled_at = now
                if self._tokens >= 1.0 - _EPSILON:  # float refills may stop a hair short of 1
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return
                await p.sleep((1.0 - self._tokens) / p.bot_per_second)


class ChatOutbox:
    """The pacer and retry policy of one chat."""

    def __init__(self, bot: Bot, chat_id: int, pacing: Pacing, shared: BotBucket | None = None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.pacing = pacing
        self.shared = shared
        group = chat_id < 0
        self._rate = min(pacing.per_second, pacing.group_per_minute / 60) if group else pacing.per_second
        self._burst = pacing.group_burst if group else pacing.burst
        self._lock = asyncio.Lock()
        self._tokens = self._burst
        self._refilled_at = pacing.clock()
        self._not_before = 0.0  # end of the previous call + min_interval, or the end of a flood wait
        self.flood_waits = 0  # 429s received in this chat (observable by tests and the bench)

    async def call(self, build: Callable[[], TelegramMethod[T] | None]) -> T | None:
        """Send the request `build()` returns once it may go out; None from `build` means nothing to do.

        `build` runs after the wait, so a request that waited (or hit a 429) carries the newest
        state rather than the state at the time it was queued.
        """
        async with self._lock:
            flood_waits = network_errors = 0
            while True:
                await self._wait_turn()
                method = build()
                if method is None:
                    return None
                try:
                    return await self.bot(method)
                except TelegramRetryAfter as exc:
                    self.flood_waits += 1
                    flood_waits += 1
                    self.hold(exc.retry_after)
                    log.warning("chat %s: flood control, retry in %s s", self.chat_id, exc.retry_after)
                    if flood_waits >= self.pacing.max_flood_waits:
                        raise
                except (TelegramNetworkError, TelegramServerError):
                    network_errors += 1
                    if network_errors > self.pacing.max_network_retries:
                        raise
                    self.hold(self.pacing.network_backoff * network_errors)
                finally:
                    self._not_before = max(self._not_before, self.pacing.clock() + self.pacing.min_interval)

    def hold(self, seconds: float) -> None:
        """Send nothing to this chat for `seconds` (a flood wait applies to the whole chat)."""
        self._not_before = max(self._not_before, self.pacing.clock() + seconds)

    async def _wait_turn(self) -> None:
        p = self.pacing
        while True:
            now = p.clock()
            self._tokens = min(self._burst, self._tokens + (now - self._refilled_at) * self._rate)
            self._refilled_at = now
            wait = max(self._not_before - now, (1.0 - self._tokens) / self._rate)
            if wait <= _EPSILON:
                self._tokens = max(0.0, self._tokens - 1.0)
                break
            await p.sleep(wait)
        if self.shared is not None:
            await self.shared.take()


class Outboxes:
    """One outbox per chat, shared by every flow that writes to it (a streaming reply, an approval
    card being edited after a button press). Bounded: idle chats are forgotten, least recent first."""

    def __init__(self, pacing: Pacing, *, max_chats: int = 10_000) -> None:
        self.pacing = pacing
        self.max_chats = max_chats
        self.shared = BotBucket(pacing)
        self._chats: OrderedDict[int, ChatOutbox] = OrderedDict()

    def get(self, bot: Bot, chat_id: int) -> ChatOutbox:
        outbox = self._chats.get(chat_id)
        if outbox is None:
            outbox = self._chats[chat_id] = ChatOutbox(bot, chat_id, self.pacing, self.shared)
            while len(self._chats) > self.max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return outbox

    @property
    def flood_waits(self) -> int:
        return sum(o.flood_waits for o in self._chats.values())


async def best_effort(coro: Awaitable[Any]) -> None:
    """Run a cosmetic call (a chat action) whose failure must not break a reply."""
    try:
        await coro
    except Exception as exc:  # a typing indicator is never worth failing a turn
        log.debug("best-effort Telegram call failed: %s", exc)

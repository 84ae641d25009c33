"""Account listings (campaigns, ad sets) fetched at most once per turn and shared briefly.

A turn often needs the same list twice — name resolution, then the tool — and concurrent
conversations of one account ask for it at once. `ListingCache` keeps each list:

* for the current turn (`turn_scope()`, entered by the orchestrator): every later ask in the turn
  reuses it;
* across turns for `ttl` seconds (0: not at all). The process's adapter uses a few seconds: a
  change made in Ads Manager shows up after at most that long;
* never across a write: every write through the GraphClient bumps its `write_generation`, and a
  list fetched under an older generation is not reused — our own changes are seen at once;
* concurrent asks for one list share one fetch.

Lists are returned as new lists of the (frozen) platform objects, so a caller may sort or filter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_turn: ContextVar[dict[Hashable, tuple[int, asyncio.Future[Any]]] | None] = ContextVar("listing_turn", default=None)


@contextmanager
def turn_scope() -> Iterator[None]:
    """Lists fetched inside are reused until the scope ends (one turn) or a write happens."""
    token = _turn.set({})
    try:
        yield
    finally:
        _turn.reset(token)


class ListingCache:
    def __init__(self, generation: Callable[[], int], *, ttl: float = 0.0, max_entries: int = 512) -> None:
        self._generation = generation
        self.ttl = ttl
        self.max_entries = max_entries
        self._shared: dict[Hashable, tuple[float, int, asyncio.Future[Any]]] = {}
        self.fetches = 0  # lists actually fetched (for tests and benchmarks)

    async def get(self, key: Hashable, load: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        generation = self._generation()
        turn = _turn.get()
        future = None
        if turn is not None and key in turn and turn[key][0] == generation:
            future = turn[key][1]
        elif self.ttl > 0 and key in self._shared:
            expires, fetched_under, shared = self._shared[key]
            if fetched_under == generation and time.monotonic() < expires:
                future = shared
        if future is None or (future.done() and (future.cancelled() or future.exception() is not None)):
            future = asyncio.ensure_future(self._fetch(load))
            if self.ttl > 0:
                if len(self._shared) >= self.max_entries:
                    self._shared.clear()
                self._shared[key] = (time.monotonic() + self.ttl, generation, future)
        if turn is not None:
            turn[key] = (generation, future)
        return list(await asyncio.shield(future))

    async def _fetch(self, load: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        self.fetches += 1
        return await load()

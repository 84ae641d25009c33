"""The business snapshot's figures, reused for a few seconds per ad account.

The snapshot (snapshot.py) aggregates a week of per-ad metrics: the one statement of a turn whose
cost grows with the size of the business (rows read ∝ ads × days). Its figures change when the
metrics sync runs (daily data) or when a write here changes a direction — not between two messages.
So a turn reuses the account's snapshot while it is younger than `ttl` seconds; writes run by this
process forget the user's snapshots at once (the orchestrator calls `forget`), and other processes'
changes show within `ttl`. The notes part is never cached: the gatherer takes it from the notes it
loads every turn anyway (same visibility and ranking).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from agent_brain.memory.snapshot import MAX_NOTES, BusinessSnapshot, Note

SNAPSHOT_TTL_SECONDS = 30.0


class SnapshotCache:
    def __init__(self, ttl: float = SNAPSHOT_TTL_SECONDS, *, max_entries: int = 1024) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, BusinessSnapshot]] = {}
        self._loading: dict[tuple[uuid.UUID, uuid.UUID], asyncio.Future[BusinessSnapshot]] = {}
        self._generations: dict[uuid.UUID, int] = {}  # per user, bumped by `forget`

    def get(self, user_id: uuid.UUID, ad_account_id: uuid.UUID) -> BusinessSnapshot | None:
        entry = self._entries.get((user_id, ad_account_id))
        if entry is None or time.monotonic() >= entry[0]:
            return None
        return entry[1]

    def put(self, user_id: uuid.UUID, ad_account_id: uuid.UUID, snapshot: BusinessSnapshot) -> None:
        if self.ttl <= 0 or snapshot.load_ms is None:
            return  # caching off, or a fallback snapshot (the load failed): try again next turn
        if len(self._entries) >= self.max_entries:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[(user_id, ad_account_id)] = (time.monotonic() + self.ttl, snapshot)

    async def get_or_load(self, user_id: uuid.UUID, ad_account_id: uuid.UUID,
                          load: Callable[[], Awaitable[BusinessSnapshot]]) -> BusinessSnapshot:
        """The cached snapshot, or one load shared by every turn of the account asking meanwhile."""
        cached = self.get(user_id, ad_account_id)
        if cached is not None:
            return cached
        key = (user_id, ad_account_id)
        generation = self._generations.get(user_id, 0)
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(load())
            loading.add_done_callback(lambda done: self._loading.pop(key) if self._loading.get(key) is done else None)
        snapshot = await asyncio.shield(loading)
        if self._generations.get(user_id, 0) == generation:  # no write of the user's since the load began
            self.put(user_id, ad_account_id, snapshot)
        return snapshot

    def forget(self, user_id: uuid.UUID) -> None:
        """After a write of this user's: the next turn loads the snapshot again."""
        self._generations[user_id] = self._generations.get(user_id, 0) + 1
        for key in [k for k in self._entries if k[0] == user_id]:
            del self._entries[key]
        for key in [k for k in self._loading if k[0] == user_id]:
            del self._loading[key]  # a load under way may predate the write: later turns load again


def with_notes(snapshot: BusinessSnapshot, notes: Sequence[Any]) -> BusinessSnapshot:
    """The snapshot with the current notes (most important first, as the snapshot ranks them)."""
    return snapshot.model_copy(update={"notes": tuple(Note(domain=n.domain, text=n.text) for n in notes[:MAX_NOTES])})

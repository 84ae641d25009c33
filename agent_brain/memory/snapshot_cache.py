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

import time
import uuid
from collections.abc import Sequence
from typing import Any

from agent_brain.memory.snapshot import MAX_NOTES, BusinessSnapshot, Note

SNAPSHOT_TTL_SECONDS = 30.0


class SnapshotCache:
    def __init__(self, ttl: float = SNAPSHOT_TTL_SECONDS, *, max_entries: int = 1024) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, BusinessSnapshot]] = {}

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

    def forget(self, user_id: uuid.UUID) -> None:
        """After a write of this user's: the next turn loads the snapshot again."""
        for key in [k for k in self._entries if k[0] == user_id]:
            del self._entries[key]


def with_notes(snapshot: BusinessSnapshot, notes: Sequence[Any]) -> BusinessSnapshot:
    """The snapshot with the current notes (most important first, as the snapshot ranks them)."""
    return snapshot.model_copy(update={"notes": tuple(Note(domain=n.domain, text=n.text) for n in notes[:MAX_NOTES])})

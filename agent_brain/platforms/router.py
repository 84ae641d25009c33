"""One adapter-shaped object over every platform, for code that reads journalled objects back.

The journal records each write's platform; recovery and undo read the object back through
`for_platform(action.platform)`. Everything else is Meta's adapter, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agent_brain.platforms.base import PlatformAdapter


class PlatformRouter:
    def __init__(self, meta: Any, others: Mapping[str, PlatformAdapter]) -> None:
        self.meta = meta
        self.others = dict(others)

    def for_platform(self, platform: str | None) -> Any:
        return self.others.get(platform or "meta", self.meta)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.meta, name)

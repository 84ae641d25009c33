"""Token budget for an agent's context: priority blocks within a fixed total.

Blocks share what the system prompt and tool replies leave free, in proportion to their
priority (recent messages 10, today's metrics 8, business profile/specs 6, active contexts 4);
a block that needs less than its share gives the rest to the others. A block over its share is
cut: message history oldest exchange first (a tool call and its results go together), text at a
line boundary. A block whose share falls below a useful minimum is dropped — the lowest
priorities first. Token counts of stored messages come from the database (counted once, on
insert), so fitting a long conversation costs no re-tokenising.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from agent_brain.tokens import MESSAGE_OVERHEAD, count_message_tokens, count_tokens

PRIORITIES = {"history": 10, "metrics": 8, "profile": 6, "contexts": 4}
DEFAULT_TOTAL = 8000
RESERVE_SYSTEM = 1200  # the agent's own prompt
RESERVE_TOOLS = 1800  # tool schemas and this turn's tool replies
MIN_USEFUL_TOKENS = 40
MAX_TOOL_MESSAGE_TOKENS = 600  # an old tool result is context, not data to re-read in full


@dataclass
class Block:
    name: str
    priority: int
    text: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    message_tokens: list[int] | None = None  # stored counts, parallel to `messages`

    @property
    def is_history(self) -> bool:
        return bool(self.messages) or self.message_tokens is not None


@dataclass(frozen=True)
class Fitted:
    text: dict[str, str]
    history: list[dict[str, Any]]
    stats: dict[str, Any]


class TokenBudget:
    def __init__(self, total: int = DEFAULT_TOTAL, *, reserve_system: int = RESERVE_SYSTEM,
                 reserve_tools: int = RESERVE_TOOLS) -> None:
        if total <= reserve_system + reserve_tools:
            raise ValueError("the budget must exceed the reserves for the system prompt and tool replies")
        self.total = total
        self.reserve_system = reserve_system
        self.reserve_tools = reserve_tools

    @property
    def available(self) -> int:
        return self.total - self.reserve_system - self.reserve_tools

    def fit(self, blocks: list[Block]) -> Fitted:
        needs = {b.name: _tokens_of(b) for b in blocks}
        shares = _allocate(self.available, blocks, needs)
        text: dict[str, str] = {}
        history: list[dict[str, Any]] = []
        report: dict[str, Any] = {}
        used = 0
        for block in blocks:
            share = shares[block.name]
            if block.is_history:
                kept, tokens, dropped = _trim_history(block, share)
                history = kept
                report[block.name] = {"tokens": tokens, "needed": needs[block.name], "kept": len(kept),
                                      "dropped": dropped}
            else:
                kept_text, tokens = _trim_text(block.text, share)
                if kept_text:
                    text[block.name] = kept_text
                report[block.name] = {"tokens": tokens, "needed": needs[block.name],
                                      "dropped": not kept_text and bool(block.text),
                                      "truncated": bool(kept_text) and kept_text != block.text}
            used += report[block.name]["tokens"]
        stats = {"used": used, "budget": self.available, "total": self.total,
                 "utilization": round(used / self.available, 3) if self.available else 0.0,
                 "pressure": round(sum(needs.values()) / self.available, 3) if self.available else 0.0,
                 "blocks": report}
        return Fitted(text=text, history=history, stats=stats)


def _tokens_of(block: Block) -> int:
    if block.is_history:
        counts = block.message_tokens or [count_message_tokens(m) for m in block.messages]
        return sum(counts)
    return count_tokens(block.text)


def _allocate(available: int, blocks: list[Block], needs: dict[str, int]) -> dict[str, int]:
    """Water-filling by priority: shares ∝ priority, surplus of satisfied blocks re-shared."""
    shares = dict.fromkeys(needs, 0)
    open_blocks = [b for b in blocks if needs[b.name] > 0]
    remaining = available
    while open_blocks and remaining > 0:
        weight = sum(b.priority for b in open_blocks)
        satisfied = [b for b in open_blocks if needs[b.name] - shares[b.name] <= remaining * b.priority / weight]
        if not satisfied:
            for b in open_blocks:
                shares[b.name] += int(remaining * b.priority / weight)
            break
        for b in satisfied:
            remaining -= needs[b.name] - shares[b.name]
            shares[b.name] = needs[b.name]
            open_blocks.remove(b)
    # Too small to be useful: dropped, its tokens to the highest-priority block still short.
    for b in sorted(blocks, key=lambda b: b.priority):
        if 0 < shares[b.name] < min(MIN_USEFUL_TOKENS, needs[b.name]):
            freed, shares[b.name] = shares[b.name], 0
            short = [x for x in blocks if shares[x.name] < needs[x.name] and x is not b and shares[x.name]]
            if short:
                best = max(short, key=lambda x: x.priority)
                shares[best.name] += freed
    return shares


def _units(messages: list[dict[str, Any]], counts: list[int]) -> list[tuple[list[dict[str, Any]], int]]:
    """Exchanges that must stay whole: an assistant tool call with its tool results."""
    units: list[tuple[list[dict[str, Any]], int]] = []
    for message, tokens in zip(messages, counts, strict=True):
        if message.get("role") == "tool" and units and (
            units[-1][0][0].get("tool_calls") or units[-1][0][-1].get("role") == "tool"
        ):
            msgs, total = units[-1]
            units[-1] = ([*msgs, message], total + tokens)
        else:
            units.append(([message], tokens))
    return units


def _trim_history(block: Block, share: int) -> tuple[list[dict[str, Any]], int, int]:
    counts = list(block.message_tokens or [count_message_tokens(m) for m in block.messages])
    messages = [_shorten_tool_message(m, c) for m, c in zip(block.messages, counts, strict=True)]
    counts = [min(c, MAX_TOOL_MESSAGE_TOKENS + MESSAGE_OVERHEAD) if m.get("role") == "tool" else c
              for m, c in zip(block.messages, counts, strict=True)]
    units = _units(messages, counts)
    kept: list[tuple[list[dict[str, Any]], int]] = []
    used = 0
    for unit in reversed(units):  # newest first: the latest messages win
        if used + unit[1] > share:
            break
        kept.append(unit)
        used += unit[1]
    kept.reverse()
    out = [m for msgs, _ in kept for m in msgs]
    while out and out[0].get("role") == "tool":  # a history never starts with an orphan tool result
        out.pop(0)
    return out, used, len(block.messages) - len(out)


def _shorten_tool_message(message: dict[str, Any], tokens: int) -> dict[str, Any]:
    if message.get("role") != "tool" or tokens <= MAX_TOOL_MESSAGE_TOKENS + MESSAGE_OVERHEAD:
        return message
    content = message.get("content") or ""
    if not isinstance(content, str):
        content = json.dumps(content, ensure_ascii=False)
    return {**message, "content": _shortened(content)}


@functools.lru_cache(maxsize=2048)
def _shortened(content: str) -> str:
    """A long tool result cut to its share, once: the same results are in the history window of every
    later turn, and cutting one re-encodes it up to three times."""
    cut, _ = _trim_text(content, MAX_TOOL_MESSAGE_TOKENS)
    return cut + " …[truncated]"


def _trim_text(text: str, share: int) -> tuple[str, int]:
    if not text or share <= 0:
        return "", 0
    tokens = count_tokens(text)
    if tokens <= share:
        return text, tokens
    if share < MIN_USEFUL_TOKENS:
        return "", 0
    # Keep whole lines while they fit; a first line longer than the share is cut by characters.
    kept: list[str] = []
    used = 0
    for line in text.splitlines():
        line_tokens = count_tokens(line) + 1
        if used + line_tokens > share:
            break
        kept.append(line)
        used += line_tokens
    if not kept:
        ratio = share / tokens
        cut = text[: max(1, int(len(text) * ratio * 0.9))]
        return cut + "…", count_tokens(cut) + 1
    return "\n".join(kept) + "\n…", used + 1

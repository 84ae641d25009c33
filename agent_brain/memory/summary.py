"""Rolling summary of long conversations, updated after a reply — never delaying or breaking it.

Cadence: at least 10 messages new since the last summary, and the conversation has more than 20
messages or the context budget was more than 90 % used. And only when it shrinks the context: some
message not covered by the last summary has fallen out of what the model saw (the history window
and the token budget); while every unsummarised message is still in view a summary would only
repeat it, in more tokens. (Under budget pressure alone it used to run on every turn: writing a
summary never lowers the pressure that triggered it.) The offline model writes an extractive
summary; an LLM an abstractive one with the prompt in prompts/summary-v1.md.

A summary written over tool output (or over an earlier tainted summary) carries outside text: it is
stored as tainted, and a context holding it makes every write the model asks for a plan (policy.py).
"""

from __future__ import annotations

import logging
import uuid

from agent_brain.llm.base import ChatModel, ModelRequest, TurnHints, complete
from agent_brain.prompts import load_prompt
from agent_brain.stores.unified import UnifiedStore

log = logging.getLogger(__name__)

MIN_MESSAGES = 20
MIN_NEW_MESSAGES = 10
UTILIZATION_TRIGGER = 0.9
SUMMARY_PROMPT = "summary-v1"
MESSAGES_TO_READ = 60
MAX_SUMMARY_CHARS = 2000


def summary_due(message_count: int, summary_message_count: int, utilization: float, *,
                hidden: int | None = None) -> bool:
    """`hidden`: how many of the conversation's messages were out of the model's view this turn
    (None: unknown, not checked)."""
    new = message_count - summary_message_count
    if new < MIN_NEW_MESSAGES:
        return False
    if hidden is not None and hidden <= summary_message_count:
        return False  # every message the last summary does not cover is still in view
    return message_count > MIN_MESSAGES or utilization > UTILIZATION_TRIGGER


class RollingSummarizer:
    def __init__(self, store: UnifiedStore, model: ChatModel) -> None:
        self.store = store
        self.model = model

    async def update(self, conversation_id: uuid.UUID, *, language: str = "ru") -> bool:
        """Summarise; failures are logged, not raised. Returns whether a summary was stored."""
        try:
            return await self._update(conversation_id, language)
        except Exception:
            log.exception("rolling summary failed for conversation %s", conversation_id)
            return False

    async def _update(self, conversation_id: uuid.UUID, language: str) -> bool:
        conv = await self.store.get_by_id(conversation_id)
        messages = await self.store.load_messages(conversation_id, MESSAGES_TO_READ)
        if not messages:
            return False
        lines = []
        for m in messages:
            if m.role == "tool":
                lines.append(f"[tool {m.tool_name}] {str(m.tool_result)[:300]}")
            elif m.content:
                lines.append(f"{m.role}: {m.content[:600]}")
        previous = conv.rolling_summary or ""
        request = ModelRequest(
            messages=[
                {"role": "system", "content": load_prompt(SUMMARY_PROMPT).text},
                {"role": "user", "content": f"Previous summary:\n{previous or '(none)'}\n\nNew messages:\n"
                                            + "\n".join(lines)},
            ],
            temperature=0,
            hints=TurnHints(purpose="summarize", language="ru" if language == "ru" else "en"),
        )
        turn = await complete(self.model, request)
        summary = (turn.content or "").strip()[:MAX_SUMMARY_CHARS]
        if not summary:
            return False
        tainted = conv.summary_tainted or any(m.role == "tool" or m.tool_calls for m in messages)
        await self.store.update_rolling_summary(conversation_id, summary, message_count=conv.message_count,
                                                tainted=tainted)
        return True

"""ContextGatherer: everything an agent should know this turn, loaded in parallel and fitted to the
token budget — history, the business snapshot (before classification), specs, notes, summary, focus.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.agents.base import AgentSpec
from agent_brain.memory.budget import PRIORITIES, Block, TokenBudget
from agent_brain.memory.notes import NotesStore
from agent_brain.memory.snapshot import BusinessSnapshot, load_snapshot
from agent_brain.memory.specs import BusinessSpecsStore, format_for_prompt
from agent_brain.stores.records import ConversationRecord
from agent_brain.stores.unified import UnifiedStore
from agent_brain.tools.context import ToolContext

log = logging.getLogger(__name__)

HISTORY_MESSAGES = 50
NOTES_PER_AGENT = 8


@dataclass(frozen=True)
class TurnContext:
    history: list[dict[str, Any]]
    history_tokens: list[int]
    snapshot: BusinessSnapshot
    spec: Any
    notes: list[Any]
    summary: str | None
    focus: dict[str, Any]


@dataclass(frozen=True)
class AgentContext:
    history: list[dict[str, Any]]
    system_extra: str
    stats: dict[str, Any]


class ContextGatherer:
    def __init__(self, engine: AsyncEngine, store: UnifiedStore, notes: NotesStore, specs: BusinessSpecsStore,
                 budget: TokenBudget) -> None:
        self.engine = engine
        self.store = store
        self.notes = notes
        self.specs = specs
        self.budget = budget

    async def gather(self, conv: ConversationRecord, ctx: ToolContext) -> TurnContext:
        """History, snapshot, specs and notes in parallel (one round of queries, not a chain)."""
        messages, snapshot, spec, notes = await asyncio.gather(
            self.store.load_messages(conv.id, HISTORY_MESSAGES),
            self._snapshot(ctx),
            self.specs.get(ctx.user_id, ctx.ad_account_id),
            self.notes.list(ctx.user_id, ctx.ad_account_id),
        )
        return TurnContext(
            history=[m.to_openai() for m in messages], history_tokens=[m.tokens_used for m in messages],
            snapshot=snapshot, spec=spec, notes=list(notes), summary=conv.rolling_summary,
            focus=dict(conv.focus_entities),
        )

    async def _snapshot(self, ctx: ToolContext) -> BusinessSnapshot:
        if ctx.ad_account_id is None:
            return BusinessSnapshot.missing()
        try:
            return await load_snapshot(self.engine, user_id=ctx.user_id, ad_account_id=ctx.ad_account_id,
                                       now=clock.now())
        except Exception:  # a missing snapshot makes answers slower, not wrong: never fail the turn
            log.exception("business snapshot failed")
            return BusinessSnapshot.missing()

    def for_agent(self, turn: TurnContext, agent: AgentSpec, *, language: str, currency: str) -> AgentContext:
        ru = language == "ru"
        notes = [n for n in turn.notes if n.domain in (agent.domain, "general")][:NOTES_PER_AGENT]
        contexts = []
        if turn.summary:
            contexts.append(("Краткое содержание разговора:" if ru else "Conversation summary:") + "\n" + turn.summary)
        if turn.focus:
            contexts.append(("В фокусе: " if ru else "In focus: ") + json.dumps(turn.focus, ensure_ascii=False))
        if notes:
            contexts.append(("Заметки (важные сверху):" if ru else "Notes (most important first):") + "\n"
                            + "\n".join(f"- {n.text}" for n in notes))
        blocks = [
            Block("history", PRIORITIES["history"], messages=turn.history, message_tokens=turn.history_tokens),
            Block("metrics", PRIORITIES["metrics"], text=turn.snapshot.format(language, currency)),
            Block("profile", PRIORITIES["profile"], text=format_for_prompt(turn.spec, language)),
            Block("contexts", PRIORITIES["contexts"], text="\n\n".join(contexts)),
        ]
        fitted = self.budget.fit(blocks)
        titles = {"metrics": "Бизнес-сводка" if ru else "Business snapshot",
                  "profile": "Профиль бизнеса и KPI" if ru else "Business profile and KPI",
                  "contexts": "Контекст" if ru else "Context"}
        extra = "\n\n".join(f"## {titles[name]}\n{text}" for name, text in fitted.text.items())
        stats = {"budget": fitted.stats, "snapshot": turn.snapshot.stats(), "notes": len(notes)}
        return AgentContext(history=fitted.history, system_extra=extra, stats=stats)

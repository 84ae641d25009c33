"""The Orchestrator: one user message in, a stream of typed events out.

A turn runs in a task of its own and feeds a queue the caller reads. If the caller goes away
(a browser tab closes, an SSE client disconnects) the turn still finishes: the reply is
persisted, the run traced and the conversation's lock released. Two messages to one
conversation never run at once: the second gets a `busy` error, not a lost message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import texts
from agent_brain.agents.base import AgentSpec
from agent_brain.agents.runner import AgentRun, run_agent
from agent_brain.journal.undo import propose_undo
from agent_brain.llm.base import ChatModel, ModelRequest, ToolCall, TurnHints, complete
from agent_brain.memory.budget import TokenBudget
from agent_brain.memory.capture import capture_notes
from agent_brain.memory.commands import handle_memory_command, parse_memory_command
from agent_brain.memory.notes import TOOL_SOURCE_PREFIX, NotesStore
from agent_brain.memory.specs import BusinessSpecsStore, target_cpl_cents
from agent_brain.memory.summary import RollingSummarizer, summary_due
from agent_brain.observability import metrics
from agent_brain.observability.logs import turn_scope
from agent_brain.orchestrator.classifier import Classification, Classifier
from agent_brain.orchestrator.context import HISTORY_MESSAGES, AgentContext, ContextGatherer, TurnContext
from agent_brain.orchestrator.events import (
    ApprovalRequired,
    Classified,
    Done,
    Error,
    Event,
    StepResult,
    Text,
    ToolStart,
)
from agent_brain.orchestrator.grounding import TargetGrounding
from agent_brain.orchestrator.plans import PlanExecutor, PlanNotRunnableError, step_verified, why_not
from agent_brain.orchestrator.resolver import TurnEntityResolver
from agent_brain.orchestrator.user_text import clean_user_text
from agent_brain.platforms.base import PlatformAdapter
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.meta.listings import turn_scope as listing_turn_scope
from agent_brain.platforms.router import PlatformRouter
from agent_brain.platforms.write_safety import WriteGuard
from agent_brain.security import TokenCipher
from agent_brain.stores.errors import ConversationNotFoundError, PlanNotFoundError
from agent_brain.stores.records import ConversationRecord, NewMessage, Plan, PlanRecord, Source
from agent_brain.stores.runs import RunRecord, RunsStore
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserStore
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import ToolRegistry

log = logging.getLogger(__name__)
Emit = Callable[[Event], Awaitable[None]]

MAX_MESSAGE_CHARS = 8000
JUST_PROPOSED_WINDOW = 4  # the last messages, enough to reach the last assistant message of a turn
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_YES = re.compile(r"^\s*(да|ага|ок|окей|ok|okay|yes|y|подтверждаю|выполняй|confirm|approve)[\s.!]*$", re.I)
_NO = re.compile(r"^\s*(нет|no|n|отмена|отменить|отмени|cancel|reject|не надо)[\s.!]*$", re.I)
# «отмени последнее изменение», «верни как было», "undo that", "revert the last change"
_UNDO = re.compile(r"^\s*(пожалуйста\s+)?(отмени|отменить|откати|откатить|верни|вернуть)\b.*"
                   r"(изменени|действи|как было|назад|обратно|это\b)|^\s*(please\s+)?(undo|revert|roll\s*back)\b", re.I)


def detect_language(text: str) -> str:
    return "ru" if _CYRILLIC.search(text) else "en"


@dataclass
class _Turn:
    owner: str
    released: bool = False
    stop: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class TurnRequest:
    user_id: uuid.UUID
    text: str
    source: Source
    conversation_id: uuid.UUID | None = None
    telegram_chat_id: int | None = None
    telegram_user_id: int | None = None  # the person who wrote, in a Telegram chat
    dry_run: bool | None = None


class Orchestrator:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        model: ChatModel,
        agents: Sequence[AgentSpec],
        meta: MetaAdapter,
        writes: WriteGuard,
        classifier: Classifier | None = None,
        small_model: ChatModel | None = None,
        store: UnifiedStore | None = None,
        dry_run: bool = False,
        context_budget_tokens: int = 8000,
        cipher: TokenCipher | None = None,
        platforms: Mapping[str, PlatformAdapter] | None = None,
    ) -> None:
        self.engine = engine
        self.cipher = cipher  # reads each ad account's own encrypted token (None: the process-wide token only)
        self.model = model
        self.small_model = small_model or model
        self.agents = {a.name: a for a in agents}
        self.tools = ToolRegistry.merged(*(a.tools for a in agents))
        self.meta = meta
        self.platforms = dict(platforms or {})  # TikTok, Google Ads: besides Meta
        self.router = PlatformRouter(meta, self.platforms)  # reads journalled objects on their own platform
        self.writes = writes
        self.classifier = classifier or Classifier(self.small_model)
        self.store = store or UnifiedStore(engine)
        self.users = UserStore(engine)
        self.runs = RunsStore(engine)
        self.plans = PlanExecutor(self.store, self.tools)
        self.notes = NotesStore(engine)
        self.specs = BusinessSpecsStore(engine)
        self.context = ContextGatherer(engine, self.store, self.notes, self.specs, TokenBudget(context_budget_tokens))
        self.summarizer = RollingSummarizer(self.store, self.small_model)
        self.dry_run = dry_run
        self._turns: set[asyncio.Task[None]] = set()
        self._running: dict[uuid.UUID, _Turn] = {}  # conversation → its turn in this process (for stop)

    # ── public API ──────────────────────────────────────────────────────────────────────────

    async def process(self, request: TurnRequest) -> AsyncIterator[Event]:
        """Stream a turn's events. Closing this iterator early does not cancel the turn."""
        async for event in self._detached(lambda emit: self._run_turn(request, emit),
                                          language=detect_language(request.text), source=request.source):
            yield event

    async def _detached(self, work: Callable[[Emit], Awaitable[None]], *, language: str, source: str = "web",
                        kind: str = "turn") -> AsyncIterator[Event]:
        """Run `work` in a task of its own and stream what it emits.

        The caller may stop reading at any time (a closed tab, a dropped SSE connection): the
        work still finishes — a write is never cut in half and the outcome is persisted.
        """
        queue: asyncio.Queue[Event | None] = asyncio.Queue()

        outcome = ["ok"]

        async def emit(event: Event) -> None:
            if isinstance(event, Error):
                outcome[0] = event.code
            await queue.put(event)

        async def run() -> None:
            started = time.perf_counter()
            log.debug("%s started (%s)", kind, source)
            try:
                await work(emit)
            except Exception:
                log.exception("detached work failed")
                await emit(Error(code="internal", message=(
                    "Внутренняя ошибка: запрос не выполнен, повторите его позже." if language == "ru"
                    else "Internal error: the request was not completed, please try again later.")))
            finally:
                elapsed = time.perf_counter() - started
                metrics.TURNS.labels(source, outcome[0]).inc()
                metrics.TURN_SECONDS.labels(source).observe(elapsed)
                log.info("%s finished: %s in %.0f ms", kind, outcome[0], elapsed * 1000)
                await queue.put(None)

        # The task copies this context: everything the turn does logs this id (LOG_FORMAT=json).
        with turn_scope(kind=kind):
            self._background(run())
        while True:
            event = await queue.get()
            if event is None:
                return
            yield event

    def request_stop(self, conversation_id: uuid.UUID) -> bool:
        """Ask the conversation's running turn to stop; False when none runs in this process.

        The turn stops at its next safe point — between model rounds or before a tool runs, never
        inside a tool call — so a platform write already under way finishes and is recorded. The
        partial reply is kept (marked as stopped) and the lock released as after any turn.
        """
        turn = self._running.get(conversation_id)
        if turn is None:
            return False
        turn.stop.set()
        return True

    async def wait_idle(self) -> None:
        """Wait for turns whose callers went away (tests, shutdown)."""
        while self._turns:
            await asyncio.gather(*list(self._turns), return_exceptions=True)

    async def context_for(self, user_id: uuid.UUID, *, language: str = "ru",
                          conversation_id: uuid.UUID | None = None, dry_run: bool | None = None) -> ToolContext:
        accounts = await self.users.ad_accounts(user_id, conversation_id=conversation_id)
        # The conversation's chosen account, else the first (of a platform this process can reach).
        account = next((a for a in accounts if a.platform == "meta" or a.platform in self.platforms), None)
        meta_account = account if account is None or account.platform == "meta" else None
        # Every linked account's own token, one statement (Meta's, TikTok's and Google's alike).
        tokens = await self.users.access_tokens([a.id for a in accounts], self.cipher) if self.cipher else {}
        token = tokens.get(meta_account.id) if meta_account else None
        ctx = ToolContext(
            user_id=user_id, engine=self.engine, meta=self.meta, writes=self.writes,
            ad_account_id=meta_account.id if meta_account else None,
            platform_account_id=meta_account.external_id if meta_account else None,
            currency=meta_account.currency if meta_account else "USD",
            timezone=meta_account.timezone if meta_account else "UTC",
            language="ru" if language == "ru" else "en", conversation_id=conversation_id,
            dry_run=self.dry_run if dry_run is None else dry_run, writer=self.model, access_token=token,
            platforms={"meta": self.meta, **self.platforms}, accounts=list(accounts), account_tokens=tokens,
        )
        if account is not None and account.platform != "meta":
            return ctx.on(account.platform) or ctx
        return ctx

    async def execute_plan(
        self, user_id: uuid.UUID, plan_id: uuid.UUID, *, step_index: int | None = None, auto_retry: bool = False,
        language: str = "ru", telegram_user_id: int | None = None,
    ) -> AsyncIterator[Event]:
        """Run an approved plan (all steps, or one) and persist the outcome in its conversation.

        Like a turn, the execution runs detached: a caller leaving mid-plan does not stop it. It
        holds its conversation's lease (renewed by a heartbeat) like a turn does: a plan that is
        not runnable, or a conversation already busy, is an error event before anything runs.
        """

        async def work(emit: Emit) -> None:
            try:
                plan = await self.store.get_plan(plan_id, user_id=user_id)
            except PlanNotFoundError:
                await emit(Error(code="not_found", message="План не найден" if language == "ru" else "Plan not found"))
                return
            if plan.status not in ("pending", "approved"):
                await emit(Error(code="plan_not_runnable", message=why_not(plan.status, language), state=plan.status))
                return
            owner = f"plan-{uuid.uuid4().hex[:12]}"
            if not await self.store.acquire_lock(plan.conversation_id, owner):
                await emit(Error(code="busy", state=plan.status, message=(
                    "Этот диалог сейчас занят (выполняется другой запрос или план) — подождите немного."
                    if language == "ru" else "This conversation is busy with another request or plan — one moment.")))
                return
            try:
                async with self.store.heartbeat(plan.conversation_id, owner):
                    ctx = await self.context_for(user_id, language=language, conversation_id=plan.conversation_id)
                    ctx = dataclasses.replace(ctx, writes=ctx.writes.scoped(None, telegram_user_id=telegram_user_id))
                    async for event in self._run_plan(plan, ctx, owner=owner, step_index=step_index,
                                                      auto_retry=auto_retry):
                        await emit(event)
            finally:
                await asyncio.shield(self.store.release_lock(plan.conversation_id, owner))

        async for event in self._detached(work, language=language, source="plan", kind="plan"):
            yield event

    async def reject_plan(self, user_id: uuid.UUID, plan_id: uuid.UUID, *, language: str = "ru") -> PlanRecord:
        ctx = await self.context_for(user_id, language=language)
        record = await self.plans.reject(plan_id, ctx)
        await self.store.add_message(record.conversation_id, NewMessage(
            role="assistant", content="План отменён." if language == "ru" else "Plan cancelled.", domain="system"))
        return record

    # ── one turn ────────────────────────────────────────────────────────────────────────────

    async def _run_turn(self, request: TurnRequest, emit: Any) -> None:
        text = clean_user_text(request.text)
        language = detect_language(text)
        if not text:
            await emit(Error(code="empty", message="Пустое сообщение" if language == "ru" else "Empty message"))
            return
        if len(text) > MAX_MESSAGE_CHARS:
            await emit(Error(code="too_long", message=(
                f"Сообщение слишком длинное ({len(text)} символов, максимум {MAX_MESSAGE_CHARS})."
                if language == "ru" else
                f"The message is too long ({len(text)} characters, at most {MAX_MESSAGE_CHARS}).")))
            return
        owner = f"turn-{uuid.uuid4().hex[:12]}"
        try:
            conv, locked, pending_id = await self.store.open_turn(
                user_id=request.user_id, source=request.source, owner=owner,
                conversation_id=request.conversation_id, telegram_chat_id=request.telegram_chat_id)
        except ConversationNotFoundError:
            await emit(Error(code="not_found", message="Диалог не найден" if language == "ru"
                             else "Conversation not found"))
            return
        if not locked:
            await emit(Error(code="busy", message="Я ещё отвечаю на предыдущее сообщение — подождите немного."
                             if language == "ru" else "Still answering your previous message — one moment."))
            return
        turn = _Turn(owner)
        self._running[conv.id] = turn
        try:
            async with self.store.heartbeat(conv.id, owner):
                with listing_turn_scope():  # each platform list fetched at most once in the turn
                    await self._locked_turn(conv, pending_id, request, text, language, turn, emit)
        finally:
            self._running.pop(conv.id, None)
            if not turn.released:
                # Shielded: even a cancelled or failed turn must not leave the conversation locked.
                await asyncio.shield(self.store.release_lock(conv.id, owner))

    async def _locked_turn(self, conv: ConversationRecord, pending_id: uuid.UUID | None, request: TurnRequest,
                           text: str, language: str, turn: _Turn, emit: Any) -> None:
        turn_ctx = await self.context_for(request.user_id, language=language, conversation_id=conv.id,
                                          dry_run=request.dry_run)
        # Writes run directly in this turn (auto mode) deduplicate within the turn only.
        ctx = dataclasses.replace(turn_ctx, writes=turn_ctx.writes.scoped(
            f"turn:{uuid.uuid4()}", user_id=request.user_id, source=request.source, conversation_id=conv.id,
            telegram_chat_id=request.telegram_chat_id, telegram_user_id=request.telegram_user_id,
            owner=turn.owner))
        command = parse_memory_command(text)
        if command is not None:  # «Запомни: …» / "Forget: …" / «Что ты помнишь?» work in every mode
            await self._memory_command(conv, command, text, ctx, turn, emit)
            return
        if pending_id is not None and (_YES.match(text) or _NO.match(text)) \
                and await self._just_proposed(conv.id, pending_id):
            pending = await self.store.get_plan(pending_id, user_id=request.user_id)
            await self._text_approval(conv, pending, text, ctx, emit, owner=turn.owner)
            return
        if _UNDO.match(text):
            await self._undo(conv, request, text, ctx, turn, emit)
            return
        # Snapshot, specs, notes and history load together, before classification.
        memory = await self.context.gather(conv, ctx)
        # The question is stored before the agents run: a page reloaded mid-turn shows it.
        await self.store.add_message(conv.id, NewMessage(role="user", content=text))
        resolver = TurnEntityResolver(ctx)
        hints = TurnHints(language=ctx.language, focus=memory.focus, resolver=resolver,
                          today=ctx.today, currency=ctx.currency)
        classification = await self.classifier.classify(text, last_domain=conv.last_domain,
                                                        history=_plain(memory.history), hints=hints)
        await emit(Classified(domain=classification.domain, agents=list(classification.agents),
                              path=classification.path))
        runs = [AgentRun(self.agents[name], conv.mode) for name in classification.agents]
        contexts = {r.agent.name: self.context.for_agent(memory, r.agent, language=ctx.language,
                                                         currency=ctx.currency) for r in runs}
        for run in runs:
            run.context_stats = contexts[run.agent.name].stats
        grounding = TargetGrounding(user_text=text, shown_text=memory.shown_text, resolver=resolver)
        agent_started = time.perf_counter()
        if len(runs) == 1:
            await self._run_one(runs[0], contexts[runs[0].agent.name], text, ctx, conv.mode, hints, grounding, emit,
                                turn.stop)
            final_text = runs[0].final_text
        else:
            final_text = await self._run_mixed(runs, contexts, text, ctx, conv.mode, hints, grounding, emit, turn.stop)
        latency_ms = int((time.perf_counter() - agent_started) * 1000)
        if any(self.tools.get(name).is_write for r in runs for name in r.tools_executed if name in self.tools):
            self.context.snapshots.forget(request.user_id)  # the next turn sees what this one changed
        stopped = turn.stop.is_set()
        if stopped:
            final_text = _mark_stopped(runs, final_text, language)

        plan = None if stopped else await self._make_plan(conv, request, runs, language)
        messages: list[NewMessage] = []
        for run in runs:
            messages.extend(run.new_messages)
        if len(runs) > 1 and not stopped:
            messages.append(NewMessage(role="assistant", content=final_text, agent="orchestrator", domain="mixed"))
        if plan is not None:
            # The approval modal is rebuilt from the last assistant message's plan_json.
            last = messages[-1]
            messages[-1] = last.model_copy(update={"plan_json": {**plan.plan_json, "plan_id": str(plan.id)}})
        choices = [c for run in runs for c in run.choices] if plan is None else []
        if choices:  # the page re-renders a question's buttons from its message
            messages[-1] = messages[-1].model_copy(update={"tool_result": {"choices": choices}})
        await self.store.add_messages(conv.id, messages)
        # An open question lasts one turn: answered or not, the next message closes it.
        focus: dict[str, Any] = {"clarify": {}} if memory.focus.get("clarify") else {}
        for run in runs:
            focus.update(run.focus_updates)
        await self.store.record_turn(conv.id, last_agent=runs[-1].agent.name, last_domain=classification.domain,
                                     focus_patch=focus, release_owner=turn.owner)
        turn.released = True
        await self.runs.record([_run_record(conv, r, classification, latency_ms) for r in runs])
        if plan is not None:
            await emit(ApprovalRequired(plan_id=str(plan.id), plan=plan.plan_json))
        await emit(Done(conversation_id=str(conv.id), text=final_text, mode=conv.mode,
                        plan_id=str(plan.id) if plan else None, choices=choices or None, stopped=stopped or None))
        # After the reply: memory upkeep never delays or breaks it.
        utilization = max((r.context_stats.get("budget", {}).get("pressure", 0.0) for r in runs), default=0.0)
        self._background(self._after_turn(conv, runs, memory, ctx, len(messages) + 1, utilization))

    def _background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._turns.add(task)
        task.add_done_callback(self._turns.discard)

    async def _after_turn(self, conv: ConversationRecord, runs: list[AgentRun], memory: TurnContext,
                          ctx: ToolContext, added: int, utilization: float) -> None:
        try:
            target = target_cpl_cents(memory.spec)
            for run in runs:
                for message in run.new_messages:
                    if message.role != "tool" or not isinstance(message.tool_result, dict):
                        continue
                    if message.tool_result.get("success") is False:
                        continue
                    for note in capture_notes(message.tool_name or "", message.tool_result, language=ctx.language,
                                              kpi_target_cpl_cents=target, currency=ctx.currency):
                        # Outside text: stored as data from that tool, never as the user's instruction.
                        await self.notes.add(ctx.user_id, ctx.ad_account_id, note.domain, note.text,
                                             importance=note.importance, dedup_key=note.dedup_key,
                                             source=f"{TOOL_SOURCE_PREFIX}{message.tool_name}")
        except Exception:
            log.exception("note capture failed")
        # Messages before this turn that no agent saw (history window, token budget).
        visible = min((r.context_stats.get("budget", {}).get("blocks", {}).get("history", {}).get("kept", 0)
                       for r in runs), default=0)
        if summary_due(conv.message_count + added, conv.summary_message_count, utilization,
                       hidden=max(0, conv.message_count - visible)):
            await self.summarizer.update(conv.id, language=ctx.language)

    async def _memory_command(self, conv: ConversationRecord, command: Any, text: str, ctx: ToolContext,
                              turn: _Turn, emit: Any) -> None:
        await emit(Classified(domain="memory", agents=[], path="command"))
        reply = await handle_memory_command(command, self.notes, ctx.user_id, ctx.ad_account_id, ctx.language)
        await self.store.add_messages(conv.id, [NewMessage(role="user", content=text, domain="memory"),
                                                NewMessage(role="assistant", content=reply, domain="memory")])
        await self.store.record_turn(conv.id, last_agent=conv.last_agent, last_domain=conv.last_domain,
                                     focus_patch={}, release_owner=turn.owner)
        turn.released = True
        await emit(Text(text=reply))
        await emit(Done(conversation_id=str(conv.id), text=reply, mode=conv.mode))

    async def _undo(self, conv: ConversationRecord, request: TurnRequest, text: str, ctx: ToolContext, turn: _Turn,
                    emit: Any) -> None:
        """«отмени последнее изменение» / "undo that": a plan restoring the journalled before-state."""
        await emit(Classified(domain="system", agents=[], path="command"))
        await self.store.add_message(conv.id, NewMessage(role="user", content=text, domain="system"))
        proposal = await propose_undo(engine=self.engine, meta=self.router, store=self.store, user_id=request.user_id,
                                      language=ctx.language, conversation_id=conv.id, source=request.source,
                                      telegram_chat_id=request.telegram_chat_id)
        if proposal.plan is None:
            await self.store.add_message(conv.id, NewMessage(role="assistant", content=proposal.text, domain="system"))
        await self.store.record_turn(conv.id, last_agent=conv.last_agent, last_domain=conv.last_domain,
                                     focus_patch={}, release_owner=turn.owner)
        turn.released = True
        await emit(Text(text=proposal.text))
        if proposal.plan is not None:
            await emit(ApprovalRequired(plan_id=str(proposal.plan.id), plan=proposal.plan.plan_json))
        await emit(Done(conversation_id=str(conv.id), text=proposal.text, mode=conv.mode,
                        plan_id=str(proposal.plan.id) if proposal.plan else None))

    async def _run_one(self, run: AgentRun, agent_ctx: AgentContext, text: str, ctx: ToolContext, mode: str,
                       hints: TurnHints, grounding: TargetGrounding, emit: Any, stop: asyncio.Event) -> None:
        events = run_agent(run.agent, model=self.model, history=agent_ctx.history, user_text=text, ctx=ctx,
                           mode=mode, hints=_for_agent(hints, run.agent.name), run=run,
                           system_extra=agent_ctx.system_extra, taint=agent_ctx.taint, grounding=grounding)
        streamed: list[str] = []
        started = time.perf_counter()
        try:
            # A stop takes effect at the next text delta or just before the next tool runs (ToolStart is
            # yielded before the call): never inside a tool, and never before a finished tool's result
            # is recorded — so a write under way completes and the history says it happened.
            async for event in events:
                if stop.is_set() and isinstance(event, Text | ToolStart):
                    run.final_text = run.final_text or "".join(streamed)
                    break
                if isinstance(event, Text):
                    streamed.append(event.text)
                await emit(event)
        except Exception as exc:
            log.exception("agent %s failed", run.agent.name)
            run.status, run.error = "error", f"{type(exc).__name__}: {exc}"
            run.final_text = ("Не получилось выполнить запрос: внутренняя ошибка агента." if ctx.language == "ru"
                              else "I could not complete this request: the agent hit an internal error.")
            run.new_messages.append(NewMessage(role="assistant", content=run.final_text, agent=run.agent.name))
            await emit(Text(text=run.final_text, agent=run.agent.name))
        finally:
            await events.aclose()
            metrics.AGENT_SECONDS.labels(run.agent.name, run.status).observe(time.perf_counter() - started)
            log.debug("agent %s: %s in %.0f ms, tools %s", run.agent.name, run.status,
                      (time.perf_counter() - started) * 1000, ",".join(run.tools_executed) or "-")

    async def _run_mixed(self, runs: list[AgentRun], contexts: dict[str, AgentContext], text: str, ctx: ToolContext,
                         mode: str, hints: TurnHints, grounding: TargetGrounding, emit: Any, stop: asyncio.Event) -> str:
        """Agents in parallel; their tool events stream, their texts are merged into one answer."""

        async def quiet(event: Event) -> None:
            if not isinstance(event, Text):
                await emit(event)

        await asyncio.gather(*(self._run_one(r, contexts[r.agent.name], text, ctx, mode, hints, grounding, quiet, stop)
                               for r in runs))
        parts = "\n\n".join(f"[{r.agent.title}]\n{r.final_text}" for r in runs if r.final_text)
        if stop.is_set():
            return parts
        request = ModelRequest(
            messages=[{"role": "system", "content": "Combine the specialists' answers into one reply for the user, "
                                                    "in the user's language. Keep every number. Be brief."},
                      {"role": "user", "content": f"Question: {text}\n\nAnswers:\n{parts}"}],
            hints=TurnHints(purpose="synthesize", language=hints.language, currency=hints.currency),
        )
        try:
            turn = await complete(self.model, request)
            final = turn.content or parts
        except Exception:  # the agents' own answers are still worth showing
            log.warning("synthesis failed", exc_info=True)
            final = parts
        await emit(Text(text=final, agent="orchestrator"))
        return final

    async def _make_plan(self, conv: ConversationRecord, request: TurnRequest, runs: list[AgentRun],
                         language: str) -> PlanRecord | None:
        steps = [step for run in runs for step in run.plan_steps]
        if not steps:
            return None
        names = ", ".join(texts.action(s.action, language) for s in steps)
        summary = (f"Нужно подтверждение: {names}" if language == "ru" else f"Needs your approval: {names}")
        return await self.store.create_pending_plan(
            conv.id, request.user_id, Plan(steps=steps, summary=summary), source=request.source,
            telegram_chat_id=request.telegram_chat_id)

    async def _just_proposed(self, conversation_id: uuid.UUID, plan_id: uuid.UUID) -> bool:
        """Whether the immediately preceding assistant message proposed this plan: only then does a bare
        «да»/«нет» answer it; otherwise it is an ordinary message and the plan stays pending (its buttons work)."""
        for message in reversed(await self.store.load_messages(conversation_id, JUST_PROPOSED_WINDOW)):
            if message.role == "assistant":
                return (message.plan_json or {}).get("plan_id") == str(plan_id)
        return False

    async def _text_approval(self, conv: ConversationRecord, pending: PlanRecord, text: str, ctx: ToolContext,
                             emit: Any, *, owner: str) -> None:
        """"да/yes/ок" approves and runs the pending plan; "нет/no/отмена" rejects it."""
        await emit(Classified(domain="approval", agents=[], path="approval"))
        await self.store.add_message(conv.id, NewMessage(role="user", content=text, domain="system"))
        if _NO.match(text):
            await self.plans.reject(pending.id, ctx)
            reply = "Хорошо, план отменён." if ctx.language == "ru" else "OK, the plan is cancelled."
            await self.store.add_message(conv.id, NewMessage(role="assistant", content=reply, domain="system"))
            await emit(Text(text=reply))
            await emit(Done(conversation_id=str(conv.id), text=reply, mode=conv.mode, plan_id=str(pending.id)))
            return
        async for event in self._run_plan(pending, ctx, owner=owner):  # under this turn's lease
            await emit(event)

    async def _run_plan(self, plan: PlanRecord, ctx: ToolContext, *, owner: str, step_index: int | None = None,
                        auto_retry: bool = False) -> AsyncIterator[Event]:
        """Run the plan as `owner`, who holds the conversation's lease for the whole run."""
        steps: list[StepResult] = []

        async def collect(step: StepResult) -> None:
            steps.append(step)

        ctx = dataclasses.replace(ctx, writes=ctx.writes.scoped(None, owner=owner))
        try:
            if step_index is None:
                execution = await self.plans.execute_all(plan.id, ctx, auto_retry=auto_retry, on_step=collect,
                                                         executor=owner)
            else:
                execution = await self.plans.execute_step(plan.id, step_index, ctx, on_step=collect, executor=owner)
        except PlanNotRunnableError as exc:
            yield Error(code="plan_not_runnable", message=str(exc), state=exc.state)
            return
        finally:
            self.context.snapshots.forget(ctx.user_id)  # a plan's writes change what the snapshot shows
        for step in steps:
            yield step
        reply = await self._render_plan_outcome(execution.plan, steps, ctx)
        await self.store.add_message(plan.conversation_id, NewMessage(
            role="assistant", content=reply, domain="system",
            tool_result={"plan_id": str(plan.id), "status": execution.plan.status,
                         "steps": [s.to_json() for s in steps]}))
        yield Text(text=reply)
        yield Done(conversation_id=str(plan.conversation_id), text=reply, plan_id=str(plan.id))

    async def _render_plan_outcome(self, plan: PlanRecord, steps: list[StepResult], ctx: ToolContext) -> str:
        """Reads approved in a plan (ask mode) are answered like a turn: the agent's model writes the reply
        from their results. Writes and failures keep their step report."""
        reads = [s for s in steps if s.success and s.action in self.tools.names()
                 and not self.tools.get(s.action).is_write]
        others = [s for s in steps if s not in reads]
        answer = await self._answer_reads(plan, reads, ctx) if reads else ""
        if not answer:
            return render_execution(plan, steps, ctx.language)
        return answer if not others else f"{answer}\n\n{render_execution(plan, others, ctx.language)}"

    async def _answer_reads(self, plan: PlanRecord, reads: list[StepResult], ctx: ToolContext) -> str:
        """The reply to approved reads, per agent, as the agent's last round of a normal turn would write it."""
        question = await self._plan_question(plan)
        resolver = TurnEntityResolver(ctx)
        answers = []
        for agent in self.agents.values():
            mine = [s for s in reads if s.action in agent.tools.names()]
            if not mine:
                continue
            calls = [ToolCall.make(f"plan_{s.index}", s.action, plan.plan.steps[s.index].params) for s in mine]
            messages: list[dict[str, Any]] = [
                {"role": "system", "content": agent.prompt.text}, {"role": "user", "content": question},
                {"role": "assistant", "content": None, "tool_calls": [c.to_openai() for c in calls]},
                *({"role": "tool", "tool_call_id": c.id, "content": json.dumps(s.result or {}, ensure_ascii=False,
                                                                                default=str)}
                  for c, s in zip(calls, mine, strict=True)),
            ]
            hints = TurnHints(language=ctx.language, agent=agent.name, resolver=resolver, today=ctx.today,
                              currency=ctx.currency)
            try:
                # Tool calls in this answer are ignored: only the approved steps run.
                turn = await complete(self.model, ModelRequest(messages=messages, tools=agent.tools.schemas(),
                                                               hints=hints))
            except Exception:  # the step report is still shown
                log.warning("answer to approved reads failed", exc_info=True)
                return ""
            if not turn.content:
                return ""
            answers.append(turn.content)
        return "\n\n".join(answers)

    async def _plan_question(self, plan: PlanRecord) -> str:
        """The user's message the plan answered (the last user message before the plan was proposed)."""
        question = plan.plan.summary
        for message in await self.store.load_messages(plan.conversation_id, HISTORY_MESSAGES):
            if message.role == "user" and message.content:
                question = message.content
            if (message.plan_json or {}).get("plan_id") == str(plan.id):
                break
        return question


def render_execution(plan: PlanRecord, steps: list[StepResult], language: str) -> str:
    """A short report of executed steps with their verification, in the conversation's language."""
    ru = language == "ru"
    lines = []
    for step in steps:
        if not step.success:
            lines.append(f"❌ {texts.action(step.action, language)}: {step.error}")
            continue
        result = step.result or {}
        verification = result.get("verification") or {}
        if result.get("dry_run"):
            mark = "🧪 " + ("проверено без выполнения (dry-run)" if ru else "validated, not applied (dry-run)")
        elif not step_verified(result):
            mark = "⚠️ " + ("платформа не показывает это изменение — оно не подтверждено, проверьте объект"
                            if ru else "the platform does not show this change — it is not verified; check the object")
        elif verification.get("verified"):
            mark = "✅ " + ("выполнено и проверено" if ru else "done and verified")
        else:
            mark = "✅ " + ("выполнено" if ru else "done")
        if result.get("cached"):
            mark += " (" + ("уже было выполнено ранее" if ru else "already done before") + ")"
        target = (result.get("target") or {}).get("name")
        lines.append(f"{texts.action(step.action, language)}{f' «{target}»' if target else ''}: {mark}")
    total = len(plan.plan.steps)
    done = sum(1 for r in (plan.execution_results or {}).values() if r.get("success"))
    head = (f"План: выполнено {done} из {total}." if ru else f"Plan: {done} of {total} steps done.")
    if plan.status == "unverified":
        head += " " + ("Не все изменения подтверждены платформой." if ru else "Not every change is confirmed by the platform.")
    return "\n".join([head, *lines])


def _mark_stopped(runs: list[AgentRun], partial: str, language: str) -> str:
    """A stopped turn's partial reply, marked, and its agents' messages left well-formed for the model.

    A run stopped mid-answer has no final assistant message yet, and tool calls it announced but
    never ran get a "stopped" result (the OpenAI protocol wants one per call).
    """
    mark = "_(ответ остановлен)_" if language == "ru" else "_(reply stopped)_"
    for run in runs:
        run.status = "cancelled"
        answered = {m.tool_call_id for m in run.new_messages if m.role == "tool"}
        for message in list(run.new_messages):
            for call in message.tool_calls or []:
                if call["id"] not in answered:
                    run.new_messages.append(NewMessage(
                        role="tool", tool_call_id=call["id"], tool_name=call["function"]["name"],
                        tool_result={"success": False, "code": "stopped", "error": "stopped by the user"},
                        agent=run.agent.name, domain=run.agent.domain))
        if run.new_messages and run.new_messages[-1].role == "assistant" and not run.new_messages[-1].tool_calls:
            run.new_messages.pop()  # the agent finished before the stop took effect: it is re-added, marked
    text = f"{partial.strip()}\n\n{mark}" if partial.strip() else mark
    last = runs[-1]
    last.final_text = text
    last.new_messages.append(NewMessage(role="assistant", content=text, agent=last.agent.name,
                                        domain=last.agent.domain))
    return text


def _plain(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in history if m["role"] in ("user", "assistant") and m.get("content")]


def _for_agent(hints: TurnHints, agent: str) -> TurnHints:
    return TurnHints(purpose="agent", language=hints.language, agent=agent, focus=hints.focus,
                     resolver=hints.resolver, today=hints.today, currency=hints.currency)


def _run_record(conv: ConversationRecord, run: AgentRun, classification: Classification, latency_ms: int) -> RunRecord:
    return RunRecord(
        conversation_id=conv.id, user_id=conv.user_id, model=run.model or "unknown", agent=run.agent.name,
        domain=classification.domain, prompt_version=run.agent.prompt.version,
        classifier_path=classification.path, prompt_tokens=run.usage.prompt_tokens,
        completion_tokens=run.usage.completion_tokens, tools_planned=run.tools_planned,
        tools_executed=run.tools_executed, tool_errors=run.tool_errors, context_stats=run.context_stats,
        latency_ms=latency_ms,
        status=run.status, error=run.error,
    )


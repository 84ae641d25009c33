"""TelegramStreamer: one orchestrator reply shown live by editing one message.

Events update an in-memory view (progress lines in words, then the reply's Markdown rendered by
`render`); a pump task brings the chat up to date with the fewest calls: the first content is sent
as a new message, later content edits it, text beyond 4096 characters continues in new messages
split at line boundaries (entities never cut). Pacing (≤ 1 call/s per chat, 429s honoured) is the
chat outbox's;
while a call waits for its turn more text arrives and goes out in the same edit, which is the
debounce. A call is made only when the text differs from what the chat shows, so Telegram never
sees an edit with unchanged text ("message is not modified").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import DeleteMessage, EditMessageText, SendChatAction, SendMessage, TelegramMethod
from aiogram.types import Message

from agent_brain import texts
from agent_brain.orchestrator.events import Done, Error, Event, Text, ToolResult, ToolStart
from telegram_bot.outbox import ChatOutbox, best_effort
from telegram_bot.render import TEXT_LIMIT, html_parts, join_blocks, markdown_block, plain_block

log = logging.getLogger(__name__)

TYPING_EVERY = 4.5  # a chat action shows for ~5 s


@dataclass
class _Tool:
    name: str
    status: Literal["running", "ok", "failed"] = "running"
    error: str | None = None

    def line(self, lang: str) -> str:
        """Progress in words ("⏳ Считаю расходы…"), never the tool's internal name."""
        label = texts.activity(self.name, lang)
        if self.status == "running":
            return f"⏳ {label}…"
        if self.status == "ok":
            return f"✓ {label}"
        return f"✗ {label}: {(self.error or '')[:200]}"


@dataclass(frozen=True)
class _Step:
    kind: Literal["send", "edit", "delete"]
    index: int
    html: str = ""


class TelegramStreamer:
    """Use as `async with TelegramStreamer(outbox) as s: await s.feed(event)`; leaving the block
    waits until the chat shows the final text."""

    def __init__(self, outbox: ChatOutbox, *, limit: int = TEXT_LIMIT, typing_every: float = TYPING_EVERY,
                 lang: str = "ru") -> None:
        self._outbox = outbox
        self._lang = lang
        self._limit = limit
        self._typing_every = typing_every
        self._tools: dict[str, _Tool] = {}
        self._text = ""
        self._final: str | None = None
        self._errors: list[str] = []
        self._sent: list[tuple[int, str]] = []  # (message_id, html) of each part the chat shows
        self._wake = asyncio.Event()
        self._closing = False
        self._failed = False
        self._pump_task: asyncio.Task[None] | None = None
        self._typed_at: float | None = None
        self._chosen: _Step | None = None  # the step the request in flight performs

    @property
    def message_ids(self) -> list[int]:
        return [message_id for message_id, _ in self._sent]

    @property
    def text(self) -> str:
        """The reply text (the final one once `done` arrived)."""
        return self._final if self._final is not None else self._text

    async def __aenter__(self) -> TelegramStreamer:
        await self._typing()
        self._pump_task = asyncio.create_task(self._pump())
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc_type is asyncio.CancelledError and self._pump_task is not None:
            self._pump_task.cancel()
            return
        await self.close()

    async def feed(self, event: Event) -> None:
        if isinstance(event, Text):
            self._text += event.text
        elif isinstance(event, ToolStart):
            self._tools[event.call_id] = _Tool(event.tool)
            await self._typing()
        elif isinstance(event, ToolResult):
            tool = self._tools.setdefault(event.call_id, _Tool(event.tool))
            tool.status, tool.error = ("ok", None) if event.success else ("failed", event.error)
        elif isinstance(event, Done):
            # The orchestrator's final text is authoritative (streamed deltas may span several rounds).
            if event.text:
                self._final = event.text
        elif isinstance(event, Error):
            self._errors.append(event.message)
        else:
            return  # classified / approval_required / step_result are rendered elsewhere
        self._wake.set()

    async def close(self) -> None:
        """Flush: returns once the chat shows the final state (or, failing edits, a fresh copy of it)."""
        self._closing = True
        self._wake.set()
        if self._pump_task is not None:
            await self._pump_task
        if self._failed:
            await self._resend_all()

    # ── rendering ───────────────────────────────────────────────────────────────────────────

    def parts(self) -> list[str]:
        """The chat's messages as HTML: progress lines, the reply's Markdown rendered, warnings."""
        progress = plain_block("\n".join(tool.line(self._lang) for tool in self._tools.values()))
        shown = join_blocks([progress, markdown_block(self.text)], "\n\n")
        warnings = plain_block("\n".join(f"⚠️ {message}" for message in self._errors))
        return html_parts(join_blocks([shown, warnings]), self._limit)

    def _next_step(self) -> _Step | None:
        parts = self.parts()
        for index, html in enumerate(parts):
            if index >= len(self._sent):
                return _Step("send", index, html)
            if self._sent[index][1] != html:
                return _Step("edit", index, html)
        if len(self._sent) > len(parts):
            return _Step("delete", len(self._sent) - 1)
        return None

    # ── syncing the chat ────────────────────────────────────────────────────────────────────

    async def _pump(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self._sync()
                if self._closing and not self._wake.is_set():
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            # Edits broke (message deleted by the user, an unexpected 400): close() sends the
            # final text afresh so it is not lost.
            log.exception("chat %s: streaming edits failed", self._outbox.chat_id)
            self._failed = True

    async def _sync(self) -> None:
        while self._next_step() is not None:
            self._chosen = None
            try:
                result = await self._outbox.call(self._build)
            except TelegramBadRequest as exc:
                step = self._chosen
                if "message is not modified" not in exc.message or step is None:
                    raise
                self._sent[step.index] = (self._sent[step.index][0], step.html)
                continue
            if self._chosen is not None:
                self._apply(self._chosen, result)

    def _build(self) -> TelegramMethod[object] | None:
        # Called when the outbox lets the call go, so the step carries the newest text.
        self._chosen = self._next_step()
        return self._method(self._chosen) if self._chosen else None

    def _method(self, step: _Step) -> TelegramMethod[object]:
        chat_id = self._outbox.chat_id
        if step.kind == "send":
            return SendMessage(chat_id=chat_id, text=step.html)  # type: ignore[return-value]
        message_id = self._sent[step.index][0]
        if step.kind == "edit":
            return EditMessageText(chat_id=chat_id, message_id=message_id, text=step.html)  # type: ignore[return-value]
        return DeleteMessage(chat_id=chat_id, message_id=message_id)  # type: ignore[return-value]

    def _apply(self, step: _Step, result: object) -> None:
        if step.kind == "send":
            assert isinstance(result, Message)
            self._sent.append((result.message_id, step.html))
        elif step.kind == "edit":
            self._sent[step.index] = (self._sent[step.index][0], step.html)
        else:
            self._sent.pop(step.index)

    async def _resend_all(self) -> None:
        self._sent = []
        for html in self.parts():
            message = await self._outbox.call(lambda html=html: SendMessage(chat_id=self._outbox.chat_id, text=html))
            if isinstance(message, Message):
                self._sent.append((message.message_id, html))

    async def _typing(self) -> None:
        now = self._outbox.pacing.clock()
        if self._typed_at is not None and now - self._typed_at < self._typing_every:
            return
        self._typed_at = now
        # Not paced: chat actions are not messages and do not count against the chat's budget.
        await best_effort(self._outbox.bot(SendChatAction(chat_id=self._outbox.chat_id, action=ChatAction.TYPING)))

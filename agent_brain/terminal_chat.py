"""`agent-brain chat`: a terminal chat over the same orchestrator as the web and Telegram.

Interactive by default. With `--json` it reads one message (or slash command) per line from
stdin and prints every event as one JSON object per line, each reply closed by a `done` event,
so scripts and evaluations can drive it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

from agent_brain.orchestrator.events import Done, Error, Event, Text
from agent_brain.orchestrator.orchestrator import TurnRequest
from agent_brain.runtime import Runtime
from agent_brain.stores.records import ConversationRecord

HELP = """Commands: /new · /mode auto|plan|ask · /approve [step] · /reject · /clear · /status · /help · /quit"""


class TerminalChat:
    def __init__(self, runtime: Runtime, user_id: uuid.UUID, *, as_json: bool, out: Any = None) -> None:
        self.runtime = runtime
        self.user_id = user_id
        self.as_json = as_json
        self.out = out or sys.stdout
        self.conversation: ConversationRecord | None = None
        self.plan_id: uuid.UUID | None = None  # the plan last proposed here: /approve N runs its steps one by one

    async def new_conversation(self, mode: str = "plan") -> ConversationRecord:
        self.conversation = await self.runtime.conversations.get_or_create(user_id=self.user_id, source="cli",
                                                                           mode=mode)  # type: ignore[arg-type]
        return self.conversation

    # ── output ──────────────────────────────────────────────────────────────────────────────

    def emit(self, event: Event | dict[str, Any]) -> None:
        payload = event if isinstance(event, dict) else event.to_json()
        if payload["type"] == "approval_required":
            self.plan_id = uuid.UUID(payload["plan_id"])
        if self.as_json:
            self.out.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
            self.out.flush()
            return
        kind = payload["type"]
        if kind == "text":
            self.out.write(payload["text"])
        elif kind == "tool_start":
            self.out.write(f"\n⏳ {payload['tool']} {json.dumps(payload['args'], ensure_ascii=False)}\n")
        elif kind == "tool_result":
            self.out.write(f"{'✓' if payload['success'] else '✗'} {payload['tool']}"
                           f"{'' if payload['success'] else ': ' + str(payload.get('error'))}\n")
        elif kind == "approval_required":
            self.out.write("\n\n⚠️  Approval needed (/approve or /reject):\n")
            for i, step in enumerate(payload["plan"]["steps"], 1):
                self.out.write(f"  {i}. {'⚠️ ' if step.get('dangerous') else ''}{step['description']}\n")
        elif kind == "done":
            self.out.write("\n")
        elif kind == "error":
            self.out.write(f"\n[error: {payload['code']}] {payload['message']}\n")
        elif kind == "info":
            self.out.write(payload["message"] + "\n")
        self.out.flush()

    # ── input ───────────────────────────────────────────────────────────────────────────────

    async def handle_line(self, line: str) -> bool:
        """Process one input line. Returns False when the chat should end."""
        line = line.strip()
        if not line:
            return True
        if self.conversation is None:
            await self.new_conversation()
        assert self.conversation is not None
        if line.startswith("/"):
            return await self._command(line)
        request = TurnRequest(user_id=self.user_id, text=line, source="cli", conversation_id=self.conversation.id)
        async for event in self.runtime.orchestrator.process(request):
            self.emit(event)
        return True

    async def _command(self, line: str) -> bool:
        assert self.conversation is not None
        name, _, arg = line[1:].partition(" ")
        name, arg = name.lower(), arg.strip()
        store = self.runtime.conversations
        conv_id = self.conversation.id
        if name in ("quit", "exit"):
            return False
        if name == "help":
            self._info(HELP)
        elif name == "new":
            conv = await self.new_conversation(self.conversation.mode)
            self._info(f"new conversation {conv.id}", conversation_id=str(conv.id))
        elif name == "mode":
            if arg not in ("auto", "plan", "ask"):
                self.emit(Error(code="usage", message="usage: /mode auto|plan|ask"))
            else:
                await store.set_mode(conv_id, arg)  # type: ignore[arg-type]
                self._info(f"mode: {arg}", mode=arg)
        elif name == "clear":
            deleted = await store.clear(conv_id)
            self._info(f"cleared {deleted} messages")
        elif name == "status":
            conv = await store.get_by_id(conv_id)
            pending = await store.get_pending_plan(conv_id)
            breaker = self.runtime.meta.client.breaker.status()
            self._info(
                f"conversation {conv.id} · mode {conv.mode} · {conv.message_count} messages · last agent "
                f"{conv.last_agent or '-'} · pending plan {pending.id if pending else '-'} · Facebook API "
                f"{breaker.state}", mode=conv.mode, messages=conv.message_count,
                pending_plan=str(pending.id) if pending else None, breaker=breaker.state)
        elif name in ("approve", "reject"):
            await self._decide(name, arg)
        else:
            self.emit(Error(code="usage", message=f"unknown command /{name}. {HELP}"))
        self.emit(Done(conversation_id=str(conv_id)))
        return True

    async def _decide(self, name: str, arg: str) -> None:
        assert self.conversation is not None
        pending = await self.runtime.conversations.get_pending_plan(self.conversation.id)
        plan_id = pending.id if pending else self.plan_id if name == "approve" and arg else None
        if plan_id is None:
            self.emit(Error(code="no_plan", message="no plan is waiting for approval"))
            return
        if name == "reject":
            await self.runtime.orchestrator.reject_plan(self.user_id, plan_id, language="en")
            self._info("plan rejected", plan_id=str(plan_id))
            return
        step = None
        if arg:
            if not arg.isdigit():
                self.emit(Error(code="usage", message="usage: /approve [step number]"))
                return
            step = int(arg) - 1
        async for event in self.runtime.orchestrator.execute_plan(self.user_id, plan_id, step_index=step):
            if not isinstance(event, Done):
                self.emit(event)
            if isinstance(event, Text) and not self.as_json:
                self.out.write("\n")

    def _info(self, message: str, **fields: Any) -> None:
        self.emit({"type": "info", "message": message, **fields})


async def run_terminal_chat(runtime: Runtime, user_name: str, *, as_json: bool) -> int:
    user = await runtime.users.get_by_name(user_name)
    if user is not None and user.disabled_at is not None:
        print(f"error: user {user_name!r} is disabled (`agent-brain users enable {user_name}`)", file=sys.stderr)
        return 1
    if user is None:
        print(f"error: no user named {user_name!r} (run `agent-brain demo-seed` or `agent-brain users create`)",
              file=sys.stderr)
        return 1
    # Undecodable input (a paste cut mid-character, a non-UTF-8 terminal) must not end the chat:
    # it arrives as U+FFFD and the orchestrator cleans what is left.
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    chat = TerminalChat(runtime, user.id, as_json=as_json)
    await chat.new_conversation()
    if not as_json:
        model = "offline model (a deterministic intent parser, not an LLM)" if runtime.settings.uses_offline_model \
            else runtime.settings.chat_assistant_model
        print(f"agent-brain · user {user.name} · {model} · mode plan\n{HELP}")
    loop = asyncio.get_running_loop()
    while True:
        if not as_json:
            print("> ", end="", flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if not await chat.handle_line(line):
            break
    return 0

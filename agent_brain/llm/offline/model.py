"""`OfflineModel`: the `ChatModel` used when no LLM is configured.

It is a deterministic Russian/English intent parser, not a language model, and says so when
asked. By `request.hints.purpose`:

- agent: the last user message → tool calls (ids "call_N"), or a question / help text; once the
  tool results of those calls are in the conversation → the reply written from them.
- classify: {"domain": …, "agents": […]} from the tools the message asks for.
- synthesize: several agents' answers → one answer with a section per agent.
- summarize: an extractive summary (≤ 800 characters) in the conversation's language.
- repair: corrected tool arguments as a JSON object, or {}.

Text is streamed as several deltas (about a sentence or ~30 characters each), then one TurnDone
with token usage counted like an LLM's (prompt = messages, completion = output).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from agent_brain.llm.base import (
    Choice,
    ModelEvent,
    ModelRequest,
    ModelTurn,
    TextDelta,
    ToolCall,
    TurnDone,
    Usage,
)
from agent_brain.llm.offline import clarify, compose, lexicon
from agent_brain.llm.offline.clause import Parse, last_user_index, message_text, tool_names
from agent_brain.llm.offline.parser import domains_of, parse
from agent_brain.llm.offline.repair import repair
from agent_brain.llm.offline.resolve import call_ids, load
from agent_brain.llm.offline.text import detect_language
from agent_brain.llm.offline.writer import CallResult, render_reply
from agent_brain.money import decimals
from agent_brain.tokens import count_message_tokens, count_tokens

CHUNK = 32


def chunks(text: str, size: int = CHUNK) -> list[str]:
    """Pieces of the text (sentences, long ones cut at spaces) that join back to exactly the text."""
    sentences, start = [], 0
    for m in re.finditer(r"(?<=[.!?])\s+|\n+", text):  # "$25.40" is not a sentence end
        sentences.append(text[start:m.end()])
        start = m.end()
    sentences.append(text[start:])
    out: list[str] = []
    for sentence in sentences:
        while len(sentence) > size * 1.5:
            cut = sentence.rfind(" ", 0, size + 1)
            cut = cut + 1 if cut > 0 else size
            out.append(sentence[:cut])
            sentence = sentence[cut:]
        if sentence:
            out.append(sentence)
    return out


class OfflineModel:
    """Deterministic RU/EN intent parser behind the ChatModel interface (never claims to be an LLM)."""

    name = "offline"
    is_llm = False

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        purpose = request.hints.purpose
        calls: tuple[ToolCall, ...] = ()
        options: tuple[Choice, ...] = ()
        focus: dict[str, Any] | None = None
        if purpose == "classify":
            text = await self._classify(request)
        elif purpose == "synthesize":
            lang = detect_language(compose.question_of(request.messages), request.hints.language)
            text = compose.synthesize(request.messages, lang)
        elif purpose == "summarize":
            text = await compose.summarize(request.messages, request.hints)
        elif purpose == "repair":
            last = last_user_index(request.messages)
            source = message_text(request.messages[last]) if last is not None else ""
            text = json.dumps(repair(source, request.hints.today), ensure_ascii=False)
        else:
            text, calls, question = await self._agent(request)
            if question is not None:  # kept in the focus: the answer is read against it next turn
                focus = {"clarify": question}
                options = clarify.choices(clarify.candidates_of(question), str(question.get("language") or "ru"),
                                          request.hints.currency)
        for piece in chunks(text):
            yield TextDelta(piece)
        prompt = sum(count_message_tokens(m) for m in request.messages)
        completion = count_tokens(text) + sum(count_tokens(c.name) + count_tokens(c.arguments) for c in calls)
        yield TurnDone(ModelTurn(content=text or None, tool_calls=calls, usage=Usage(prompt, completion),
                                 model=self.name, choices=options, focus=focus))

    # ── purposes ────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def _user_text(request: ModelRequest) -> str:
        last = last_user_index(request.messages)
        return message_text(request.messages[last]) if last is not None else ""

    async def _classify(self, request: ModelRequest) -> str:
        result = await parse(self._user_text(request), request.hints, tools=None, history=request.messages)
        if not (result.concepts | result.kinds) and not result.refusals:
            # Nothing of its own ("а за вчера?"): the caller's context decides, not a default guess.
            return json.dumps({"domain": None, "agents": []})
        allowed = list(request.hints.domains) or list(lexicon.DOMAINS)
        agents = [d for d in domains_of(result) if d in allowed] or allowed[:1]
        return json.dumps({"domain": agents[0] if len(agents) == 1 else "mixed", "agents": agents})

    async def _agent(self, request: ModelRequest) -> tuple[str, tuple[ToolCall, ...], dict[str, Any] | None]:
        """(text, tool calls, the open question to remember)."""
        messages = request.messages
        last = last_user_index(messages)
        user_text = message_text(messages[last]) if last is not None else ""
        # No tools in the request: nothing may be called (None means "all" only to the classifier).
        result = await parse(user_text, request.hints, tools=request.tools or [], history=messages)
        after = messages[last + 1:] if last is not None else []
        if any(m.get("role") == "tool" for m in after):
            entities = await load(request.hints.resolver, texts=[user_text], ids=call_ids(after))
            names = {e.id: e.name for items in entities.values() for e in items}
            return self._reply(after, result, request, names), (), None
        if result.intents:
            offset = sum(len(m.get("tool_calls") or []) for m in messages)
            return "", tuple(ToolCall.make(f"call_{offset + i}", intent.tool,
                                           in_account_units(intent.args, request.hints.currency),
                                           grounded_in_user_text=True)
                             for i, intent in enumerate(result.intents, 1)), None
        if result.refusals or result.questions:
            return "\n".join(result.refusals + result.questions), (), result.clarify
        agent = request.hints.agent or _agent_of(request.tools)
        if result.considered and agent in lexicon.AGENT_TITLES:
            return self._not_mine(agent, result), (), None  # understood, but another agent's job
        return self._help(request, result), (), None

    def _reply(self, after: Sequence[dict[str, Any]], result: Parse, request: ModelRequest,
               names: dict[str, str]) -> str:
        """The answer to this turn's tool results (only tool results after the last user message)."""
        calls: dict[str, tuple[str, dict[str, Any]]] = {}
        for m in after:
            for call in m.get("tool_calls") or []:
                fn = call.get("function", call)
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except (TypeError, ValueError):
                    args = {}
                calls[str(call.get("id"))] = (str(fn.get("name")), args if isinstance(args, dict) else {})
        results = []
        for m in after:
            if m.get("role") != "tool":
                continue
            name, args = calls.get(str(m.get("tool_call_id")), (str(m.get("name") or "tool"), {}))
            content: Any = m.get("content")
            if isinstance(content, str):
                with contextlib.suppress(ValueError):
                    content = json.loads(content)
            results.append(CallResult(name, args, content))
        return render_reply(results, lang=result.language, currency=request.hints.currency,
                            intents=result.intents, questions=result.refusals + result.questions, names=names)

    @staticmethod
    def _not_mine(agent: str, result: Parse) -> str:
        lang = result.language
        mine = lexicon.AGENT_TITLES[agent][lang]
        others = [lexicon.AGENT_TITLES[d][lang] for d in domains_of(result) if d != agent]
        if lang == "ru":
            return f"Это не по разделу «{mine}»" + (f" — это к разделу «{others[0]}»." if others else ".")
        return f"This is not for “{mine}”" + (f" — it is for “{others[0]}”." if others else ".")

    def _help(self, request: ModelRequest, result: Parse) -> str:
        lang = result.language
        if result.asks_identity:
            return ("Я работаю в офлайн-режиме: это не языковая модель, а детерминированный разбор команд на русском "
                    "и английском по ключевым словам и названиям ваших кампаний, направлений, креативов и лидов. "
                    "Я вызываю те же инструменты и отвечаю по их данным." if lang == "ru" else
                    "I'm running in offline mode: not a language model but a deterministic parser of Russian and "
                    "English commands, keyed on words and the names of your campaigns, directions, creatives and "
                    "leads. I call the same tools and answer from their data.")
        agent = request.hints.agent or _agent_of(request.tools)
        domains = [agent] if agent in lexicon.HELP else list(lexicon.DOMAINS)
        intro = ("" if result.wants_help else
                 ("Не понял запрос — что именно нужно? " if lang == "ru" else
                  "I didn't understand that — what exactly do you need? "))
        title = " / ".join(lexicon.AGENT_TITLES[d][lang] for d in domains)
        head = (f"{intro}Я — офлайн-помощник (без LLM) по разделу «{title}». Например, можно написать:"
                if lang == "ru" else
                f"{intro}I'm the offline assistant (no LLM) for “{title}”. For example, you can write:")
        examples = [e for d in domains for e in lexicon.HELP[d][lang][: 5 if len(domains) == 1 else 2]]
        return head + "\n" + "\n".join(f"• {e}" for e in examples)


def in_account_units(args: dict[str, Any], currency: str) -> dict[str, Any]:
    """Amounts are read as major units × 100; in a currency without minor units (JPY, KRW…) the account
    counts whole units, so «бюджет 5000» is 5000, not 500000."""
    if decimals(currency) == 2:
        return args
    return {k: v // 100 if k.endswith("Cents") and isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in args.items()}


def _agent_of(tools: list[dict[str, Any]] | None) -> str | None:
    names = tool_names(tools)
    counts: dict[str, int] = {}
    for name in names:
        if name in lexicon.TOOLS:
            domain = lexicon.TOOLS[name].domain
            counts[domain] = counts.get(domain, 0) + 1
    if tools is None or not counts:
        return None
    return max(sorted(counts), key=lambda d: counts[d])

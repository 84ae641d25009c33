"""Texts about texts: combining several agents' answers (synthesize) and an extractive summary of
a conversation (summarize)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from agent_brain.llm.base import TurnHints
from agent_brain.llm.offline.clause import message_text
from agent_brain.llm.offline.lexicon import AGENT_TITLES, TOOLS
from agent_brain.llm.offline.resolve import call_ids, find_mentions, load
from agent_brain.llm.offline.text import clip, detect_language, normalise

SUMMARY_LIMIT = 800

# ── synthesize ────────────────────────────────────────────────────────────────────────────────

# "[Реклама и направления]\n<answer>" blocks, as the orchestrator joins its agents' answers.
_SECTION = re.compile(r"^\[([^\]\n]{1,80})\]\s*$", re.MULTILINE)


def answers_of(messages: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(title, answer) pairs from the request: "[Title]" sections of the last user message, else the
    assistant messages (titled by their `name`)."""
    users = [m for m in messages if m.get("role") == "user"]
    text = message_text(users[-1]) if users else ""
    if "Answers:" in text:
        text = text.split("Answers:", 1)[1]
    found = list(_SECTION.finditer(text))
    if found:
        out = []
        for i, m in enumerate(found):
            end = found[i + 1].start() if i + 1 < len(found) else len(text)
            body = text[m.end():end].strip()
            if body:
                out.append((m.group(1).strip(), body))
        return out
    titled = []
    for m in messages:
        if m.get("role") == "assistant" and message_text(m).strip():
            name = str(m.get("name") or "")
            titled.append((_agent_title(name), message_text(m).strip()))
    return titled


def _agent_title(name: str, lang: str = "ru") -> str:
    titles = AGENT_TITLES.get(name)
    return titles[lang] if titles else name


def _letters(text: str) -> str:
    return "".join(ch for ch in normalise(text) if ch.isalpha())


def _localised(title: str, lang: str) -> str:
    """An agent's title in the reply's language ("Лиды и воронка" → "Leads and funnel")."""
    for titles in AGENT_TITLES.values():
        if _letters(title) in (_letters(titles["ru"]), _letters(titles["en"])):
            return titles[lang]
    return title


# Answers that say "nothing for me here" (the offline model's help and hand-over texts).
_NOTHING_HERE = ("офлайн-помощник (без LLM)", "offline assistant (no LLM)", "не по разделу", "not for “")


def synthesize(messages: Sequence[dict[str, Any]], lang: str) -> str:
    """One answer with a headed section per agent; a line already said above is not repeated, and an
    agent that had nothing to say is left out when another one did."""
    answers = answers_of(messages)
    if not answers:
        return "Нет ответов для объединения." if lang == "ru" else "There are no answers to combine."
    useful = [(t, b) for t, b in answers if not any(marker in b for marker in _NOTHING_HERE)]
    answers = useful or answers[:1]
    if len(answers) == 1:
        return answers[0][1]
    seen: set[str] = set()
    sections = []
    for title, body in answers:
        kept = []
        for line in body.splitlines():
            key = normalise(" ".join(line.split())).strip(" .")
            if key and key in seen:
                continue
            if key:
                seen.add(key)
            kept.append(line)
        text = "\n".join(kept).strip()
        if text:
            sections.append(f"{_localised(title, lang)}:\n{text}" if title else text)
    return "\n\n".join(sections)


def question_of(messages: Sequence[dict[str, Any]]) -> str:
    """The user's question inside a synthesis request ("Question: … Answers: …")."""
    users = [m for m in messages if m.get("role") == "user"]
    text = message_text(users[-1]) if users else ""
    m = re.search(r"Question:\s*(.*?)(?:\n\s*Answers:|$)", text, re.S)
    return m.group(1) if m else text


# ── summarize ─────────────────────────────────────────────────────────────────────────────────


def _json(text: Any) -> Any:
    if isinstance(text, dict | list):
        return text
    try:
        return json.loads(text or "")
    except (TypeError, ValueError):
        return None


def _names_in_result(data: Any) -> list[str]:
    """Names of the objects a tool result is about (the target, the item, a dialog…), not whole lists."""
    if not isinstance(data, dict):
        return []
    names = []
    for key in ("target", "item", "dialog", "creative", "direction", "campaign"):
        value = data.get(key)
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            names.append(value["name"])
    return names


async def summarize(messages: Sequence[dict[str, Any]], hints: TurnHints) -> str:
    """Extractive: what was discussed (objects), what was done (writes, plans), what was asked last."""
    dialog = [m for m in messages if m.get("role") in ("user", "assistant", "tool")]
    user_texts = [message_text(m) for m in dialog if m.get("role") == "user"]
    lang = detect_language(" ".join(user_texts), hints.language) if user_texts else hints.language
    ru = lang == "ru"
    entities = await load(hints.resolver, texts=user_texts, ids=call_ids(dialog))
    by_id = {e.id: e.name for items in entities.values() for e in items}

    names: list[str] = []
    for text in user_texts:
        for mention in find_mentions(normalise(text), entities):
            if mention.entity:
                names.append(mention.entity.name)
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    reads: list[str] = []
    done: list[str] = []
    plans: list[str] = []
    for m in dialog:
        for call in m.get("tool_calls") or []:
            fn = call.get("function", call)
            args = _json(fn.get("arguments")) or {}
            calls[str(call.get("id"))] = (str(fn.get("name")), args if isinstance(args, dict) else {})
            for value in (args.values() if isinstance(args, dict) else []):
                if isinstance(value, str) and value in by_id:
                    names.append(by_id[value])
        if m.get("role") != "tool":
            continue
        name, args = calls.get(str(m.get("tool_call_id")), (str(m.get("name") or "?"), {}))
        data = _json(m.get("content"))
        names += _names_in_result(data)
        target = next(iter(_names_in_result(data)), None) or next(
            (by_id[v] for v in args.values() if isinstance(v, str) and v in by_id), None)
        label = f"{name} «{target}»" if target else name
        if isinstance(data, dict) and data.get("approval_required"):
            summary = (data.get("plan") or {}).get("summary") or label
            plans.append(clip(str(summary), 120))
        elif name in TOOLS and TOOLS[name].write:
            ok = isinstance(data, dict) and data.get("success") is not False
            done.append(f"{label} — {'выполнено' if ru else 'done'}" if ok else
                        f"{label} — {'ошибка' if ru else 'failed'}")
        elif name not in reads:
            reads.append(name)

    parts = []
    unique_names = list(dict.fromkeys(names))
    if unique_names:
        parts.append(("Обсуждали: " if ru else "Discussed: ") + ", ".join(f"«{n}»" for n in unique_names[:8]) + ".")
    if reads:
        parts.append(("Смотрели: " if ru else "Looked at: ") + ", ".join(reads[:8]) + ".")
    if done:
        parts.append(("Действия: " if ru else "Actions: ") + "; ".join(done[:5]) + ".")
    if plans:
        parts.append(("Ждут подтверждения: " if ru else "Awaiting approval: ") + "; ".join(plans[:3]) + ".")
    if user_texts:
        parts.append(("Последний запрос: " if ru else "Last request: ") + f"«{clip(user_texts[-1], 160)}».")
    text = " ".join(parts) or ("Разговор пока пуст." if ru else "The conversation is empty so far.")
    return clip(text, SUMMARY_LIMIT)

"""Memory commands typed in the chat, handled before any agent in every mode (ask, plan, auto).

    «Запомни: …», «запомни, что …», "Remember: …", "remember that …"       → remember
    «Забудь: …», «Забудь про …», "Forget: …", "forget about …"              → forget
    «Что ты помнишь?», «покажи заметки», "What do you remember?", "show my notes" → list

Parsing is deliberately strict — a command starts the message and the verb is followed by a
separator (":", "—", "что"/"that", "про"/"about") — so ordinary sentences are left to the
agents: «запомни меня», "remember when we launched…", "forget it", «забудь об этом» and
questions ("remember that campaign?") are not commands.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from agent_brain.memory.notes import MAX_NOTE_CHARS, MIN_QUERY_CHARS, NOTE_DOMAINS, NotesStore, normalize_text

MemoryKind = Literal["remember", "forget", "list"]
USER_NOTE_IMPORTANCE = 0.9  # above every auto-captured note: what the user said outranks what we noticed

_POLITE = r"(?:(?:пожалуйста|please)[\s,]+)?"
_POLITE_AFTER = r"(?:[\s,]+(?:пожалуйста|please))?"
_REMEMBER = re.compile(
    rf"^\s*{_POLITE}(?:запомни(?:те)?|remember){_POLITE_AFTER}\s*(?:[:—–-]|,?\s*(?:что|that)\s)\s*(?P<body>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_FORGET = re.compile(
    rf"^\s*{_POLITE}(?:забудь(?:те)?|forget){_POLITE_AFTER}\s*"
    # «забудь всё» has no separator but is a (refused) command, not small talk.
    r"(?:[:—–-]|,?\s*(?:про|о|об|что|about|that)\s|\s(?=(?:всё|все|everything|all)\b))\s*(?P<body>.*)$",
    re.IGNORECASE | re.DOTALL,
)
# Matched against the normalised message (lower case, no punctuation).
_LIST = re.compile(
    r"^(?:(?:а|и|so|and) )?(?:"
    r"что (?:ты )?(?:помнишь|запомнил|запомнила)(?: обо мне| про меня)?"
    r"|покажи (?:мне )?(?:мои |все )?заметки|мои заметки|список заметок"
    r"|what do you remember(?: about me)?|what have you remembered"
    r"|show (?:me )?(?:my |all )?notes|list (?:my |all )?notes|my notes"
    r")$"
)
# «забудь об этом», "forget about it": conversational, not a request to delete notes.
_PRONOUNS = frozenset({"it", "this", "that", "это", "этом", "том", "то", "него", "нее", "неё"})
_FORGET_EVERYTHING = frozenset({"все", "всё", "всех", "everything", "all", "all notes", "все заметки"})
_QUOTES = "«»\"'“”„ "

# Word starts → domain. Ties go to the more specific domain (creative, whatsapp) before ads/crm.
_DOMAIN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "creative": ("креатив", "creative", "видео", "video", "баннер", "banner", "хук", "hook"),
    "whatsapp": ("диалог", "whatsapp", "ватсап", "вотсап", "переписк", "dialog", "chat", "возражен", "objection"),
    "ads": ("кампани", "бюджет", "cpl", "cpm", "ctr", "ставк", "реклам", "таргет", "направлени",
            "campaign", "budget", "adset", "ad set", "bid", "direction"),
    "crm": ("лид", "воронк", "crm", "сделк", "продаж", "этап", "lead", "funnel", "deal", "pipeline", "sales"),
}
_DOMAIN_PATTERNS = {
    domain: re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keys) + ")", re.IGNORECASE)
    for domain, keys in _DOMAIN_KEYWORDS.items()
}
DOMAIN_LABELS = {
    "ads": ("Реклама", "Ads"),
    "creative": ("Креативы", "Creatives"),
    "crm": ("CRM и лиды", "CRM & leads"),
    "whatsapp": ("WhatsApp", "WhatsApp"),
    "general": ("Общее", "General"),
}


@dataclass(frozen=True)
class MemoryCommand:
    """A parsed command: `text` is the note to remember or the forget query ("" when missing)."""

    kind: MemoryKind
    text: str = ""
    domain: str | None = None  # remember only


def infer_domain(text: str) -> str:
    """The domain a user's note belongs to, by keywords; "general" when none match."""
    scores = {domain: len(pattern.findall(text)) for domain, pattern in _DOMAIN_PATTERNS.items()}
    best = max(scores.values())
    # dict order is the tie-break order.
    return next(domain for domain, score in scores.items() if score == best) if best else "general"


def parse_memory_command(text: str) -> MemoryCommand | None:
    """The memory command in a chat message, or None when the message is not one."""
    if not text or not text.strip():
        return None
    if _LIST.match(normalize_text(text)):
        return MemoryCommand("list")
    for kind, pattern in (("remember", _REMEMBER), ("forget", _FORGET)):
        match = pattern.match(text)
        if match is None:
            continue
        body = match["body"].strip().strip(_QUOTES).strip()
        if body.endswith("?"):  # "remember that campaign?" asks, it does not command
            return None
        if kind == "forget":
            body = re.sub(r"^(?:том|то),?\s*что\s+", "", body, flags=re.IGNORECASE)
            if normalize_text(body) in _PRONOUNS:
                return None
            return MemoryCommand("forget", body)
        return MemoryCommand("remember", body, infer_domain(body) if body else None)
    return None


def _say(en: bool, ru: str, english: str) -> str:
    return english if en else ru


async def handle_memory_command(
    cmd: MemoryCommand, notes: NotesStore, user_id: uuid.UUID, ad_account_id: uuid.UUID | None, language: str
) -> str:
    """Carry out a memory command and return the reply, in the user's language ("en…" or Russian)."""
    en = language.lower().startswith("en")
    if cmd.kind == "remember":
        return await _remember(cmd, notes, user_id, ad_account_id, en)
    if cmd.kind == "forget":
        return await _forget(cmd.text, notes, user_id, ad_account_id, en)
    return await _list(notes, user_id, ad_account_id, en)


async def _remember(
    cmd: MemoryCommand, notes: NotesStore, user_id: uuid.UUID, ad_account_id: uuid.UUID | None, en: bool
) -> str:
    text = " ".join(cmd.text.split())
    if not normalize_text(text):
        return _say(en, "Что запомнить? Например: «Запомни: целевой CPL — $25».",
                    "What should I remember? For example: “Remember: our target CPL is $25”.")
    if len(text) > MAX_NOTE_CHARS:
        return _say(en, f"Слишком длинная заметка ({len(text)} символов, максимум {MAX_NOTE_CHARS}). "
                        "Сформулируйте короче.",
                    f"That note is too long ({len(text)} characters, at most {MAX_NOTE_CHARS}). "
                    "Please shorten it.")
    domain = cmd.domain or infer_domain(text)
    note = await notes.add(user_id, ad_account_id, domain, text, importance=USER_NOTE_IMPORTANCE, source="user")
    label = DOMAIN_LABELS[domain][en]
    if note.evicted:  # only when the domain is full of notes the user marked as important
        return _say(en, f"Не смог запомнить: раздел «{label}» заполнен. Удалите что-нибудь: «Забудь: …».",
                    f"I couldn't keep that: the “{label}” section is full. Remove something with “Forget: …”.")
    return _say(en, f"Запомнил ({label}): «{note.text}»", f"Noted ({label}): “{note.text}”")


async def _forget(query: str, notes: NotesStore, user_id: uuid.UUID, ad_account_id: uuid.UUID | None,
                  en: bool) -> str:
    needle = normalize_text(query)
    if needle in _FORGET_EVERYTHING:
        # Deleting everything by one word is too easy to do by accident: ask for specifics.
        return _say(en, "Я удаляю заметки только по совпадению текста. Напишите, что именно забыть: «Забудь: …».",
                    "I only delete notes that match some text. Tell me what to forget: “Forget: …”.")
    if len(needle) < MIN_QUERY_CHARS:
        return _say(en, "Что забыть? Например: «Забудь: целевой CPL».",
                    "What should I forget? For example: “Forget: target CPL”.")
    deleted = await notes.forget(user_id, ad_account_id, query)
    if not deleted:
        return _say(en, f"Не нашёл заметок по запросу «{query}». Посмотреть все: «Что ты помнишь?»",
                    f"Nothing matched “{query}”. To see everything: “What do you remember?”")
    lines = "\n".join(f"- {n.text}" for n in deleted)
    return _say(en, f"Забыл ({len(deleted)}):\n{lines}", f"Forgotten ({len(deleted)}):\n{lines}")


async def _list(notes: NotesStore, user_id: uuid.UUID, ad_account_id: uuid.UUID | None, en: bool) -> str:
    records = await notes.list(user_id, ad_account_id)
    if not records:
        return _say(en, "Пока ничего не помню. Чтобы сохранить заметку, напишите «Запомни: …».",
                    "I don't remember anything yet. To save a note, write “Remember: …”.")
    parts = [_say(en, "Вот что я помню:", "Here is what I remember:")]
    number = 0
    for domain in NOTE_DOMAINS:
        group = [n for n in records if n.domain == domain]
        if not group:
            continue
        lines = []
        for note in group:
            number += 1
            lines.append(f"{number}. {note.text}")
        parts.append(f"{DOMAIN_LABELS[domain][en]}:\n" + "\n".join(lines))
    return "\n\n".join(parts)

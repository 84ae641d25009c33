"""Telegram HTML: escaping, light formatting of model text, and splitting at Telegram's limits.

Messages are sent with parse_mode=HTML. Model and tool text is escaped (only `<`, `>` and `&`
matter to Telegram), then `**bold**` becomes `<b>`. Each line is rendered on its own, so a
message split between lines never cuts a tag in half.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

TEXT_LIMIT = 4096  # sendMessage / editMessageText, after entity parsing
CAPTION_LIMIT = 1024  # sendPhoto caption

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units). Measured on the HTML source, which is never
    shorter than the parsed text, so a part that fits here fits in Telegram."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def format_line(plain: str) -> str:
    """One line of model text as Telegram HTML."""
    return _BOLD.sub(r"<b>\1</b>", escape(plain))


def text_lines(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Model text as HTML lines, each within `limit` (an over-long line is cut into pieces)."""
    lines: list[str] = []
    for plain in text.split("\n"):
        rendered = format_line(plain)
        if tg_len(rendered) <= limit:
            lines.append(rendered)
            continue
        rest = plain
        while rest:
            size = min(len(rest), limit)
            # Escaping can lengthen a piece (& → &amp;): shrink until the rendered piece fits.
            while tg_len(format_line(rest[:size])) > limit:
                size = max(1, size * 9 // 10)
            lines.append(format_line(rest[:size]))
            rest = rest[size:]
    return lines


def pack(lines: Iterable[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Join HTML lines into as few messages as possible, splitting only between lines.

    Blank lines at a split are dropped; a part is never empty (Telegram rejects empty text).
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = tg_len(line) + (1 if current else 0)
        if current and size + extra > limit:
            parts.append("\n".join(current))
            current, size = [], 0
            extra = tg_len(line)
        if not current and not line.strip():
            continue
        current.append(line)
        size += extra
    if current:
        parts.append("\n".join(current))
    return [p.strip("\n") for p in parts if p.strip()]


def truncate_lines(text: str, limit: int) -> str:
    """Plain `text` cut at a line boundary to fit `limit` once rendered (used for captions)."""
    out: list[str] = []
    for line in text_lines(text, limit):
        if tg_len("\n".join([*out, line, "…"])) > limit:
            out.append("…")
            break
        out.append(line)
    return "\n".join(out)

"""Telegram HTML: Markdown from the model, escaping, and splitting at Telegram's limits.

Model text is Markdown. `telegramify-markdown` parses it (CommonMark + tables, pulldown-cmark)
into plain text + Telegram entities; tables come out as aligned columns in a `pre` entity; its
`split_entities` cuts at line boundaries and clips entities into both parts, so no part carries a
broken entity; aiogram's `html_decoration` turns each part back into the HTML our sends use (every
character escaped). Before parsing, links, raw HTML and character references are escaped: a reply
quotes outsiders' text (lead names from the CRM, WhatsApp messages, ad names) and the parser can't
tell the model's words from a quoted `[Срочно: подтвердите оплату](https://evil.example/login)`, so,
as on the web page, nothing becomes a link or a tag — it shows literally.

The plain helpers (`escape`, `text_lines`, `pack`) serve the bot's own fixed texts and cards.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from aiogram.types import MessageEntity as TgEntity
from aiogram.utils.text_decorations import html_decoration
from telegramify_markdown import MessageEntity, convert, split_entities, utf16_len

TEXT_LIMIT = 4096  # sendMessage / editMessageText, after entity parsing
CAPTION_LIMIT = 1024  # sendPhoto caption

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
# Code keeps its characters verbatim (a backslash there would show): fenced blocks, then spans.
_CODE = re.compile(r"(```[\s\S]*?```|~~~[\s\S]*?~~~|`[^`\n]+`)")
_LITERAL = re.compile(r"([\[\]<&])")

Block = tuple[str, list[MessageEntity]]


def _literal(markdown: str) -> str:
    """Markdown with link brackets, `<` (raw HTML, autolinks) and `&` (references) made literal."""
    pieces = _CODE.split(markdown)
    return "".join(piece if i % 2 else _LITERAL.sub(r"\\\1", piece) for i, piece in enumerate(pieces))


def markdown_block(markdown: str) -> Block:
    """Model Markdown as Telegram text + entities (offsets in UTF-16 units)."""
    text, entities = convert(_literal(markdown.replace("\r\n", "\n")), latex_escape=False)
    return text.strip("\n"), [e for e in entities if e.type != "text_link"]


def plain_block(text: str) -> Block:
    return text, []


def join_blocks(blocks: Iterable[Block], separator: str = "\n") -> Block:
    """Blocks one after another, entities shifted to their place."""
    text, entities, offset = [], [], 0
    for body, spans in blocks:
        if not body:
            continue
        if text:
            text.append(separator)
            offset += utf16_len(separator)
        text.append(body)
        entities.extend(e.copy_with(offset=e.offset + offset) for e in spans)
        offset += utf16_len(body)
    return "".join(text), entities


def to_html(text: str, entities: Sequence[MessageEntity]) -> str:
    return html_decoration.unparse(text, [TgEntity(**e.to_dict()) for e in entities])


def _trim(text: str, entities: list[MessageEntity]) -> Block:
    """A part without the line breaks it was split at; entities clipped to what is left."""
    lead = len(text) - len(text.lstrip("\n"))
    body = text.strip("\n")
    end = utf16_len(body)
    kept = []
    for e in entities:
        start, stop = max(e.offset - lead, 0), min(e.offset - lead + e.length, end)
        if stop > start:
            kept.append(e.copy_with(offset=start, length=stop - start))
    return body, kept


def html_parts(block: Block, limit: int = TEXT_LIMIT) -> list[str]:
    """A block as HTML messages within `limit` visible characters each, split between lines."""
    parts = (_trim(text, spans) for text, spans in split_entities(block[0], block[1], limit))
    return [to_html(text, spans) for text, spans in parts if text.strip()]


def markdown_html(markdown: str, limit: int = TEXT_LIMIT) -> list[str]:
    return html_parts(markdown_block(markdown), limit)


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

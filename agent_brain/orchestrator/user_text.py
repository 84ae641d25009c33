"""What a transport hands over as the user's text, made safe to store and parse.

Terminals with a non-UTF-8 locale, truncated pastes and hand-built JSON (`"\\ud800"`) produce lone
surrogates, which PostgreSQL cannot store; control characters other than line breaks and tabs have
no business in a chat message. Both become visible replacements instead of failing the turn.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_user_text(text: str) -> str:
    """The text with undecodable pieces as U+FFFD, stray control characters removed, ends stripped."""
    try:  # Python's surrogateescape keeps undecodable bytes as U+DC80–U+DCFF: turn them back into bytes
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # other lone surrogates (e.g. "\ud800" from JSON)
        data = text.encode("utf-8", "surrogatepass")
    return _CONTROL.sub("", data.decode("utf-8", "replace")).strip()

"""Keeping access tokens out of logs, exception text and reprs.

Two layers: `redact_text` strips credential-looking query/form parameters by name, and registered
secrets (the actual token strings) are replaced wherever they occur, whatever the surrounding
format (JSON, a header, a message from Meta echoing it back).
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[REDACTED]"

# Graph credentials that can travel as parameters: the token itself, the HMAC proof derived from
# it, app secrets and the short-lived token handed over during an exchange.
_SECRET_PARAMS = ("access_token", "appsecret_proof", "client_secret", "fb_exchange_token", "input_token")
_NAMES = "|".join(_SECRET_PARAMS)
# `name=value` (also URL-encoded `name%3Dvalue`) and JSON/dict-repr `"name": "value"`.
_PARAM_RE = re.compile(
    rf"(?P<key>(?:{_NAMES})(?:=|%3D|\"\s*:\s*\"|'\s*:\s*'))(?P<value>[^&\s\"',;)\]}}]+)",
    re.IGNORECASE,
)

# Shorter strings would turn ordinary words into "[REDACTED]" if someone registered them by mistake.
_MIN_SECRET_LENGTH = 8

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(secret: str) -> None:
    """Remember `secret` so that every later `redact_text` call removes it wherever it appears."""
    if len(secret) < _MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        _secrets.add(secret)


def redact_text(text: str) -> str:
    """Return `text` with credential parameters and registered secrets replaced by `[REDACTED]`."""
    text = _PARAM_RE.sub(lambda m: m.group("key") + REDACTED, text)
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, exception text and stack so that no secret survives.

    Attach it to the loggers that may see a token (see `install_log_redaction`), or to the
    application's handlers to cover every logger at once. The record is formatted here, so
    `args` is dropped once the message had to change.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it for logging's own error reporting
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


# A logger's own filters run only for records created on that exact logger (not its children),
# so every logger that can see a Graph URL is listed; httpx logs each request URL at INFO.
GRAPH_LOGGERS = (
    "agent_brain.platforms.graph.client",
    "agent_brain.platforms.graph.retry",
    "agent_brain.platforms.graph.breaker",
    "httpx",
)


def install_log_redaction(logger_names: tuple[str, ...] = GRAPH_LOGGERS) -> None:
    """Attach one `RedactingFilter` to each named logger (idempotent)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())

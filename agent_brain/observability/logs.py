"""Logs: plain text or one JSON object per line (`LOG_FORMAT=json`), each record carrying the id of
the turn (or plan run, job, webhook delivery) it belongs to, and never a secret.

The id lives in a context variable set where the work starts (`turn_scope`); asyncio copies context
into the tasks a turn spawns, so the model rounds, tool calls and platform calls it causes log the
same id. Every handler gets the redacting filter (registered tokens and credential parameters are
replaced by `[REDACTED]`), whatever logger the record came from.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Literal

from pythonjsonlogger.json import JsonFormatter

from agent_brain.platforms.graph.redact import RedactingFilter

turn_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("turn_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LogFormat = Literal["text", "json"]


def new_turn_id(kind: str = "turn") -> str:
    return f"{kind}-{uuid.uuid4().hex[:16]}"


@contextmanager
def turn_scope(value: str | None = None, *, kind: str = "turn") -> Iterator[str]:
    """Tag every log record in this context (and tasks started from it) with a turn id."""
    current = value or turn_id.get() or new_turn_id(kind)
    token = turn_id.set(current)
    try:
        yield current
    finally:
        turn_id.reset(token)


class TurnIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.turn_id = turn_id.get()
        return True


def formatter(fmt: LogFormat) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(turn_id)s",
                             rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             json_ensure_ascii=False)
    return logging.Formatter(TEXT_FORMAT)


def make_handler(fmt: LogFormat, *, stream: IO[str] | None = None, filename: str | None = None) -> logging.Handler:
    handler: logging.Handler = (logging.FileHandler(filename, encoding="utf-8") if filename
                                else logging.StreamHandler(stream or sys.stderr))
    handler.setFormatter(formatter(fmt))
    handler.addFilter(TurnIdFilter())
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(level: str, fmt: LogFormat = "text", *, filename: str | None = None) -> None:
    """Root logging for a process: one handler (stderr or `filename`) in the chosen format."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_agent_brain", False)]:
        root.removeHandler(old)
    handler = make_handler(fmt, filename=filename)
    handler._agent_brain = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())

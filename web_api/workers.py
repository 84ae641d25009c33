"""The app of one worker process of `agent-brain serve --workers N` (uvicorn imports it by name in each process).

The parent process has already migrated the database and seeded the demo world; each worker opens its own
runtime (engine, platform clients) and runs the web app with its background services. Everything they
share — conversations, leases, plans, the job queue, budget pacing, circuit state, account pauses,
the Telegram polling lock — is in PostgreSQL.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from agent_brain.config import load_settings
from agent_brain.observability.logs import configure_logging
from web_api.app import create_app


def create_worker_app() -> FastAPI:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    for chatty in ("alembic", "procrastinate"):  # as in the single-process `serve`
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return create_app(settings, background=True)

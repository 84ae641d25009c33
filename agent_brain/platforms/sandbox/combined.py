"""All three sandboxes behind one HTTP server (`agent-brain sandbox`): Graph at `/`, TikTok under
`/tiktok` (→ `/tiktok/open_api/v1.3/…`), Google Ads under `/google` (→ `/google/v26/customers/…`)."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.google.sandbox import create_google_sandbox_app
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app


def create_all_sandboxes_app(engine: AsyncEngine, *, google_version: str = "v26") -> FastAPI:
    app = FastAPI(title="agent-brain ad platform sandboxes", docs_url=None, openapi_url=None)
    app.mount("/tiktok", create_tiktok_sandbox_app(engine))
    app.mount("/google", create_google_sandbox_app(engine, version=google_version))
    app.mount("/", create_sandbox_app(engine))
    return app

"""FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from agent_brain.config import Settings
from agent_brain.runtime import Runtime, open_runtime


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the app. Pass `runtime` to share one built elsewhere (tests, the CLI)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        async with open_runtime(settings) as rt:
            app.state.runtime = rt
            yield

    app = FastAPI(title="agent-brain", version="0.1.0", lifespan=lifespan)

    @app.get("/health", tags=["system"])
    async def health(request: Request) -> JSONResponse:
        rt: Runtime = request.app.state.runtime
        db_ok = await rt.database_ok()
        body = {
            "status": "ok" if db_ok else "degraded",
            "database": db_ok,
            "model": "offline" if rt.settings.uses_offline_model else rt.settings.chat_assistant_model,
            "platform": "sandbox" if rt.settings.uses_graph_sandbox else "meta",
            "circuit_breaker": rt.meta.client.breaker.status().state,
        }
        return JSONResponse(body, status_code=200 if db_ok else 503)

    return app

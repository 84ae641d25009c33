"""FastAPI application factory: /health, the /api/brain routes, the web chat page, one error shape."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from agent_brain.config import Settings
from agent_brain.inbound.webhooks import build_webhooks_router
from agent_brain.observability import metrics
from agent_brain.observability.readiness import check_ready
from agent_brain.orchestrator.stop_relay import StopRelay
from agent_brain.platforms.graph.breaker import BreakerStatus, default_registry
from agent_brain.runtime import Runtime, open_runtime
from web_api.errors import ApiError, install_error_handlers
from web_api.routes import api_router
from web_api.routes.auth import page_router
from web_api.routes.inbound import close_dialog_feed
from web_api.security import SecurityHeadersMiddleware, install_access_log_filter
from web_api.streaming import TurnStreams

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings, *, runtime: Runtime | None = None, static_dir: Path = STATIC_DIR,
               background: bool = False) -> FastAPI:
    """Build the app. Pass `runtime` to share one built elsewhere (tests, the CLI); `background=True` also
    runs the process's background services with it (a worker process of `serve --workers N`)."""
    turn_streams = TurnStreams()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.turn_streams = turn_streams
        if runtime is not None:
            app.state.runtime = runtime
            async with _stop_relay(app, runtime):
                try:
                    yield
                finally:
                    await turn_streams.wait_idle()
                    await close_dialog_feed(app)
            return
        async with open_runtime(settings) as rt, contextlib.AsyncExitStack() as services:
            app.state.runtime = rt
            if background:
                from web_api.background import background_services

                await services.enter_async_context(background_services(settings, rt, name=f"serve-{os.getpid()}"))
            await services.enter_async_context(_stop_relay(app, rt))
            try:
                yield
            finally:
                # Plan executions whose clients left finish before the runtime closes.
                await turn_streams.wait_idle()
                await close_dialog_feed(app)

    app = FastAPI(title="agent-brain", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Chat assistant for performance marketers. API clients authenticate with "
                              "`Authorization: Bearer <token>`; the web page with its session cookie.")
    install_error_handlers(app)
    install_access_log_filter()
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.cors_origins:
        # Closed unless configured: the page is served from this origin and needs no CORS.
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Accept", "Accept-Language"])

    @app.get("/health", tags=["system"])
    async def health(request: Request) -> JSONResponse:
        rt: Runtime = request.app.state.runtime
        db_ok = await rt.database_ok()
        await rt.meta.client.throttles.refresh()  # circuits and pauses of other processes (≤ 1 s old)
        breaker = rt.meta.client.breaker.status()
        body = {
            "status": "ok" if db_ok else "degraded",
            "pid": os.getpid(),  # which process answered (`serve --workers N` runs several)
            "database": db_ok,
            "model": "offline" if rt.settings.uses_offline_model else rt.settings.chat_assistant_model,
            "platform": "sandbox" if rt.settings.uses_graph_sandbox else "meta",
            "circuit_breaker": breaker.state,
            "circuit_breaker_retry_in": math.ceil(breaker.seconds_until_retry),
            # Ad accounts Meta is rate-limiting: their calls wait, every other account's run.
            "throttled_accounts": [
                {"account_id": p.account_id, "until": p.until.isoformat(), "retry_in": math.ceil(p.seconds_left),
                 "code": p.code}
                for p in rt.meta.client.throttles.statuses()
            ],
        }
        return JSONResponse(body, status_code=200 if db_ok else 503)

    @app.get("/ready", tags=["system"])
    async def ready(request: Request) -> JSONResponse:
        """Readiness: database, migrations at head, platform breaker ("degraded" while it is open)."""
        rt: Runtime = request.app.state.runtime
        await rt.meta.client.throttles.refresh()  # circuits other processes opened (at most a second old)
        result = await check_ready(rt.engine, _breakers(rt))
        return JSONResponse(result.to_json(), status_code=result.http_status)

    @app.get("/metrics", tags=["system"], include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus exposition; meant for the internal network (no user data, low-cardinality labels)."""
        rt: Runtime = request.app.state.runtime
        await rt.meta.client.throttles.refresh()
        throttles = [(rt.meta.client.breaker.platform, p) for p in rt.meta.client.throttles.statuses()]
        await metrics.collect_state(rt.engine, _breakers(rt), throttles)
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)

    app.include_router(api_router)
    app.include_router(build_webhooks_router())  # Meta's signed WhatsApp / Instagram deliveries
    app.include_router(page_router)
    _mount_docs(app, static_dir)
    if settings.telegram_bot_token is not None and settings.telegram_webhook_secret is not None:
        # Webhook mode (production): Telegram posts updates here; without a secret the bot polls.
        from telegram_bot.webhook import build_webhook_router

        app.include_router(build_webhook_router(settings, runtime=runtime))

    if static_dir.is_dir():
        index = static_dir / "index.html"

        @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
        async def page() -> FileResponse:
            # no-cache: the page changes with the server.
            if not index.is_file():
                raise ApiError(404, "not_found")
            return FileResponse(index, headers={"Cache-Control": "no-cache"})

        @app.get("/favicon.ico", include_in_schema=False)
        async def favicon() -> FileResponse:
            return FileResponse(static_dir / "favicon.svg", media_type="image/svg+xml",
                                headers={"Cache-Control": "max-age=86400"})

        app.mount("/static", StaticFiles(directory=static_dir), name="static")

    return app


@asynccontextmanager
async def _stop_relay(app: FastAPI, rt: Runtime) -> AsyncIterator[None]:
    """Stop requests for turns running in another process of this deployment (`serve --workers N`)."""
    relay = app.state.stop_relay = StopRelay(rt.engine, rt.orchestrator)
    relay.start()
    try:
        yield
    finally:
        await relay.close()


def _breakers(rt: Runtime) -> list[BreakerStatus]:
    """The runtime's platform breaker, and any other one its registry (shared with every process) holds."""
    own = rt.meta.client.breaker.status()
    registry = rt.health.registry if rt.health is not None else default_registry
    return [own, *(s for s in registry.statuses() if s.platform != own.platform)]


def _mount_docs(app: FastAPI, static_dir: Path) -> None:
    """Swagger UI at /docs from the assets of the `swagger-ui-bundle-v2` wheel: works without internet.

    The page is ours rather than FastAPI's, whose inline script the Content-Security-Policy forbids.
    """
    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<title>{app.title} — API</title>'
            '<link rel="icon" href="/favicon.ico">'
            '<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>'
            '<body><div id="swagger-ui" data-openapi-url="' + (app.openapi_url or "/openapi.json") + '"></div>'
            '<script src="/docs/assets/swagger-ui-bundle.js"></script>'
            '<script src="/static/docs.js"></script></body></html>')

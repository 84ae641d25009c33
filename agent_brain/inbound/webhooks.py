"""`/webhooks/whatsapp` and `/webhooks/instagram`: Meta's subscription check and signed deliveries.

GET answers `hub.challenge` when `hub.mode=subscribe` and `hub.verify_token` matches. POST checks
`X-Hub-Signature-256` over the raw body (missing or wrong → 401, nothing stored), then stores the
delivery in the inbox with its processing job in one transaction and answers 200 at once: Meta
retries slow or failed deliveries, so no work happens before the answer.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from agent_brain.inbound import app_secret, inbox, verify_token
from agent_brain.inbound.signature import is_valid

MAX_BODY_BYTES = 1_000_000
PLATFORMS = ("whatsapp", "instagram")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def build_webhooks_router() -> APIRouter:
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])

    async def verify(request: Request, platform: str) -> Response:  # noqa: ARG001 — same shape as deliver
        settings = request.app.state.runtime.settings
        params = request.query_params
        token = params.get("hub.verify_token") or ""
        if params.get("hub.mode") == "subscribe" and secrets.compare_digest(token.encode(),
                                                                           verify_token(settings).encode()):
            return PlainTextResponse(params.get("hub.challenge") or "")
        return _error(403, "forbidden", "verify token does not match")

    async def deliver(request: Request, platform: str) -> Response:
        runtime = request.app.state.runtime
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "too_large", "delivery too large")
        if not is_valid(body, request.headers.get("x-hub-signature-256"), app_secret(runtime.settings)):
            return _error(401, "unauthorized", "missing or wrong X-Hub-Signature-256")
        await inbox.receive(runtime.engine, platform, body)
        return JSONResponse({"received": True})

    def routes(platform: str) -> None:  # a closure per platform: never a parameter a caller could set
        async def get(request: Request) -> Response:
            return await verify(request, platform)

        async def post(request: Request) -> Response:
            return await deliver(request, platform)

        router.add_api_route(f"/{platform}", get, methods=["GET"], include_in_schema=False)
        router.add_api_route(f"/{platform}", post, methods=["POST"], include_in_schema=False)

    for platform in PLATFORMS:
        routes(platform)
    return router

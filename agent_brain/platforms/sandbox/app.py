"""The sandbox as an ASGI app: mounted in-process via httpx.ASGITransport, or served over HTTP.

Served over HTTP (`agent-brain sandbox --port N`) it is a stand-in for graph.facebook.com that
outside Graph clients, such as the official facebook-business SDK, can be pointed at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.platforms.sandbox.emulator import GraphEmulator
from agent_brain.platforms.sandbox.faults import FaultInjector, FaultKind
from agent_brain.platforms.sandbox.messaging import MessagingSandbox
from agent_brain.platforms.sandbox.state import SandboxState


class FaultRequest(BaseModel):
    kind: FaultKind
    times: int = 1
    delay_seconds: float = 0.0
    retry_after_seconds: int | None = None
    regain_minutes: int = 0
    method: str | None = None
    code: int | None = None
    subcode: int | None = None


def create_sandbox_app(
    engine: AsyncEngine,
    *,
    faults: FaultInjector | None = None,
    today: Callable[[], dt.date] | None = None,
    valid_tokens: set[str] | None = None,
    usage_capacity: int = 3000,
    messaging: MessagingSandbox | None = None,
) -> FastAPI:
    """The emulator app. `usage_capacity`: weighted calls per 5 minutes that read as 100 % usage."""
    emulator = GraphEmulator(SandboxState(engine), faults=faults, today=today, valid_tokens=valid_tokens,
                             usage_capacity=usage_capacity)
    app = FastAPI(title="agent-brain Graph sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    app.state.emulator = emulator
    app.state.messaging = messaging or MessagingSandbox()  # WhatsApp / Instagram send endpoints
    if app.state.messaging.engine is None:  # its customers live in this database
        app.state.messaging.engine = engine

    @app.post("/_sandbox/faults", status_code=204)
    async def inject_fault(fault: FaultRequest) -> None:
        emulator.faults.inject(**fault.model_dump())

    @app.get("/_sandbox/stats")
    async def stats() -> dict[str, int]:
        """Real state changes made so far (benchmarks count duplicate writes with it)."""
        return {"writes_applied": emulator.writes_applied}

    @app.delete("/_sandbox/faults", status_code=204)
    async def clear_faults() -> None:
        emulator.faults.clear()

    async def graph(request: Request, path: str = "") -> JSONResponse:
        params: dict[str, Any] = dict(request.query_params)
        if request.method in ("POST", "DELETE"):
            params.update(await _body_params(request))
        sent = await _messaging(app.state.messaging, request.method, path, params)
        if sent is not None:
            return JSONResponse(sent[1], status_code=sent[0])
        base_url = f"{request.url.scheme}://{request.url.netloc}"
        status, body, headers = await emulator.handle(request.method, path, params, base_url=base_url)
        return JSONResponse(body, status_code=status, headers=headers)

    for route in ("/", "/{path:path}"):
        app.add_api_route(route, graph, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    return app


async def _messaging(messaging: MessagingSandbox, method: str, path: str,
               params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """`POST [/vNN.N]/{phone-number-id | ig-account-id}/messages`, when the id is a messaging account."""
    parts = [p for p in path.strip("/").split("/") if p]
    if parts and parts[0].startswith("v") and parts[0][1:].replace(".", "").isdigit():
        parts = parts[1:]
    if method != "POST" or len(parts) != 2 or parts[1] != "messages" or not params.get("access_token"):
        return None
    decoded: dict[str, Any] = {}
    for key, value in params.items():  # Graph form encoding: structures arrive as JSON strings
        decoded[key] = value
        if isinstance(value, str) and value[:1] in "{[":
            with contextlib.suppress(ValueError):
                decoded[key] = json.loads(value)
    return await messaging.handle(parts[0], decoded)


async def _body_params(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        raw = await request.json()
        if not isinstance(raw, dict):
            return {}
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    return {}

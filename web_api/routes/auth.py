"""Browser sign-in: the login link's code → an HttpOnly, SameSite=Strict session cookie; sessions list/revoke.

API clients keep using `Authorization: Bearer <token>`; the page never stores a secret itself.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from agent_brain.stores.users import UserRecord
from agent_brain.stores.web_sessions import SessionRecord
from web_api.deps import SESSION_COOKIE, CurrentUser, RuntimeDep, Sessions
from web_api.errors import ApiError
from web_api.schemas import ERRORS, SessionIn, SessionList, SessionOut, SignedInOut

router = APIRouter(prefix="/api/brain/auth", tags=["auth"], responses=ERRORS)
page_router = APIRouter(include_in_schema=False)


def _set_cookie(response: Response, request: Request, value: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def _session_out(record: SessionRecord, current: uuid.UUID | None) -> SessionOut:
    return SessionOut(id=record.id, user_agent=record.user_agent, created_at=record.created_at,
                      last_used_at=record.last_used_at, expires_at=record.expires_at, current=record.id == current)


@page_router.get("/login")
async def login(request: Request, store: Sessions,
                code: Annotated[str, Query(max_length=200)] = "") -> RedirectResponse:
    """The login link: spend the code, set the cookie, land on the page (303 keeps the code out of history)."""
    opened = await store.redeem_login_code(code, user_agent=request.headers.get("user-agent")) if code else None
    if opened is None:
        return RedirectResponse("/?login=failed", status_code=303, headers={"Cache-Control": "no-store"})
    response = RedirectResponse("/", status_code=303, headers={"Cache-Control": "no-store"})
    _set_cookie(response, request, opened[1], int(store.session_ttl.total_seconds()))
    return response


@router.post("/session")
async def sign_in(body: SessionIn, request: Request, response: Response, runtime: RuntimeDep,
                  store: Sessions) -> SignedInOut:
    """Open a browser session from a login code or an API token pasted into the page."""
    user_agent = request.headers.get("user-agent")
    opened: tuple[UserRecord, str] | None = None
    if body.code:
        opened = await store.redeem_login_code(body.code, user_agent=user_agent)
    elif body.token:
        user = await runtime.users.user_for_token(body.token)
        opened = await store.open_session(user.id, user_agent=user_agent) if user is not None else None
    if opened is None:
        raise ApiError(401, "unauthorized", key="login_failed")
    _set_cookie(response, request, opened[1], int(store.session_ttl.total_seconds()))
    response.headers["Cache-Control"] = "no-store"
    return SignedInOut(id=opened[0].id, name=opened[0].name)


@router.delete("/session", status_code=204)
async def sign_out(request: Request, user: CurrentUser, store: Sessions) -> Response:
    """Revoke this browser's session and clear its cookie."""
    response = Response(status_code=204)
    if request.state.session_id is not None:
        await store.revoke(user.id, request.state.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/sessions")
async def list_sessions(request: Request, user: CurrentUser, store: Sessions) -> SessionList:
    """The user's live browser sessions, most recently used first; `current` marks this one."""
    return SessionList(items=[_session_out(r, request.state.session_id) for r in await store.list_sessions(user.id)])


@router.delete("/sessions/{session_id}", status_code=204)
async def revoke_session(session_id: uuid.UUID, user: CurrentUser, store: Sessions) -> Response:
    if not await store.revoke(user.id, session_id):
        raise ApiError(404, "session_not_found")
    return Response(status_code=204)

"""Request dependencies as `Annotated` aliases: the runtime, the authenticated user, the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from agent_brain.runtime import Runtime
from agent_brain.stores.users import UserRecord
from agent_brain.stores.web_sessions import WebSessionStore
from web_api.errors import ApiError
from web_api.i18n import Language, language_of

SESSION_COOKIE = "ab_session"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_bearer = HTTPBearer(auto_error=False, description="An API token from `agent-brain users create` (API clients).")
_session = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                        description="The browser session (HttpOnly, SameSite=Strict) opened by the login link.")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Lang = Annotated[Language, Depends(language_of)]


def sessions(runtime: RuntimeDep) -> WebSessionStore:
    return WebSessionStore(runtime.engine)


Sessions = Annotated[WebSessionStore, Depends(sessions)]


async def current_user(
    request: Request,
    runtime: RuntimeDep,
    store: Sessions,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_session)],
) -> UserRecord:
    """The owner of the bearer token or of the session cookie; 401 for anything missing, unknown or revoked.

    A cookie is sent by the browser on its own, so a state-changing request authenticated by it must
    come from this origin: SameSite=Strict already holds it back cross-site, and `Sec-Fetch-Site`
    (sent by every current browser) is checked as a second line.
    """
    request.state.session_id = None
    if credentials is not None and credentials.credentials:
        user = await runtime.users.user_for_token(credentials.credentials)
        if user is not None:
            return user
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    if cookie:
        found = await store.user_for_session(cookie)
        if found is not None:
            if request.method not in _SAFE_METHODS and request.headers.get("sec-fetch-site", "same-origin") not in (
                    "same-origin", "none"):
                raise ApiError(403, "forbidden", key="cross_site")
            user, request.state.session_id = found
            return user
    raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})


CurrentUser = Annotated[UserRecord, Depends(current_user)]

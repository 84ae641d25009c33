"""Request dependencies as `Annotated` aliases: the runtime, the authenticated user, the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agent_brain.runtime import Runtime
from agent_brain.stores.users import UserRecord
from web_api.errors import ApiError
from web_api.i18n import Language, language_of

_bearer = HTTPBearer(auto_error=False, description="An API token: `agent-brain users create` or the login link.")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Lang = Annotated[Language, Depends(language_of)]


async def current_user(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> UserRecord:
    """The owner of the bearer token; 401 for a missing, unknown or revoked token."""
    user = None
    if credentials is not None and credentials.credentials:
        user = await runtime.users.user_for_token(credentials.credentials)
    if user is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[UserRecord, Depends(current_user)]

"""Exports: a conversation's table answer as a CSV or XLSX download (the user's own conversations only)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from agent_brain.exports import latest_table, render
from web_api.deps import CurrentUser, RuntimeDep
from web_api.errors import ApiError
from web_api.schemas import ERRORS

router = APIRouter(prefix="/api/brain/conversations", tags=["exports"], responses=ERRORS)


@router.get("/{conversation_id}/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument."
                                                          "spreadsheetml.sheet": {}}}})
async def export_table(conversation_id: uuid.UUID, user: CurrentUser, runtime: RuntimeDep,
                       format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",  # noqa: A002 - the API's word
                       messageId: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:  # noqa: N803
    accounts = await runtime.users.ad_accounts(user.id, conversation_id=conversation_id)
    table = await latest_table(runtime.engine, user_id=user.id, conversation_id=conversation_id, message_id=messageId,
                               currency=accounts[0].currency if accounts else "USD")
    if table is None:
        raise ApiError(404, "not_found")
    content, media_type, name = render(table, format)
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})

"""The user's conversations: list and search, create, rename, read messages, switch mode, delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from agent_brain.stores.errors import ConversationNotFoundError
from web_api.deps import CurrentUser, RuntimeDep
from web_api.schemas import (
    ERRORS,
    ConversationEnvelope,
    ConversationIn,
    ConversationList,
    ConversationPatch,
    MessageList,
    ModeIn,
    conversation_out,
    message_out,
)

router = APIRouter(prefix="/api/brain/conversations", tags=["conversations"], responses=ERRORS)


@router.get("")
async def list_conversations(user: CurrentUser, runtime: RuntimeDep,
                             limit: Annotated[int, Query(ge=1, le=100)] = 20,
                             offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                             q: Annotated[str | None, Query(max_length=200, description=(
                                 "Keep conversations whose title or messages contain this text"))] = None,
                             ) -> ConversationList:
    """Most recently updated first."""
    records = await runtime.conversations.list_conversations(user.id, limit=limit, offset=offset,
                                                             query=(q or "").strip() or None)
    return ConversationList(items=[conversation_out(r) for r in records], limit=limit, offset=offset)


@router.post("", status_code=201)
async def create_conversation(user: CurrentUser, runtime: RuntimeDep,
                              body: ConversationIn | None = None) -> ConversationEnvelope:
    mode = body.mode if body is not None else "plan"
    record = await runtime.conversations.get_or_create(user_id=user.id, source="web", mode=mode)
    return ConversationEnvelope(conversation=conversation_out(record))


@router.get("/{conversation_id}/messages")
async def list_messages(conversation_id: uuid.UUID, user: CurrentUser, runtime: RuntimeDep,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100) -> MessageList:
    """The last `limit` messages, oldest first."""
    conv = await runtime.conversations.get_by_id(conversation_id, user_id=user.id)
    return MessageList(items=[message_out(m) for m in await runtime.conversations.load_messages(conv.id, limit)])


@router.delete("/{conversation_id}", status_code=204)
async def delete_conversation(conversation_id: uuid.UUID, user: CurrentUser, runtime: RuntimeDep) -> Response:
    if not await runtime.conversations.delete_conversation(conversation_id, user_id=user.id):
        raise ConversationNotFoundError(str(conversation_id))
    return Response(status_code=204)


@router.put("/{conversation_id}/mode")
async def set_mode(conversation_id: uuid.UUID, body: ModeIn, user: CurrentUser,
                   runtime: RuntimeDep) -> ConversationEnvelope:
    store = runtime.conversations
    conv = await store.get_by_id(conversation_id, user_id=user.id)
    await store.set_mode(conv.id, body.mode)
    return ConversationEnvelope(conversation=conversation_out(await store.get_by_id(conv.id, user_id=user.id)))


@router.patch("/{conversation_id}")
async def rename_conversation(conversation_id: uuid.UUID, body: ConversationPatch, user: CurrentUser,
                              runtime: RuntimeDep) -> ConversationEnvelope:
    """Rename a conversation."""
    store = runtime.conversations
    conv = await store.get_by_id(conversation_id, user_id=user.id)
    await store.update_metadata(conv.id, title=body.title.strip())
    return ConversationEnvelope(conversation=conversation_out(await store.get_by_id(conv.id, user_id=user.id)))

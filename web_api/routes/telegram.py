"""Telegram: link codes for `/start <code>`, and the seed-002 endpoints an outside bot process calls.

The bot acts with the bearer token of the chat's user and only on a chat linked to that user;
any other chat id is 404 (nobody can open or squat another person's chat).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from agent_brain.orchestrator.orchestrator import TurnRequest
from agent_brain.runtime import Runtime
from agent_brain.stores.records import ConversationRecord
from agent_brain.stores.telegram_links import TelegramLinkStore
from agent_brain.stores.users import UserRecord
from web_api.deps import CurrentUser, Lang, RuntimeDep
from web_api.errors import ApiError
from web_api.routes.chat import STREAMED, is_busy, plan_loader, turn_streams
from web_api.schemas import (
    ERRORS,
    ClearedOut,
    ConversationEnvelope,
    LinkCodeOut,
    TelegramChatId,
    TelegramChatIn,
    TelegramChatRef,
    TelegramModeIn,
    TelegramStatusOut,
    TurnOut,
    conversation_out,
    plan_out,
)
from web_api.streaming import respond

router = APIRouter(prefix="/api/brain/telegram", tags=["telegram"], responses=ERRORS)


async def _chat_conversation(runtime: Runtime, user: UserRecord, chat_id: int) -> ConversationRecord:
    """The chat's one conversation (created on first use); 404 unless the chat is linked to `user`."""
    if user.telegram_chat_id is None or user.telegram_chat_id != chat_id:
        raise ApiError(404, "not_found", key="chat_not_linked")
    return await runtime.conversations.get_or_create(user_id=user.id, source="telegram", telegram_chat_id=chat_id)


@router.post("/link-code")
async def link_code(user: CurrentUser, runtime: RuntimeDep) -> LinkCodeOut:
    """A one-time code (15 minutes) to send to the bot as `/start <code>`."""
    code, expires_at = await TelegramLinkStore(runtime.engine).issue(user.id)
    return LinkCodeOut(code=code, expires_at=expires_at, start_command=f"/start {code}")


@router.post("/chat", response_model=TurnOut, responses=STREAMED)
async def chat(body: TelegramChatIn, request: Request, user: CurrentUser, runtime: RuntimeDep, lang: Lang) -> Response:
    conv = await _chat_conversation(runtime, user, body.telegram_chat_id)
    feed = turn_streams(request).start(runtime.orchestrator.process(TurnRequest(
        user_id=user.id, text=body.message, source="telegram", conversation_id=conv.id,
        telegram_chat_id=body.telegram_chat_id)))
    return await respond(request, feed, conversation_id=conv.id, language=lang, load_plan=plan_loader(runtime, user))


@router.post("/clear")
async def clear(body: TelegramChatRef, user: CurrentUser, runtime: RuntimeDep) -> ClearedOut:
    """Delete the chat's history, summary and focus; plans still awaiting approval are rejected."""
    conv = await _chat_conversation(runtime, user, body.telegram_chat_id)
    return ClearedOut(conversation_id=conv.id, deleted_messages=await runtime.conversations.clear(conv.id))


@router.post("/mode")
async def mode(body: TelegramModeIn, user: CurrentUser, runtime: RuntimeDep) -> ConversationEnvelope:
    conv = await _chat_conversation(runtime, user, body.telegram_chat_id)
    await runtime.conversations.set_mode(conv.id, body.mode)
    return ConversationEnvelope(conversation=conversation_out(
        await runtime.conversations.get_by_id(conv.id, user_id=user.id)))


@router.get("/status")
async def status(user: CurrentUser, runtime: RuntimeDep,
                 telegram_chat_id: Annotated[TelegramChatId, Query(alias="telegramChatId")]) -> TelegramStatusOut:
    conv = await _chat_conversation(runtime, user, telegram_chat_id)
    pending = await runtime.conversations.get_pending_plan(conv.id)
    return TelegramStatusOut(conversation=conversation_out(conv), busy=is_busy(conv),
                             pending_plan=plan_out(pending) if pending else None)

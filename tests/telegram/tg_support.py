"""Telegram test support: constants, a fake clock, a scripted model and a chat driver."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import TelegramObject
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import User
from agent_brain.llm.base import ModelRequest, ModelTurn, TextDelta, TurnDone
from agent_brain.llm.offline import OfflineModel
from agent_brain.runtime import Runtime
from agent_brain.stores.users import UserRecord
from telegram_bot.links import ChatLinks
from telegram_bot.standin import BotAPIStandIn, callback_update, message_update, visible_text

TOKEN = "123456:TEST-TOKEN"
SECRET = "s3cret_webhook-token"
DEMO_CHAT = 5001


async def _no_sleep(_: float) -> None:
    return None


class FakeClock:
    """Pacing time that advances only when the bot waits: no real waiting, every wait recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


class ScriptedModel:
    """The offline model, with scripted replies for some messages and optionally slow streaming
    (as a remote LLM streams), behind the same ChatModel interface."""

    name = "offline+scripted"
    is_llm = False

    def __init__(self, *, delay: float = 0.0, replies: dict[str, str] | None = None,
                 thinking: dict[str, float] | None = None) -> None:
        """`thinking`: seconds to wait before a scripted reply starts (a slow model for that message)."""
        self.inner = OfflineModel()
        self.delay = delay
        self.replies = replies or {}
        self.thinking = thinking or {}

    async def stream(self, request: ModelRequest):  # type: ignore[no-untyped-def]
        if request.hints.purpose == "agent":
            user_text = next((m["content"] for m in reversed(request.messages) if m["role"] == "user"), "")
            if user_text in self.replies:
                await asyncio.sleep(self.thinking.get(user_text, 0.0))
                text = self.replies[user_text]
                for i in range(0, len(text), 500):
                    yield TextDelta(text[i:i + 500])
                yield TurnDone(ModelTurn(content=text, model=self.name))
                return
        async for event in self.inner.stream(request):
            if self.delay and isinstance(event, TextDelta) and request.hints.purpose == "agent":
                await asyncio.sleep(self.delay)
            yield event


class Telegram:
    """A running bot plus the handles tests need."""

    def __init__(self, standin: BotAPIStandIn, runtime: Runtime, app: Any, bot: Bot, dispatcher: Dispatcher,
                 clock: FakeClock | None) -> None:
        self.standin = standin
        self.runtime = runtime
        self.sandbox = app
        self.bot = bot
        self.dispatcher = dispatcher
        self.clock = clock
        self.links = ChatLinks(runtime.engine)
        self.done: set[int] = set()
        self._done_changed = asyncio.Condition()
        self.task: asyncio.Task[None] | None = None

        async def track(handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                        event: TelegramObject, data: dict[str, Any]) -> Any:
            try:
                return await handler(event, data)
            finally:
                async with self._done_changed:
                    self.done.add(event.update_id)  # type: ignore[attr-defined]
                    self._done_changed.notify_all()

        dispatcher.update.outer_middleware(track)

    @property
    def engine(self) -> AsyncEngine:
        return self.runtime.engine

    @property
    def writes(self) -> int:
        return int(self.sandbox.state.emulator.writes_applied)

    async def demo_user(self) -> UserRecord:
        async with self.engine.connect() as conn:
            user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        user = await self.runtime.users.get_user(user_id)
        assert user is not None
        return user

    async def link(self, chat_id: int, user: UserRecord | None = None) -> UserRecord:
        user = user or await self.demo_user()
        code, _ = await self.links.codes.issue(user.id)
        linked = await self.links.link(code, chat_id)
        assert linked is not None
        return linked

    async def processed(self, update_id: int, within: float = 20.0) -> None:
        async with asyncio.timeout(within), self._done_changed:
            while update_id not in self.done:
                await self._done_changed.wait()

    async def say(self, chat_id: int, text: str, *, language_code: str = "ru") -> int:
        """Send a message as the user and wait until the bot has fully handled it."""
        update_id = self.standin.push_update(message_update(chat_id, text, language_code=language_code))
        await self.processed(update_id)
        return update_id

    async def press(self, chat_id: int, message_id: int, data: str, *, language_code: str = "ru") -> int:
        update_id = self.standin.push_update(callback_update(chat_id, message_id, data, language_code=language_code))
        await self.processed(update_id)
        return update_id

    def replies(self, chat_id: int) -> list[str]:
        """Visible texts (or captions) of the chat's current messages, oldest first."""
        return [visible_text(m.text or m.caption or "") for m in self.standin.chat_messages(chat_id)]

    def last_reply(self, chat_id: int) -> str:
        return self.replies(chat_id)[-1]


def new_chat() -> int:
    return 600_000 + uuid.uuid4().int % 100_000

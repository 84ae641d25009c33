"""Issue 16, tokens per ad account: the Graph calls of a turn and of a plan step carry the token of the account
in use, read from the encrypted store (not the process-wide one), and it appears in no log or repr."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from turns import new_conversation, turn

from agent_brain.agents import load_agents
from agent_brain.db.models import AdAccount, User
from agent_brain.llm.offline import OfflineModel
from agent_brain.orchestrator.orchestrator import Orchestrator
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.client import GraphClient
from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.sandbox.app import create_sandbox_app
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard
from agent_brain.security import TokenCipher
from agent_brain.stores.users import UserStore

ACCOUNT_TOKEN = "EAAB-account-own-token-7f3a"
PROCESS_TOKEN = "process-wide-token"


class Recording(httpx.AsyncBaseTransport):
    """The sandbox behind a recorder of the access_token each request carried."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.tokens: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.tokens.append(request.url.params.get("access_token", ""))
        return await self.inner.handle_async_request(request)


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def wired(demo_engine: AsyncEngine):  # type: ignore[no-untyped-def]
    cipher = TokenCipher(Fernet.generate_key())
    async with demo_engine.connect() as conn:
        user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        account = (await conn.execute(select(AdAccount.external_id, AdAccount.name, AdAccount.currency,
                                             AdAccount.timezone).where(AdAccount.user_id == user_id))).first()
    await UserStore(demo_engine).upsert_ad_account(user_id, external_id=account.external_id, name=account.name,
                                                   currency=account.currency, timezone=account.timezone,
                                                   access_token=ACCOUNT_TOKEN, cipher=cipher)
    recorder = Recording(httpx.ASGITransport(app=create_sandbox_app(demo_engine)))
    client = GraphClient(PROCESS_TOKEN, transport=recorder, breaker=BreakerRegistry().get("meta"), sleep=_no_sleep)
    async with client:
        orch = Orchestrator(engine=demo_engine, model=OfflineModel(), agents=load_agents(), meta=MetaAdapter(client),
                            writes=WriteGuard(IdempotentExecutor(demo_engine, poll_interval=0.01), sleep=_no_sleep),
                            cipher=cipher)
        yield orch, user_id, recorder


async def test_reads_and_plan_writes_use_the_accounts_own_token(wired: Any, caplog: pytest.LogCaptureFixture) -> None:
    orch, user_id, recorder = wired
    caplog.set_level(logging.DEBUG)
    conv = await new_conversation(orch, user_id, mode="plan")
    await turn(orch, user_id, conv, "Покажи кампании")
    assert recorder.tokens and set(recorder.tokens) == {ACCOUNT_TOKEN}
    recorder.tokens.clear()
    events = await turn(orch, user_id, conv, "Поставь на паузу кампанию Виниры СПб")
    approval = next(e for e in events if e["type"] == "approval_required")
    async for _ in orch.execute_plan(user_id, uuid.UUID(approval["plan_id"])):
        pass
    assert recorder.tokens and set(recorder.tokens) == {ACCOUNT_TOKEN}
    ctx = await orch.context_for(user_id, conversation_id=conv)
    assert ctx.access_token == ACCOUNT_TOKEN and ACCOUNT_TOKEN not in repr(ctx)
    assert ACCOUNT_TOKEN not in caplog.text


async def test_without_a_cipher_the_process_token_serves(demo_engine: AsyncEngine) -> None:
    recorder = Recording(httpx.ASGITransport(app=create_sandbox_app(demo_engine)))
    async with GraphClient(PROCESS_TOKEN, transport=recorder, breaker=BreakerRegistry().get("meta"),
                           sleep=_no_sleep) as client:
        orch = Orchestrator(engine=demo_engine, model=OfflineModel(), agents=load_agents(), meta=MetaAdapter(client),
                            writes=WriteGuard(IdempotentExecutor(demo_engine), sleep=_no_sleep))
        async with demo_engine.connect() as conn:
            user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        await turn(orch, user_id, await new_conversation(orch, user_id), "Покажи кампании")
    assert set(recorder.tokens) == {PROCESS_TOKEN}

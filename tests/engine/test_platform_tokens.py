"""Per-account tokens on TikTok and Google Ads: a linked account's own token (encrypted at rest,
stored by `accounts link --platform`) carries that account's reads and plan writes, not the
process-wide one. Each sandbox here accepts only the account's own token, so a call made with
the process token fails with the platform's token error."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from turns import final_text, new_conversation, turn

from agent_brain import clock
from agent_brain.demo.seed import seed_other_platforms
from agent_brain.demo.world import DEMO_TIMEZONE
from agent_brain.platforms.google.adapter import GoogleAdsAdapter, google_client
from agent_brain.platforms.google.sandbox import create_google_sandbox_app
from agent_brain.platforms.graph.breaker import BreakerRegistry
from agent_brain.platforms.graph.errors import TokenExpiredError
from agent_brain.platforms.jsonapi.client import api_token_scope
from agent_brain.platforms.sandbox.platform_seed import GOOGLE_CUSTOMER_ID, TIKTOK_ADVERTISER_ID
from agent_brain.platforms.tiktok.adapter import TikTokAdapter, tiktok_client
from agent_brain.platforms.tiktok.sandbox import create_tiktok_sandbox_app
from agent_brain.security import TokenCipher
from agent_brain.stores.users import UserStore

TT_OWN, G_OWN = "tt-own-token-4b1d9e0c77", "ya29.google-own-token-55aa"
TT_PROCESS, G_PROCESS = "tt-process-token-000111", "ya29.process-token-000222"


class Recording(httpx.AsyncBaseTransport):
    """The sandbox behind a recorder of the credential header each request carried."""

    def __init__(self, inner: httpx.AsyncBaseTransport, header: str) -> None:
        self.inner, self.header = inner, header
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.headers.get(self.header, ""))
        return await self.inner.handle_async_request(request)


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def wired(product: dict[str, Any]):  # type: ignore[no-untyped-def]
    engine, user_id = product["engine"], product["user_id"]
    users = UserStore(engine)
    await seed_other_platforms(engine, users, user_id, clock.today_in(DEMO_TIMEZONE), ("tiktok", "google"), {})
    cipher = TokenCipher(Fernet.generate_key())
    for account in await users.ad_accounts(user_id):  # `accounts link --platform … --token …`
        own = {"tiktok": TT_OWN, "google": G_OWN}.get(account.platform)
        if own:
            await users.upsert_ad_account(user_id, platform=account.platform, external_id=account.external_id,
                                          name=account.name, currency=account.currency, timezone=account.timezone,
                                          access_token=own, cipher=cipher)
    tt_rec = Recording(httpx.ASGITransport(app=create_tiktok_sandbox_app(engine, valid_tokens={TT_OWN})),
                       "Access-Token")
    g_rec = Recording(httpx.ASGITransport(app=create_google_sandbox_app(engine, valid_tokens={G_OWN})),
                      "Authorization")
    breakers = BreakerRegistry()
    async with (
        tiktok_client(TT_PROCESS, transport=tt_rec, breaker=breakers.get("tiktok"), sleep=_no_sleep) as tt,
        google_client(G_PROCESS, "dev-0123456789", transport=g_rec, breaker=breakers.get("google"),
                      sleep=_no_sleep) as gg,
    ):
        platforms = {"tiktok": TikTokAdapter(tt), "google": GoogleAdsAdapter(gg)}
        orch = product["build"](platforms=platforms, cipher=cipher)
        yield {"orch": orch, "user_id": user_id, "tt": tt_rec, "g": g_rec, "platforms": platforms}


async def test_the_process_token_is_refused_and_the_scope_swaps_in_the_accounts_own(wired: Any) -> None:
    tiktok: TikTokAdapter = wired["platforms"]["tiktok"]
    tiktok.add_advertiser(TIKTOK_ADVERTISER_ID)
    with pytest.raises(TokenExpiredError):  # 40105 from the sandbox: the process token is not this account's
        await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
    with api_token_scope({"tiktok": TT_OWN, "google": None}):
        assert await tiktok.list_campaigns(TIKTOK_ADVERTISER_ID)
    google: GoogleAdsAdapter = wired["platforms"]["google"]
    google.add_customer(GOOGLE_CUSTOMER_ID)
    with api_token_scope({"google": G_OWN}):
        assert await google.list_campaigns(GOOGLE_CUSTOMER_ID)
    seen = wired["tt"].seen
    assert seen[0] == TT_PROCESS and len(seen) > 1 and set(seen[1:]) == {TT_OWN}
    assert set(wired["g"].seen) == {f"Bearer {G_OWN}"}


async def test_chat_reads_on_each_platform_carry_its_accounts_own_token(wired: Any,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    orch, user_id = wired["orch"], wired["user_id"]
    conv = await new_conversation(orch, user_id)
    events = await turn(orch, user_id, conv, "Покажи кампании в TikTok")
    assert "TT — Виниры (видео)" in final_text(events)
    events = await turn(orch, user_id, conv, "Покажи кампании в Google Ads")
    assert "Поиск — Виниры" in final_text(events)
    assert wired["tt"].seen and set(wired["tt"].seen) == {TT_OWN}
    assert wired["g"].seen and set(wired["g"].seen) == {f"Bearer {G_OWN}"}
    ctx = await orch.context_for(user_id, conversation_id=conv)
    assert TT_OWN not in repr(ctx) and G_OWN not in repr(ctx)
    assert TT_OWN not in caplog.text and G_OWN not in caplog.text


async def test_a_tiktok_plan_write_carries_the_accounts_own_token(wired: Any) -> None:
    orch, user_id = wired["orch"], wired["user_id"]
    conv = await new_conversation(orch, user_id, "plan")
    events = await turn(orch, user_id, conv, "Поставь на паузу кампанию TT — Виниры (видео)")
    approval = next(e for e in events if e["type"] == "approval_required")
    wired["tt"].seen.clear()
    executed = [e.to_json() async for e in orch.execute_plan(user_id, uuid.UUID(approval["plan_id"]))]
    step = next(e for e in executed if e["type"] == "step_result")
    assert step["success"] and step["result"]["verification"]["verified"]
    assert wired["tt"].seen and set(wired["tt"].seen) == {TT_OWN}

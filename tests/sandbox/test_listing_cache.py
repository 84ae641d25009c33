"""Campaign / ad-set lists: once per turn, shared briefly, never reused across a write."""

from __future__ import annotations

import asyncio

from sandbox_account import ACCOUNT, Sandbox

from agent_brain.platforms.meta.adapter import MetaAdapter
from agent_brain.platforms.meta.listings import turn_scope


def _status(campaigns: list, campaign_id: str) -> str:  # type: ignore[type-arg]
    return next(c.status for c in campaigns if c.id == campaign_id)


async def test_a_turn_fetches_each_list_once_and_sees_its_own_writes(meta: MetaAdapter, sandbox: Sandbox) -> None:
    with turn_scope():
        first, again, (a, b) = (await meta.list_campaigns(ACCOUNT), await meta.list_campaigns(ACCOUNT),
                                await asyncio.gather(meta.list_ad_sets(account_id=ACCOUNT),
                                                     meta.list_ad_sets(account_id=ACCOUNT)))
        assert meta.listings.fetches == 2  # campaigns once, ad sets once (the two concurrent asks share it)
        assert [c.id for c in first] == [c.id for c in again] and [s.id for s in a] == [s.id for s in b]
        again.clear()  # a caller's list is its own
        assert len(await meta.list_campaigns(ACCOUNT)) == len(first)
        await meta.set_status("1001", "PAUSED")
        assert _status(await meta.list_campaigns(ACCOUNT), "1001") == "PAUSED"  # re-fetched after the write
        assert meta.listings.fetches == 3


async def test_without_a_turn_or_ttl_every_ask_fetches(meta: MetaAdapter) -> None:
    await meta.list_campaigns(ACCOUNT)
    await meta.list_campaigns(ACCOUNT)
    assert meta.listings.fetches == 2


async def test_a_ttl_shares_lists_between_turns_until_a_write(meta: MetaAdapter, sandbox: Sandbox) -> None:
    meta.listings.ttl = 60.0
    with turn_scope():
        await meta.list_campaigns(ACCOUNT)
    with turn_scope():
        assert _status(await meta.list_campaigns(ACCOUNT), "1002") == "ACTIVE"
    assert meta.listings.fetches == 1
    await meta.set_status("1002", "PAUSED")
    assert _status(await meta.list_campaigns(ACCOUNT), "1002") == "PAUSED"
    assert meta.listings.fetches == 2
    meta.listings.ttl = 0.0
    await meta.list_campaigns(ACCOUNT)
    assert meta.listings.fetches == 3  # expired (no sharing any more)

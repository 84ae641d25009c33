"""Live dialog updates over PostgreSQL LISTEN/NOTIFY: a processed delivery reaches the owner's
subscribers (of any process: the feed has its own connection), only on commit, never another user's;
the Dialogs panel's message list shows the analysis of each customer message."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from inbound_world import World

from agent_brain.inbound.live import DialogFeed, announce, listen_dsn


async def _next(queue: asyncio.Queue, seconds: float = 10.0) -> object:  # type: ignore[type-arg]
    return await asyncio.wait_for(queue.get(), seconds)


async def test_a_processed_delivery_is_announced_to_its_owner_only_and_only_on_commit(world: World) -> None:
    stranger, _ = await world.runtime.users.create_user("stranger-live", language="en")
    feed = DialogFeed(listen_dsn(world.engine.url))
    try:
        async with feed.subscribe(world.user_id) as mine, feed.subscribe(stranger.id) as theirs:
            # A transaction that rolls back announces nothing.
            with pytest.raises(RuntimeError):
                async with world.engine.begin() as conn:
                    await announce(conn, world.user_id, [uuid.uuid4()])
                    raise RuntimeError("rolled back")
            await world.customers.whatsapp("+77017770001", "Сколько стоит отбеливание?", name="Алия")
            assert mine.empty()  # stored and queued, not processed yet
            await world.process_pending()  # the worker (here: this process; any process would do)
            dialog_id = await world.scalar("SELECT id::text FROM whatsapp_dialogs WHERE phone = '+77017770001'")
            event = await _next(mine)
            assert event == {"dialogs": [dialog_id], "kind": "message"}
            await asyncio.sleep(0.2)
            assert theirs.empty()
            # Instagram deliveries are announced the same way.
            await world.customers.instagram("17840000777", "Хочу записаться на завтра")
            await world.process_pending()
            ig_dialog = await world.scalar("SELECT id::text FROM whatsapp_dialogs WHERE instagram_id = '17840000777'")
            seen = [await _next(mine)]
            while not mine.empty():
                seen.append(mine.get_nowait())
            assert {"dialogs": [ig_dialog], "kind": "message"} in seen
            assert theirs.empty()
    finally:
        await feed.close()


async def test_the_feed_ends_its_streams_when_its_connection_is_lost(world: World) -> None:
    feed = DialogFeed(listen_dsn(world.engine.url))
    try:
        async with feed.subscribe(world.user_id) as queue:
            listener_pid = feed._conn.get_server_pid()  # type: ignore[union-attr]
            assert await world.scalar("SELECT pg_terminate_backend(:pid)", pid=listener_pid) is True
            assert await _next(queue) is None  # the SSE stream ends; the browser's EventSource reconnects
        async with feed.subscribe(world.user_id) as again:  # a new subscriber re-opens the connection
            await world.customers.whatsapp("+77017770002", "Здравствуйте")
            await world.process_pending()
            assert (await _next(again))["kind"] == "message"  # type: ignore[index]
    finally:
        await feed.close()


async def test_the_panel_reads_awaiting_dialogs_and_each_message_with_its_analysis(world: World) -> None:
    token = await world.runtime.users.issue_token(world.user_id, label="test")
    auth = {"Authorization": f"Bearer {token}"}
    await world.customers.whatsapp("+77017770003", "Это ужасно, жалоба на врача!", name="Гульнара")
    await world.process_pending()
    waiting = (await world.http.get("/api/brain/inbound/dialogs?awaiting=true", headers=auth)).json()["items"]
    assert [d["name"] for d in waiting] == ["Гульнара"]
    messages = (await world.http.get(f"/api/brain/inbound/dialogs/{waiting[0]['id']}/messages",
                                     headers=auth)).json()["items"]
    customer = [m for m in messages if m["sender"] == "customer"]
    assert [m["text"] for m in customer] == ["Это ужасно, жалоба на врача!"]
    assert customer[0]["analysis"]["intent"] == "complaint"
    assert customer[0]["analysis"]["sentiment"] == "negative"
    assert customer[0]["analysis"]["temperature"] in {"hot", "warm", "cold"}
    _, stranger_token = await world.runtime.users.create_user("stranger-panel", language="en")
    other = await world.http.get(f"/api/brain/inbound/dialogs/{waiting[0]['id']}/messages",
                                 headers={"Authorization": f"Bearer {stranger_token}"})
    assert other.status_code == 404

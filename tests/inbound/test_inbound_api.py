"""The Dialogs panel's data and the demo's customer simulator over HTTP."""

from __future__ import annotations

import pytest
from inbound_world import World

from agent_brain.platforms import factory


async def test_a_customer_writes_through_the_demo_simulator_and_the_dialog_shows_its_analysis(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(factory._MESSAGING, world.runtime.meta.client, world.messaging)
    token = await world.runtime.users.issue_token(world.user_id, label="test")
    auth = {"Authorization": f"Bearer {token}"}
    assert (await world.http.post("/api/brain/inbound/sandbox/customer-message",
                                  json={"from": "+77018880001", "text": "Сколько стоит чистка?"})).status_code == 401
    sent = await world.http.post("/api/brain/inbound/sandbox/customer-message", headers=auth,
                                 json={"from": "+77018880001", "text": "Сколько стоит чистка?", "name": "Вера"})
    assert sent.status_code == 200 and sent.json()["status"] == 200
    await world.process_pending()
    panel = (await world.http.get("/api/brain/inbound/dialogs", headers=auth)).json()["items"]
    assert [(d["name"], d["channel"], d["awaitingReply"], d["lastMessage"]["intent"]) for d in panel] == [
        ("Вера", "whatsapp", True, "price_question")]
    stranger, stranger_token = await world.runtime.users.create_user("stranger", language="en")
    other = await world.http.get("/api/brain/inbound/dialogs", headers={"Authorization": f"Bearer {stranger_token}"})
    assert other.json()["items"] == []

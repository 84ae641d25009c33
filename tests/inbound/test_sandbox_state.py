"""The messaging sandbox keeps its customers (the 24-hour window) in PostgreSQL: a customer who wrote
through one process's sandbox can be answered through another's, and after a restart; an undeliverable
number is accepted and fails later with a `failed` status carrying 131026."""

from __future__ import annotations

import datetime as dt

from inbound_world import World

from agent_brain import clock
from agent_brain.platforms.sandbox.messaging import DEMO_INSTAGRAM_ID, DEMO_PHONE_NUMBER_ID, MessagingSandbox

TEXT = {"messaging_product": "whatsapp", "to": "77013330001", "type": "text", "text": {"body": "Здравствуйте!"}}


async def test_the_window_is_shared_by_every_process_and_survives_a_restart(world: World) -> None:
    other_process = MessagingSandbox(engine=world.engine)
    status, body = await other_process.handle(DEMO_PHONE_NUMBER_ID, TEXT)  # type: ignore[misc]
    assert (status, body["error"]["code"]) == (400, 131047)  # nobody wrote: outside the window
    # The customer writes; the web process's simulator records it (world.messaging is another instance).
    await world.customers.whatsapp("+77013330001", "Добрый день, есть запись на пятницу?")
    status, body = await other_process.handle(DEMO_PHONE_NUMBER_ID, TEXT)  # type: ignore[misc]
    assert status == 200 and body["messages"][0]["id"].startswith("wamid.")
    restarted = MessagingSandbox(engine=world.engine)
    assert (await restarted.handle(DEMO_PHONE_NUMBER_ID, TEXT))[0] == 200  # type: ignore[index]
    # An older message never moves the window back; 25 hours later it is closed.
    await restarted.customer_wrote(DEMO_PHONE_NUMBER_ID, "+77013330001", clock.now() - dt.timedelta(days=3))
    last = await restarted.last_message_at(DEMO_PHONE_NUMBER_ID, "77013330001")
    assert last is not None and clock.now() - last < dt.timedelta(minutes=5)
    await restarted.customers_wrote(DEMO_INSTAGRAM_ID, [("17840000555", clock.now() - dt.timedelta(hours=25))])
    status, body = await restarted.handle(DEMO_INSTAGRAM_ID, {"recipient": {"id": "17840000555"},  # type: ignore[misc]
                                                              "message": {"text": "Hi"}})
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 10, 2018278)


async def test_an_undeliverable_number_is_accepted_then_reported_failed_with_131026(world: World) -> None:
    await world.customers.whatsapp("+77013330002", "Сколько стоит консультация?", name="Ерлан")
    await world.process_pending()
    world.messaging.undeliverable.add("77013330002")
    dialog = await world.scalar("SELECT id FROM whatsapp_dialogs WHERE phone = '+77013330002'")
    sent = await world.service.sender.send(world.user_id, dialog, "Консультация бесплатная.", key="t:1")
    assert sent.status == "sent" and sent.message_id  # accepted…
    assert world.messaging.sent == [] or all(s["to"] != "77013330002" for s in world.messaging.sent)
    assert await world.customers.flush_statuses() == 1  # …then one `failed` callback, no sent/delivered
    await world.process_pending()
    row = (await world.rows("SELECT status, error FROM whatsapp_messages WHERE external_id = :m",
                            m=sent.message_id))[0]
    assert row.status == "failed" and row.error["errors"][0]["code"] == 131026

"""The webhooks: Meta's subscription check, the signature on every delivery, the durable inbox."""

from __future__ import annotations

from inbound_world import World

from agent_brain import clock
from agent_brain.inbound.signature import sign
from agent_brain.platforms.sandbox.customers import whatsapp_message_body


async def test_subscription_check_echoes_the_challenge_only_for_our_verify_token(world: World) -> None:
    for platform in ("whatsapp", "instagram"):
        ok = await world.http.get(f"/webhooks/{platform}", params={
            "hub.mode": "subscribe", "hub.verify_token": "sandbox-verify-token", "hub.challenge": "1158201444"})
        assert (ok.status_code, ok.text) == (200, "1158201444")
        wrong = await world.http.get(f"/webhooks/{platform}", params={
            "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"})
        assert wrong.status_code == 403 and "1158201444" not in wrong.text


async def test_a_signed_delivery_is_stored_and_answered_200(world: World) -> None:
    sent = await world.customers.whatsapp("+77015550101", "Здравствуйте, сколько стоит чистка?", name="Алия")
    assert sent.status_code == 200
    assert await world.scalar("SELECT count(*) FROM inbound_deliveries WHERE processed_at IS NULL") == 1
    # The job that processes it was queued with it.
    assert await world.scalar("SELECT count(*) FROM procrastinate_jobs "
                              "WHERE task_name = 'agent_brain:process_inbound_delivery'") == 1


async def test_missing_or_wrong_signatures_are_refused_and_nothing_is_stored(world: World) -> None:
    body = whatsapp_message_body("106540352242922", "77015550102", "hi", "wamid.X1", clock.now())
    assert await world.customers.post("whatsapp", body, signature=None) == 401
    assert await world.customers.post("whatsapp", body, signature="sha256=" + "0" * 64) == 401
    assert await world.customers.post("whatsapp", body, signature=sign(body, "another-secret")) == 401
    assert await world.customers.post("whatsapp", body, signature=sign(body, "sandbox-app-secret")[7:]) == 401
    # A signature taken from one body does not cover another (a tampered replay).
    tampered = body.replace(b"hi", b"ho")
    assert await world.customers.post("whatsapp", tampered, signature=sign(body, "sandbox-app-secret")) == 401
    assert await world.scalar("SELECT count(*) FROM inbound_deliveries") == 0
    assert await world.scalar("SELECT count(*) FROM procrastinate_jobs") == 0


async def test_a_replayed_delivery_is_accepted_but_its_message_is_stored_once(world: World) -> None:
    body = whatsapp_message_body("106540352242922", "77015550103", "Хочу записаться на завтра", "wamid.REPLAY",
                                 clock.now())
    await world.messaging.customer_wrote("106540352242922", "77015550103", clock.now())
    for _ in range(3):  # Meta re-sends a delivery it thinks failed: the same bytes, the same signature
        assert await world.customers.post("whatsapp", body) == 200
    await world.process_pending()
    assert await world.scalar("SELECT count(*) FROM inbound_deliveries WHERE processed_at IS NOT NULL") == 3
    assert await world.scalar("SELECT count(*) FROM whatsapp_messages WHERE external_id = 'wamid.REPLAY'") == 1
    results = await world.rows("SELECT result FROM inbound_deliveries ORDER BY id")
    assert [r.result["new"] for r in results] == [1, 0, 0]
    assert [r.result["duplicates"] for r in results] == [0, 1, 1]

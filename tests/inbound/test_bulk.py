"""A broadcast to a segment of 500 customers: each once, through the write path, failures per recipient."""

from __future__ import annotations

import datetime as dt
import uuid

from inbound_world import World
from sqlalchemy import text

from agent_brain import clock
from agent_brain.agents.whatsapp.inbound_stats import InboundStatsArgs, getInboundStats
from agent_brain.agents.whatsapp.segments import SendSegmentMessageArgs, sendSegmentMessage
from agent_brain.inbound.delivery import undelivered
from agent_brain.plan_view import describe_step
from agent_brain.stores.records import PlanStep
from agent_brain.tools.context import ToolContext

N = 500


async def _segment(world: World) -> list[str]:
    """500 customers at the stage «Акция» who wrote an hour ago, plus one who opted out."""
    now = clock.now()
    phones = [f"+7705{n:07d}" for n in range(N + 1)]
    async with world.engine.begin() as conn:
        stage = (await conn.execute(text(
            "INSERT INTO funnel_stages (user_id, name, position) VALUES (:u, 'Акция', 90) RETURNING id"),
            {"u": world.user_id})).scalar_one()
        for i, phone in enumerate(phones):
            lead = (await conn.execute(text(
                "INSERT INTO leads (user_id, name, phone, stage_id, temperature) VALUES (:u, :n, :p, :s, 'hot') "
                "RETURNING id"), {"u": world.user_id, "n": f"Клиент {i}", "p": phone, "s": stage})).scalar_one()
            await conn.execute(text(
                "INSERT INTO whatsapp_dialogs (user_id, phone, contact_name, lead_id, messaging_account_id, "
                "last_inbound_at, last_message_at, opted_out) VALUES (:u, :p, :n, :l, :a, :t, :t, :o)"),
                {"u": world.user_id, "p": phone, "n": f"Клиент {i}", "l": lead, "a": world.whatsapp_account,
                 "t": now - dt.timedelta(hours=1), "o": i == N})
    await world.messaging.customers_wrote("106540352242922", [(p, now - dt.timedelta(hours=1)) for p in phones])
    return phones


async def test_a_broadcast_to_500_customers_reports_the_2_failures_per_recipient_and_sends_each_once(
        world: World) -> None:
    phones = await _segment(world)
    world.messaging.undeliverable |= {phones[17].lstrip("+"), phones[401].lstrip("+")}
    writes = world.runtime.orchestrator.writes.scoped(f"plan-step:{uuid.uuid4()}", user_id=world.user_id)
    ctx = ToolContext(user_id=world.user_id, engine=world.engine, meta=world.runtime.meta, writes=writes)
    args = SendSegmentMessageArgs(stage="Акция", message="Скидка 10% до пятницы!")

    step = await describe_step(PlanStep(action="sendSegmentMessage", params=args.model_dump(mode="json"),
                                        dangerous=True), ctx)
    assert step.target == "500 получателей" and step.changes[0].after == "Скидка 10% до пятницы!"

    result = await sendSegmentMessage(args, ctx)
    # WhatsApp accepts all 500 (an undeliverable number is not refused at send time)…
    assert (result["recipients"], result["sent"], result["failed"], result["skipped"], result["opted_out"]) == \
        (N, N, 0, 0, 1)
    assert len(world.messaging.sent) == N - 2  # …but two never reach their customer
    assert phones[N].lstrip("+") not in {s["to"] for s in world.messaging.sent}  # opted out: never sent
    # One journalled send per recipient; an attempt the number's throughput refused (130429) is journalled
    # as failed and retried under the same key, so only keys are counted (how many retries is timing).
    assert await world.scalar("SELECT count(DISTINCT args->>'key') FROM ai_actions WHERE tool = 'sendMessage'") == N
    assert await world.scalar("SELECT count(*) FROM ai_actions WHERE tool = 'sendMessage' AND status <> 'failed'") \
        == N
    assert await world.scalar("SELECT count(*) FROM whatsapp_messages WHERE direction = 'out' AND status = 'sent'") \
        == N

    # …and say so later, in `failed` status callbacks with 131026, as the Cloud API does.
    assert await world.customers.flush_statuses(only={"failed"}) == 2
    await world.process_pending()
    failed = await world.rows("SELECT d.phone, m.error FROM whatsapp_messages m JOIN whatsapp_dialogs d "
                              "ON d.id = m.dialog_id WHERE m.direction = 'out' AND m.status = 'failed' "
                              "AND m.error ? 'errors' ORDER BY 1")  # a status callback's error (not a 130429 retry)
    assert [(r.phone, r.error["errors"][0]["code"]) for r in failed] == [(phones[17], 131026), (phones[401], 131026)]
    key = await world.scalar("SELECT meta->>'key' FROM whatsapp_messages WHERE meta->>'key' LIKE 'segment:%' LIMIT 1")
    batch = key.rsplit(":", 1)[0]  # segment:<hash>, then :<dialog> per recipient
    assert batch.startswith("segment:") and len(batch) > len("segment:")
    count, per_recipient = await undelivered(world.engine, world.user_id, batch=batch)
    assert count == 2 and sorted((f.recipient, f.code, f.name) for f in per_recipient) == [
        (phones[17], 131026, "Клиент 17"), (phones[401], 131026, "Клиент 401")]
    stats = await getInboundStats(InboundStatsArgs(period="today"), ctx)
    assert stats["undelivered"]["count"] == 2
    assert {i["recipient"] for i in stats["undelivered"]["items"]} == {phones[17], phones[401]}

    # The same step again (a double press, a retried job): nobody gets it twice.
    again = await sendSegmentMessage(args, ctx)
    assert again["sent"] == N and len(world.messaging.sent) == N - 2

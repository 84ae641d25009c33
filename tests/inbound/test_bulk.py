"""A broadcast to a segment of 500 customers: each once, through the write path, failures per recipient."""

from __future__ import annotations

import datetime as dt
import uuid

from inbound_world import World
from sqlalchemy import text

from agent_brain import clock
from agent_brain.agents.whatsapp.segments import SendSegmentMessageArgs, sendSegmentMessage
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
    for phone in phones:
        world.messaging.customer_wrote("106540352242922", phone, now - dt.timedelta(hours=1))
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
    assert (result["recipients"], result["sent"], result["failed"], result["skipped"], result["opted_out"]) == \
        (N, N - 2, 2, 0, 1)
    assert sorted((f["recipient"], f["code"], f["name"]) for f in result["not_sent"]) == [
        (phones[17], 131026, "Клиент 17"), (phones[401], 131026, "Клиент 401")]
    assert len(world.messaging.sent) == N - 2
    assert phones[N].lstrip("+") not in {s["to"] for s in world.messaging.sent}  # opted out: never sent
    assert await world.scalar("SELECT count(*) FROM ai_actions WHERE tool = 'sendMessage'") == N
    assert await world.scalar("SELECT count(*) FROM ai_actions WHERE tool = 'sendMessage' AND status = 'failed'") == 2
    assert await world.scalar("SELECT count(*) FROM whatsapp_messages WHERE direction = 'out' AND status = 'sent'") \
        == N - 2

    # The same step again (a double press, a retried job): nobody gets it twice.
    again = await sendSegmentMessage(args, ctx)
    assert again["sent"] == N - 2 and len(world.messaging.sent) == N - 2

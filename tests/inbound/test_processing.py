"""From the inbox to the customer dialog: exactly once across crashes, analysis, leads, auto-replies,
echoes, status callbacks, handoffs."""

from __future__ import annotations

import datetime as dt

import pytest
from inbound_world import World
from procrastinate.periodic import PeriodicRegistry

from agent_brain import clock
from agent_brain.inbound import inbox
from agent_brain.inbound.accounts import add_rule
from agent_brain.inbound.analysis import Analysis
from agent_brain.jobs.queue import open_queue, run_worker
from agent_brain.jobs.tasks import JobServices


def _url(world: World) -> str:
    return world.engine.url.render_as_string(hide_password=False)


async def test_a_delivery_survives_a_crash_between_the_200_and_processing_and_is_processed_once(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sent = await world.customers.whatsapp("+77015550111", "Сколько стоит имплантация?", name="Марат")
    assert sent.status_code == 200
    # The process died right after answering: nothing was processed, the delivery and its job are durable.
    assert await world.scalar("SELECT count(*) FROM whatsapp_messages WHERE external_id = :m", m=sent.message_id) == 0
    assert await world.scalar("SELECT status::text FROM procrastinate_jobs") == "todo"
    # Another worker starts: the sweep finds the unprocessed delivery, then the queued job runs too.
    await world.process_pending()
    services = JobServices(engine=world.engine, platforms={"meta": world.runtime.meta},
                           store=world.runtime.conversations, inbound=world.service)
    async with open_queue(_url(world)) as queue:
        monkeypatch.setattr(queue, "periodic_registry", PeriodicRegistry())
        await run_worker(queue, services, name="survivor", wait=False)
    assert await world.scalar("SELECT status::text FROM procrastinate_jobs "
                              "WHERE task_name = 'agent_brain:process_inbound_delivery'") == "succeeded"
    assert await world.scalar("SELECT count(*) FROM whatsapp_messages WHERE external_id = :m", m=sent.message_id) == 1
    assert await world.scalar("SELECT attempts FROM inbound_deliveries") == 1
    dialog = (await world.rows("SELECT d.message_count, d.channel, l.phone, l.source FROM whatsapp_dialogs d "
                               "JOIN leads l ON l.id = d.lead_id WHERE d.phone = '+77015550111'"))[0]
    assert (dialog.message_count, dialog.channel, dialog.phone, dialog.source) == (1, "whatsapp", "+77015550111",
                                                                                    "whatsapp")


async def test_a_crash_inside_processing_rolls_it_back_and_the_retry_stores_it_once(world: World) -> None:
    sent = await world.customers.whatsapp("+77015550112", "Хочу записаться на чистку")
    delivery_id = await world.scalar("SELECT id FROM inbound_deliveries")

    class Dies:
        async def analyse(self, text: str, history: list[str]) -> Analysis:
            raise ConnectionResetError("killed mid-way")

    with pytest.raises(ConnectionResetError):
        await inbox.process(world.engine, delivery_id, Dies())
    assert await world.scalar("SELECT count(*) FROM whatsapp_dialogs WHERE phone = '+77015550112'") == 0
    assert await world.scalar("SELECT processed_at IS NULL AND attempts = 1 FROM inbound_deliveries") is True
    await world.process_pending()
    await world.process_pending()
    assert await world.scalar("SELECT count(*) FROM whatsapp_messages WHERE external_id = :m", m=sent.message_id) == 1


async def test_messages_are_analysed_and_found_by_the_dialog_search(world: World) -> None:
    from agent_brain.agents.whatsapp.args import SearchDialogSummariesArgs
    from agent_brain.agents.whatsapp.tools import searchDialogSummaries
    from agent_brain.tools.context import ToolContext

    await world.customers.whatsapp("+77015550113", "Это ужасно, у вас хамят администраторы, верните деньги",
                                   name="Ольга")
    await world.customers.instagram("5512345678901234", "How much is teeth whitening?")
    await world.process_pending()
    rows = await world.rows("SELECT m.intent, m.sentiment, m.confidence, d.channel, d.reply_mode FROM whatsapp_messages m "
                            "JOIN whatsapp_dialogs d ON d.id = m.dialog_id WHERE m.sender = 'customer' ORDER BY m.id")
    assert [(r.intent, r.sentiment, r.channel) for r in rows] == [("complaint", "negative", "whatsapp"),
                                                                  ("price_question", "neutral", "instagram")]
    assert rows[0].reply_mode == "handoff"  # a complaint goes to a person
    assert await world.scalar("SELECT source FROM leads WHERE instagram_id = '5512345678901234'") == "instagram"
    ctx = ToolContext(user_id=world.user_id, engine=world.engine, meta=world.runtime.meta,
                      writes=world.runtime.orchestrator.writes)
    found = await searchDialogSummaries(SearchDialogSummariesArgs(query="хамят администраторы"), ctx)
    assert found["items"] and found["items"][0]["name"] == "Ольга"
    assert "жалоба" in found["items"][0]["tags"]


async def test_a_rule_answers_in_the_customers_language_and_statuses_come_back(world: World) -> None:
    await add_rule(world.engine, world.user_id, name="Цены", intents=["price_question"],
                   template_ru="Чистка стоит 15 000 ₸. Записать вас?", template_en="Cleaning costs $30. Shall I book you?")
    await world.customers.whatsapp("+77015550114", "Сколько стоит чистка зубов?")
    await world.customers.instagram("5512345678900001", "how much is the cleaning?")
    await world.process_pending()
    sent = world.messaging.sent
    assert [(s["platform"], s["text"]) for s in sent] == [
        ("whatsapp", "Чистка стоит 15 000 ₸. Записать вас?"), ("instagram", "Cleaning costs $30. Shall I book you?")]
    # Through the write path: journalled and verified, one action per reply.
    actions = await world.rows("SELECT tool, platform, status FROM ai_actions ORDER BY created_at")
    assert [(a.tool, a.platform, a.status) for a in actions] == [("sendMessage", "whatsapp", "verified"),
                                                                 ("sendMessage", "instagram", "verified")]
    # Instagram echoes our own reply back: stored once, never answered.
    echo = await world.customers.instagram("5512345678900001", sent[1]["text"], echo=True, message_id=sent[1]["id"])
    assert echo.status_code == 200
    assert await world.customers.flush_statuses() == 2  # WhatsApp: sent, delivered
    await world.process_pending()
    assert len(world.messaging.sent) == 2
    statuses = await world.rows("SELECT external_id, status FROM whatsapp_messages WHERE direction = 'out' "
                                "AND external_id IS NOT NULL ORDER BY id")
    assert [s.status for s in statuses][-2:] == ["delivered", "sent"]
    assert await world.scalar("SELECT count(*) FROM whatsapp_messages WHERE external_id = :m", m=sent[1]["id"]) == 1


async def test_the_24_hour_window_allows_only_an_approved_template(world: World) -> None:
    long_ago = clock.now() - dt.timedelta(hours=25)
    await world.customers.whatsapp("+77015550115", "Добрый день", at=long_ago)
    await world.customers.whatsapp("+77015550116", "Добрый день", at=clock.now() - dt.timedelta(hours=23))
    await world.process_pending()
    late = await world.scalar("SELECT id FROM whatsapp_dialogs WHERE phone = '+77015550115'")
    fresh = await world.scalar("SELECT id FROM whatsapp_dialogs WHERE phone = '+77015550116'")
    refused = await world.service.sender.send(world.user_id, late, "Скидка 10% до пятницы", key="w1")
    assert (refused.status, refused.reason) == ("skipped", "outside_window")
    assert world.messaging.sent == []
    template = await world.service.sender.send(world.user_id, late, "Скидка 10% до пятницы", key="w2",
                                               template="discount_offer")
    inside = await world.service.sender.send(world.user_id, fresh, "Скидка 10% до пятницы", key="w3")
    assert template.status == inside.status == "sent"
    assert [(s["to"], s["type"]) for s in world.messaging.sent] == [("77015550115", "template"),
                                                                    ("77015550116", "text")]
    # The platform enforces the same window: a free-form text sent past it comes back as 131047.
    from agent_brain.platforms.graph.errors import GraphError

    with pytest.raises(GraphError) as refused_by_platform:
        await world.runtime.meta.client.post("106540352242922/messages", {
            "messaging_product": "whatsapp", "to": "77015550115", "type": "text", "text": {"body": "hi"}})
    assert refused_by_platform.value.code == 131047


async def test_an_opted_out_customer_gets_nothing(world: World) -> None:
    await world.customers.whatsapp("+77015550117", "Отпишите меня, не пишите мне больше")
    await world.process_pending()
    dialog = await world.scalar("SELECT id FROM whatsapp_dialogs WHERE phone = '+77015550117'")
    assert await world.scalar("SELECT opted_out FROM whatsapp_dialogs WHERE id = :d", d=dialog) is True
    result = await world.service.sender.send(world.user_id, dialog, "Акция!", key="o1")
    assert (result.status, result.reason) == ("skipped", "opted_out") and world.messaging.sent == []


async def test_a_handoff_notifies_the_marketer_with_a_draft_and_a_hot_lead_is_announced(world: World) -> None:
    await world.customers.whatsapp("+77015550118", "Позовите менеджера, пожалуйста", name="Игорь")
    await world.customers.whatsapp("+77015550119", "Хочу записаться на завтра", name="Дина")
    await world.process_pending()
    assert [(c.kind, c.customer, c.reason) for c in world.cards] == [("handoff", "Игорь", "human_request"),
                                                                     ("hot_lead", "Дина", "no_rule")]
    assert world.cards[0].draft and world.messaging.sent == []
    # Processing again (a retried job, the sweep) never reacts twice.
    await world.process_pending()
    assert len(world.cards) == 2


async def test_the_numbers_throughput_limit_is_waited_out_and_the_same_key_sent_once(world: World) -> None:
    from agent_brain.inbound.send import MessageSender

    await world.customers.whatsapp("+77015550120", "Добрый день")
    await world.customers.whatsapp("+77015550121", "Добрый день")
    await world.process_pending()
    first, second = [await world.scalar("SELECT id FROM whatsapp_dialogs WHERE phone = :p", p=p)
                     for p in ("+77015550120", "+77015550121")]
    world.messaging.throughput_per_second = 1
    waits: list[float] = []

    async def wait(seconds: float) -> None:  # the second passes: the number's window frees up
        waits.append(seconds)
        world.messaging._recent.clear()

    sender = MessageSender(world.engine, world.runtime.meta.client, world.runtime.orchestrator.writes, sleep=wait)
    assert (await sender.send(world.user_id, first, "Здравствуйте!", key="t1")).status == "sent"
    result = await sender.send(world.user_id, second, "Здравствуйте!", key="t2")
    assert result.status == "sent" and waits == [1.0]
    assert [s["to"] for s in world.messaging.sent] == ["77015550120", "77015550121"]
    statuses = await world.rows("SELECT status FROM ai_actions WHERE args->>'key' = 't2' ORDER BY created_at")
    assert [s.status for s in statuses] == ["failed", "verified"]  # the refused attempt is journalled too

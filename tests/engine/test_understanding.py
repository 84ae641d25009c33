"""Issue 11 through the real orchestrator, offline model, PostgreSQL and the Graph sandbox:
grounded write targets, clarifying questions with clickable choices answered in their context,
two-part questions answered in full, and the everyday questions a new user asked."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text
from turns import final_text, issue_11_people, new_conversation, turn

from agent_brain.llm.offline.writer import MAX_LISTED
from agent_brain.money import format_money
from agent_brain.platforms.meta.adapter import MetaAdapter

ACCOUNT = "act_100200300400"


async def _rows(product: Any, sql: str, **params: Any) -> list[Any]:
    async with product["engine"].connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def _stage_of(product: Any, lead_id: Any) -> str:
    rows = await _rows(product, "SELECT s.name FROM leads l JOIN funnel_stages s ON s.id = l.stage_id "
                                "WHERE l.id = :id", id=lead_id)
    return rows[0][0]


def _writes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "tool_result" and e["tool"].startswith(("update", "pause", "send"))]


# ── grounded targets ─────────────────────────────────────────────────────────────────────────


async def test_a_phone_in_the_message_wins_over_the_lead_in_focus(product) -> None:  # type: ignore[no-untyped-def]
    """The issue's repro: after moving Наталья Степанова, «лид с телефоном …» moves the phone's owner."""
    phone = "+79706508848"
    await issue_11_people(product["engine"])
    (owner_id, owner_name), = await _rows(product, "SELECT id, name FROM leads WHERE phone = :p", p=phone)
    (focus_id,), = await _rows(product, "SELECT id FROM leads WHERE name = 'Наталья Степанова'")
    assert owner_id != focus_id
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"], "auto")
    first = await turn(orch, product["user_id"], conv, "Переведи Наталью Степанову на этап Консультация")
    assert [w["tool"] for w in _writes(first)] == ["updateLeadStage"]
    assert await _stage_of(product, focus_id) == "Консультация"

    events = await turn(orch, product["user_id"], conv, f"Переведи лид с телефоном {phone} на этап Записан")
    (write,) = _writes(events)
    assert write["success"] and write["result"]["target"]["id"] == str(owner_id)
    assert await _stage_of(product, owner_id) == "Записана"
    assert await _stage_of(product, focus_id) == "Консультация"  # the focus lead is untouched
    assert owner_name in final_text(events)


async def test_an_unknown_phone_is_a_question_never_the_focus_lead(product) -> None:  # type: ignore[no-untyped-def]
    await issue_11_people(product["engine"])
    (focus_id,), = await _rows(product, "SELECT id FROM leads WHERE name = 'Наталья Степанова'")
    free = "+79000000017"
    assert not await _rows(product, "SELECT 1 FROM leads WHERE phone = :p", p=free)
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"], "auto")
    await turn(orch, product["user_id"], conv, "Переведи Наталью Степанову на этап Консультация")
    events = await turn(orch, product["user_id"], conv, f"Переведи лид с телефоном {free} на этап Отказ")
    assert not _writes(events) and "approval_required" not in [e["type"] for e in events]
    assert free in final_text(events) and "?" in final_text(events)
    assert await _stage_of(product, focus_id) == "Консультация"


async def test_equal_names_get_clickable_choices_and_the_answer_is_read_in_context(product) -> None:  # type: ignore[no-untyped-def]
    name, = (await _rows(product, "SELECT name FROM leads GROUP BY name HAVING count(*) > 1 "
                                  "ORDER BY count(*) DESC, name LIMIT 1"))[0]
    leads = await _rows(product, "SELECT id, phone FROM leads WHERE name = :n", n=name)
    orch = product["build"]()
    for answer in ("phone", "click", "ordinal"):
        conv = await new_conversation(orch, product["user_id"], "auto")
        events = await turn(orch, product["user_id"], conv, f"Переведи {name} на этап Лечение")
        assert not _writes(events) and "approval_required" not in [e["type"] for e in events]
        done = next(e for e in events if e["type"] == "done")
        choices = done["choices"]
        assert len(choices) == min(len(leads), 5)
        phones = {phone for _, phone in leads}
        assert all(any(p in c["label"] for p in phones) for c in choices)  # told apart by phone
        stored = await _rows(product, "SELECT tool_result FROM ai_messages WHERE conversation_id = :c "
                                      "AND role = 'assistant' ORDER BY id DESC LIMIT 1", c=conv)
        assert stored[0][0] == {"choices": choices}  # the page re-renders the buttons from history

        second = choices[1]
        target_phone = next(p for p in phones if p in second["label"])
        target_id = next(i for i, p in leads if p == target_phone)
        reply = {"phone": f"тот, у которого телефон {target_phone}", "click": second["reply_text"],
                 "ordinal": "второй"}[answer]
        events = await turn(orch, product["user_id"], conv, reply)
        assert events[0]["agents"] == ["crm"], answer  # not re-classified to WhatsApp by the phone
        (write,) = _writes(events)
        assert write["tool"] == "updateLeadStage" and write["result"]["target"]["id"] == str(target_id), answer
        assert await _stage_of(product, target_id) == "Лечение"
        # The question is closed: the same answer again is an ordinary message, not a second write.
        again = await turn(orch, product["user_id"], conv, reply)
        assert not _writes(again)


async def test_a_named_campaigns_budget_is_a_plan_for_its_direction(product) -> None:  # type: ignore[no-untyped-def]
    meta: MetaAdapter = product["meta"]
    campaign = next(c for c in await meta.list_campaigns(ACCOUNT) if c.name == "Брекеты Москва")
    (direction_id,), = await _rows(product, "SELECT id FROM directions WHERE fb_campaign_id = :c", c=campaign.id)
    orch = product["build"]()
    for message in ("Подними бюджет кампании Брекеты Москва до $50", "Set the budget of campaign Брекеты Москва "
                                                                       "to $50"):
        conv = await new_conversation(orch, product["user_id"], "auto")
        events = await turn(orch, product["user_id"], conv, message)
        approval = next(e for e in events if e["type"] == "approval_required")
        (step,) = approval["plan"]["steps"]
        assert step["action"] == "updateDirectionBudget"
        assert step["params"] == {"directionId": str(direction_id), "dailyBudgetCents": 5000}


async def test_a_percentage_change_is_a_plan_with_the_computed_value(product) -> None:  # type: ignore[no-untyped-def]
    rows = await _rows(product, "SELECT id, daily_budget_cents FROM directions WHERE name = 'Брекеты'")
    (direction_id, budget), = rows
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"], "auto")
    events = await turn(orch, product["user_id"], conv, "Увеличь бюджет направления Брекеты на 20%")
    approval = next(e for e in events if e["type"] == "approval_required")
    (step,) = approval["plan"]["steps"]
    assert step["params"] == {"directionId": str(direction_id), "dailyBudgetCents": round(budget * 1.2)}
    assert format_money(round(budget * 1.2), "USD") in final_text(events)


# ── everyday questions ───────────────────────────────────────────────────────────────────────


async def test_worst_and_best_campaign_by_cpl_are_named(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    for message, worst in (("Какая кампания самая худшая по цене лида?", True),
                           ("Which campaign has the worst CPL?", True),
                           ("Какая кампания лучшая по CPL?", False)):
        conv = await new_conversation(orch, product["user_id"])
        events = await turn(orch, product["user_id"], conv, message)
        result = next(e for e in events if e["type"] == "tool_result")
        assert result["tool"] == "getSpendReport" and result["result"]["group_by"] == "campaign"
        items = [i for i in result["result"]["items"] if i["spend_cents"]]
        no_leads = [i for i in items if not i["leads"]]
        with_leads = [i for i in items if i["leads"]]
        if worst and no_leads:
            expected = max(no_leads, key=lambda i: i["spend_cents"])
        elif worst:
            expected = max(with_leads, key=lambda i: i["cpl_cents"])
        else:
            expected = min(with_leads, key=lambda i: i["cpl_cents"])
        first_line = final_text(events).splitlines()[0]
        assert expected["name"] in first_line, (message, first_line)


async def test_follow_ups_after_leads_dialogs_and_creatives(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    for first, tool in (("Покажи лиды за сегодня", "getLeads"), ("Покажи диалоги WhatsApp", "getDialogs"),
                        ("Топ креативов по CPL", "getTopCreatives")):
        conv = await new_conversation(orch, product["user_id"])
        await turn(orch, product["user_id"], conv, first)
        events = await turn(orch, product["user_id"], conv, "а за вчера?")
        result = next(e for e in events if e["type"] == "tool_result")
        assert result["tool"] == tool and result["success"], (first, result)
        assert result["result"]["period"]["label"] == "yesterday"


async def test_dialogs_waiting_for_our_reply(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"])
    events = await turn(orch, product["user_id"], conv, "Какие диалоги ждут нашего ответа за 30 дней?")
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["tool"] == "getDialogs"
    period = result["result"]["period"]
    expected = await _rows(product, """
        SELECT d.phone FROM whatsapp_dialogs d
        JOIN LATERAL (SELECT direction FROM whatsapp_messages m WHERE m.dialog_id = d.id
                      ORDER BY sent_at DESC, id DESC LIMIT 1) last ON true
        WHERE last.direction = 'in' AND d.last_message_at >= :f AND d.last_message_at < :t""",
                           f=dt.datetime.fromisoformat(period["from"]).replace(tzinfo=dt.UTC),
                           t=(dt.datetime.fromisoformat(period["to"]) + dt.timedelta(days=1)).replace(tzinfo=dt.UTC))
    assert expected, "the demo world has dialogs waiting for a reply"
    assert result["result"]["total"]["dialogs"] == len(expected)
    assert {i["phone"] for i in result["result"]["items"]} <= {p for p, in expected}
    assert all(i["last_message"]["direction"] == "in" for i in result["result"]["items"])
    assert "ждут нашего ответа" in final_text(events)


async def test_burning_out_creatives_show_their_risk_factors(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"])
    events = await turn(orch, product["user_id"], conv, "Какие креативы выгорают?")
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["tool"] == "getCreativeScores"
    items = result["result"]["items"]
    assert items and all(i["risk_level"] == "high" for i in items)
    assert items[0]["name"] in final_text(events) and items[0]["factors"][0] in final_text(events)


async def test_list_footer_counts_the_real_remainder(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"])
    events = await turn(orch, product["user_id"], conv, "Покажи лиды за 30 дней")
    result = next(e for e in events if e["type"] == "tool_result")
    total = result["result"]["total"]["leads"]
    shown = min(len(result["result"]["items"]), MAX_LISTED)
    assert total > shown  # the reply lists part of the whole list …
    assert f"… и ещё {total - shown}." in final_text(events)  # … and says how many it left out, counted right


# ── every part answered ──────────────────────────────────────────────────────────────────────


async def test_two_part_questions_answer_both_parts(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    for message, ads_tool in (("Покажи расходы за неделю и новые лиды", "getSpendReport"),
                              ("Сколько потратили за неделю и сколько новых лидов в CRM?", "getSpendReport"),
                              ("Как дела с рекламой и заявками за вчера?", "getCampaigns")):
        conv = await new_conversation(orch, product["user_id"])
        events = await turn(orch, product["user_id"], conv, message)
        assert events[0]["domain"] == "mixed" and events[0]["agents"] == ["ads", "crm"], message
        results = {e["tool"]: e["result"] for e in events if e["type"] == "tool_result"}
        assert {ads_tool, "getLeads"} <= results.keys(), (message, results.keys())
        leads = results["getLeads"]
        period = leads["period"]
        (expected_leads,), = await _rows(
            product, "SELECT count(*) FROM leads WHERE created_at >= :f AND created_at < :t",
            f=dt.datetime.fromisoformat(period["from"]).replace(tzinfo=dt.UTC),
            t=(dt.datetime.fromisoformat(period["to"]) + dt.timedelta(days=1)).replace(tzinfo=dt.UTC))
        assert leads["total"]["leads"] == expected_leads
        reply = final_text(events)
        assert str(expected_leads) in reply, (message, reply)
        spend = results[ads_tool]["total"]["spend_cents"]
        assert format_money(spend, "USD") in reply, (message, reply)


async def test_a_part_that_cannot_be_done_is_named_and_the_rest_answered(product) -> None:  # type: ignore[no-untyped-def]
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"])
    events = await turn(orch, product["user_id"], conv, "Покажи расходы за неделю и выгрузи их в CSV")
    (result,) = [e for e in events if e["type"] == "tool_result"]
    assert result["tool"] == "getSpendReport"
    reply = final_text(events)
    assert format_money(result["result"]["total"]["spend_cents"], "USD") in reply
    assert "Этого я пока не умею: выгружать в PDF или Google Таблицы, или показывать и выгружать одним" in reply


async def test_choices_never_follow_a_plan(product) -> None:  # type: ignore[no-untyped-def]
    """A plan's message carries its plan, not choices (the two never share a message)."""
    orch = product["build"]()
    conv = await new_conversation(orch, product["user_id"], "plan")
    events = await turn(orch, product["user_id"], conv, "Останови кампанию Виниры СПб")
    done = next(e for e in events if e["type"] == "done")
    assert done["plan_id"] and "choices" not in done
    uuid.UUID(done["plan_id"])

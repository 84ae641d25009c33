"""Driving the orchestrator from tests: one turn's events as JSON, a fresh conversation in a mode."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.orchestrator.orchestrator import Orchestrator, TurnRequest


async def turn(orch: Orchestrator, user_id: uuid.UUID, conv_id: uuid.UUID, message: str) -> list[dict[str, Any]]:
    return [e.to_json() async for e in orch.process(TurnRequest(user_id, message, "web", conv_id))]


async def new_conversation(orch: Orchestrator, user_id: uuid.UUID, mode: str = "plan") -> uuid.UUID:
    conv = await orch.store.get_or_create(user_id=user_id, source="web")
    await orch.store.set_mode(conv.id, mode)  # type: ignore[arg-type]
    return conv.id


def final_text(events: list[dict[str, Any]]) -> str:
    return next(e for e in events if e["type"] == "done")["text"]


# The leads issue 11's repro named («Переведи Наталью Степанову …», «лид с телефоном +79706508848»), as the
# demo world had them on the day it was filed. The world is built for whatever day the suite runs on, so the
# tests that replay the repro make sure these people exist — once each, with these phones — first.
ISSUE_11_PEOPLE = (("Наталья Степанова", "+77010028069"), ("Сергей Никитин", "+79706508848"),
                   ("Сергей Никитин", "+79427071952"))


async def issue_11_people(engine: AsyncEngine) -> dict[tuple[str, str], str]:
    """(name, phone) → lead id for the repro's people in the demo account (added where missing; other leads
    that share their names or phones on this day are renamed or lose the phone, so the repro reads as filed)."""
    names = sorted({n for n, _ in ISSUE_11_PEOPLE})
    phones = [p for _, p in ISSUE_11_PEOPLE]
    pairs = [f"{n}|{p}" for n, p in ISSUE_11_PEOPLE]
    async with engine.begin() as conn:
        await conn.execute(text(
            "UPDATE leads SET name = name || ' (' || right(coalesce(phone, id::text), 4) || ')' "
            "WHERE name = ANY(:names) AND (name || '|' || coalesce(phone, '')) <> ALL(:pairs)"),
            {"names": names, "pairs": pairs})
        await conn.execute(text("UPDATE leads SET phone = NULL WHERE phone = ANY(:phones) "
                                "AND (name || '|' || phone) <> ALL(:pairs)"), {"phones": phones, "pairs": pairs})
        ids = {}
        for name, phone in ISSUE_11_PEOPLE:
            found = (await conn.execute(text("SELECT id FROM leads WHERE name = :n AND phone = :p"),
                                        {"n": name, "p": phone})).scalar()
            if found is None:
                found = (await conn.execute(text(
                    "INSERT INTO leads (user_id, ad_account_id, name, phone, stage_id, direction_id) "
                    "SELECT u.id, a.id, :n, :p, s.id, (SELECT id FROM directions WHERE ad_account_id = a.id "
                    "ORDER BY name LIMIT 1) FROM users u JOIN ad_accounts a ON a.user_id = u.id "
                    "JOIN funnel_stages s ON s.user_id = u.id AND s.position = (SELECT min(position) "
                    "FROM funnel_stages WHERE user_id = u.id) WHERE u.name = 'demo' RETURNING id"),
                    {"n": name, "p": phone})).scalar_one()
            ids[(name, phone)] = str(found)
    return ids

"""The dialog tools reach Instagram dialogs too (issue 19): by contact name through the chat (the offline
model resolves the name to the dialog's ig:<id>) and by Instagram id directly; «какие диалоги ждут
ответа?» lists inbound WhatsApp and Instagram dialogs alike."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from inbound_world import World

from agent_brain.agents.whatsapp.args import DialogArgs, DialogMessagesArgs
from agent_brain.agents.whatsapp.tools import analyzeDialog, getDialogMessages
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import ToolError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from turns import new_conversation, turn  # noqa: E402

IGSID = "17841400000123"


async def _instagram_customer(world: World) -> None:
    async with world.engine.begin() as conn:  # the Instagram profile's name, as the contact is saved
        from sqlalchemy import text

        await world.customers.instagram(IGSID, "Сколько стоят виниры?")
        await world.process_pending()
        await conn.execute(text("UPDATE whatsapp_dialogs SET contact_name = 'Айгерим Сапарова' "
                                "WHERE instagram_id = :i"), {"i": IGSID})


def _ctx(world: World) -> ToolContext:
    return ToolContext(user_id=world.user_id, engine=world.engine, meta=world.runtime.meta,
                       writes=world.runtime.orchestrator.writes)


def _calls(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["tool"], e["args"]) for e in events if e["type"] == "tool_start"]


async def test_instagram_dialog_by_id_messages_and_analysis(world: World) -> None:
    await _instagram_customer(world)
    assert DialogArgs(phone=f"IG:{IGSID}").phone == f"ig:{IGSID}"
    got = await getDialogMessages(DialogMessagesArgs(phone=f"ig:{IGSID}"), _ctx(world))
    assert got["dialog"]["channel"] == "instagram" and got["dialog"]["instagram_id"] == IGSID
    assert [m["text"] for m in got["items"] if m["direction"] == "in"] == ["Сколько стоят виниры?"]
    analysis = await analyzeDialog(DialogArgs(phone=f"ig:{IGSID}"), _ctx(world))
    assert analysis["item"]["id"] == got["dialog"]["id"] and analysis["item"]["channel"] == "instagram"
    assert analysis["item"]["tags"] and analysis["item"]["summary"]
    with pytest.raises(ToolError, match="Instagram 99999999"):
        await getDialogMessages(DialogMessagesArgs(phone="ig:99999999"), _ctx(world))
    # Another user's Instagram dialog looks exactly like a missing one.
    stranger, _ = await world.runtime.users.create_user("stranger-ig", language="ru")
    other = ToolContext(user_id=stranger.id, engine=world.engine, meta=world.runtime.meta,
                        writes=world.runtime.orchestrator.writes)
    with pytest.raises(ToolError, match="не найден"):
        await getDialogMessages(DialogMessagesArgs(phone=f"ig:{IGSID}"), other)


async def test_chat_reaches_an_instagram_dialog_by_contact_name(world: World) -> None:
    await _instagram_customer(world)
    orch = world.runtime.orchestrator
    conv = await new_conversation(orch, world.user_id)
    events = await turn(orch, world.user_id, conv, "Покажи переписку с Айгерим Сапаровой")
    assert ("getDialogMessages", {"phone": f"ig:{IGSID}"}) in [(n, {k: v for k, v in a.items() if k == "phone"})
                                                              for n, a in _calls(events)]
    done = next(e for e in events if e["type"] == "done")
    assert "Сколько стоят виниры?" in done["text"]
    events = await turn(orch, world.user_id, conv, "Проанализируй диалог с Айгерим Сапаровой")
    assert [a.get("phone") for n, a in _calls(events) if n == "analyzeDialog"] == [f"ig:{IGSID}"]


async def test_which_dialogs_await_a_reply_covers_inbound_instagram_and_whatsapp(world: World) -> None:
    await _instagram_customer(world)
    await world.customers.whatsapp("+77019990001", "Можно записаться на завтра?", name="Данияр")
    await world.process_pending()
    orch = world.runtime.orchestrator
    conv = await new_conversation(orch, world.user_id)
    events = await turn(orch, world.user_id, conv, "какие диалоги ждут ответа?")
    results = [e for e in events if e["type"] == "tool_result" and e["tool"] == "getDialogs"]
    assert results, _calls(events)
    done = next(e for e in events if e["type"] == "done")
    assert "Айгерим Сапарова — канал instagram" in done["text"] and "Данияр — телефон +77019990001" in done["text"]

"""The WhatsApp agent's tools against the seeded demo world; counts are checked against plain SQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, literal_column, select
from tool_calls import make_callers

from agent_brain import clock
from agent_brain.agents.whatsapp import AGENT
from agent_brain.agents.whatsapp.tools import tools
from agent_brain.db.models import DialogAnalysis, WhatsAppDialog, WhatsAppMessage
from agent_brain.stores.users import UserStore
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE

MARIA, ANNA, JAMES = "+79991234567", "+77001234567", "+447700900123"


call, ok = make_callers(tools)


async def scalar(ctx: ToolContext, stmt: Any) -> Any:
    async with ctx.engine.connect() as conn:
        return (await conn.execute(stmt)).scalar_one()


async def dialog_state(ctx: ToolContext, phone: str) -> tuple[int, int, dt.datetime | None]:
    """(stored messages, message_count, last_message_at) of the demo user's dialog."""
    async with ctx.engine.connect() as conn:
        dialog = (await conn.execute(select(WhatsAppDialog).where(
            WhatsAppDialog.user_id == ctx.user_id, WhatsAppDialog.phone == phone))).one()
        stored = (await conn.execute(select(func.count()).where(WhatsAppMessage.dialog_id == dialog.id))).scalar_one()
    return stored, dialog.message_count, dialog.last_message_at


async def foreign_dialog(ctx: ToolContext, phone: str = "+79990000002") -> str:
    other, _ = await UserStore(ctx.engine).create_user(f"other-{uuid.uuid4().hex[:6]}")
    async with ctx.engine.begin() as conn:
        dialog = (await conn.execute(insert(WhatsAppDialog).values(
            user_id=other.id, phone=phone, contact_name="Чужой Контакт", message_count=1)
            .returning(WhatsAppDialog.id))).scalar_one()
        await conn.execute(insert(WhatsAppMessage).values(dialog_id=dialog, direction="in", text="Секрет",
                                                          sent_at=clock.now()))
    return phone


# ── declarations ────────────────────────────────────────────────────────────────────────────


def test_tools_are_declared_with_descriptions_and_strict_schemas() -> None:
    assert tools.names() == ["getDialogs", "getDialogMessages", "analyzeDialog", "searchDialogSummaries",
                             "sendBulkMessage", "getInboundStats", "sendSegmentMessage"]
    for tool in tools:
        assert len(tool.description) > 40, tool.name
        params = tool.openai_schema()["function"]["parameters"]
        assert params["additionalProperties"] is False
        assert set(params["required"]) == set(params["properties"])
        write = tool.name in ("sendBulkMessage", "sendSegmentMessage")
        assert tool.kind is (WRITE if write else READ) and tool.dangerous is write
    assert AGENT.tools is tools and AGENT.domain == "whatsapp"
    assert "NEVER INSTRUCTIONS" in AGENT.prompt.text and len(AGENT.prompt.text.splitlines()) <= 50


# ── getDialogs / getDialogMessages ──────────────────────────────────────────────────────────


async def test_get_dialogs_counts_equal_sql_and_are_latest_first(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "getDialogs", period="last_30d", limit=100)
    end = dt.datetime.combine(tool_ctx.today, dt.time.min, tzinfo=ZoneInfo(tool_ctx.timezone))
    in_period = [WhatsAppDialog.user_id == tool_ctx.user_id, WhatsAppDialog.last_message_at >= end - dt.timedelta(30),
                 WhatsAppDialog.last_message_at < end]
    assert data["total"]["dialogs"] == await scalar(tool_ctx, select(func.count()).where(*in_period)) > 0
    assert data["count"] == len(data["items"]) == min(100, data["total"]["dialogs"])
    latest = [i["last_message_at"] for i in data["items"]]
    assert latest == sorted(latest, reverse=True)
    assert all(i["last_message"]["text"] for i in data["items"])

    hot = await ok(tool_ctx, "getDialogs", period="last_30d", interestLevel="hot", limit=100)
    expected = await scalar(tool_ctx, select(func.count()).select_from(WhatsAppDialog).join(
        DialogAnalysis, DialogAnalysis.dialog_id == WhatsAppDialog.id).where(
        *in_period, DialogAnalysis.interest_level == "hot"))
    assert hot["total"]["dialogs"] == hot["total"]["hot"] == expected > 0
    assert all(i["interest_level"] == "hot" for i in hot["items"])

    found = await ok(tool_ctx, "getDialogs", search="мария сидорова")
    assert [(i["name"], i["phone"]) for i in found["items"]] == [("Мария Сидорова", MARIA)]
    assert found["period"] is None


async def test_get_dialog_messages(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "getDialogMessages", phone="8 (999) 123-45-67", limit=200)  # normalised to +7…
    stored, count, last = await dialog_state(tool_ctx, MARIA)
    assert data["dialog"]["phone"] == MARIA and data["dialog"]["name"] == "Мария Сидорова"
    assert data["count"] == len(data["items"]) == stored == data["total"]["messages"] == count
    sent = [m["sent_at"] for m in data["items"]]
    assert sent == sorted(sent) and sent[-1] == last.isoformat()
    assert {m["direction"] for m in data["items"]} == {"in", "out"}
    latest_two = await ok(tool_ctx, "getDialogMessages", phone=MARIA, limit=2)
    assert latest_two["items"] == data["items"][-2:]

    missing = await call(tool_ctx, "getDialogMessages", phone="+70000000000")
    assert not missing.success and missing.error_code == "not_found" and "+70000000000" in (missing.error or "")


async def test_another_users_dialog_is_not_found(tool_ctx: ToolContext) -> None:
    phone = await foreign_dialog(tool_ctx)
    for name in ("getDialogMessages", "analyzeDialog"):
        outcome = await call(tool_ctx, name, phone=phone)
        assert not outcome.success and outcome.error_code == "not_found", name
    listed = await ok(tool_ctx, "getDialogs", search="Чужой")
    assert listed["items"] == []


# ── analyzeDialog ───────────────────────────────────────────────────────────────────────────


async def test_analyze_dialog_returns_the_stored_analysis(tool_ctx: ToolContext) -> None:
    item = (await ok(tool_ctx, "analyzeDialog", phone=MARIA))["item"]
    assert item["source"] == "stored" and item["phone"] == MARIA
    assert "жаловалась на цену" in item["summary"] and "цена" in item["tags"]
    assert item["interest_level"] == "hot" and item["stale"] is False


async def test_analyze_dialog_computes_and_stores_when_missing(tool_ctx: ToolContext) -> None:
    async with tool_ctx.engine.begin() as conn:
        await conn.execute(delete(DialogAnalysis).where(DialogAnalysis.dialog_id.in_(
            select(WhatsAppDialog.id).where(WhatsAppDialog.phone.in_([MARIA, JAMES])))))

    preview = (await ok(dataclasses.replace(tool_ctx, dry_run=True), "analyzeDialog", phone=MARIA))["item"]
    assert preview["source"] == "computed"
    assert await scalar(tool_ctx, select(func.count()).select_from(DialogAnalysis).join(
        WhatsAppDialog, WhatsAppDialog.id == DialogAnalysis.dialog_id).where(WhatsAppDialog.phone == MARIA)) == 0

    maria = (await ok(tool_ctx, "analyzeDialog", phone=MARIA))["item"]
    assert maria["source"] == "computed" and maria["language"] == "ru"
    assert maria["summary"] == preview["summary"]
    assert maria["objections"] == ["высокая цена"]  # «Ого, дорого…»
    assert maria["interest_level"] == "hot"  # she booked a visit
    assert {"имплантация", "цена", "рассрочка", "запись"} <= set(maria["tags"])
    assert maria["insights"]["method"] == "keywords" and maria["insights"]["next_action"]

    again = (await ok(tool_ctx, "analyzeDialog", phone=MARIA))["item"]
    assert again["source"] == "stored" and again["summary"] == maria["summary"]
    stored = await scalar(tool_ctx, select(func.count()).select_from(DialogAnalysis).join(
        WhatsAppDialog, WhatsAppDialog.id == DialogAnalysis.dialog_id).where(WhatsAppDialog.phone == MARIA))
    assert stored == 1

    james = (await ok(tool_ctx, "analyzeDialog", phone=JAMES))["item"]
    assert james["language"] == "en" and james["objections"] == ["high price"]
    assert james["interest_level"] == "warm" and james["summary"].startswith("Contact: James Carter")


# ── searchDialogSummaries ───────────────────────────────────────────────────────────────────


async def test_search_finds_price_complaints_including_synonyms(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "searchDialogSummaries", query="жаловались на цену", limit=50)
    items = data["items"]
    full = [i for i in items if i["match"] == "all_terms"]
    assert "Мария Сидорова" in {i["name"] for i in full}
    assert all("жалова" in i["snippet"] for i in full)
    # «возражал по цене» shares only the stem «цен»: found by the stem fallback, ranked after.
    assert any("возражал" in i["snippet"] and "по цене" in i["snippet"] for i in items)
    assert [i["match"] for i in items] == sorted((i["match"] for i in items), key=["all_terms", "any_term"].index)
    assert [i["rank"] for i in full] == sorted((i["rank"] for i in full), reverse=True)
    assert {"id", "name", "phone", "snippet", "tags", "rank"} <= set(items[0])

    russian_fts = DialogAnalysis.summary_tsv.bool_op("@@")(
        func.websearch_to_tsquery(literal_column("'russian'::regconfig"), "жаловались на цену"))
    expected = await scalar(tool_ctx, select(func.count()).where(DialogAnalysis.user_id == tool_ctx.user_id,
                                                                 russian_fts))
    assert data["total"]["all_terms"] == len(full) == expected


async def test_search_falls_back_to_stems_when_nothing_matches_every_word(tool_ctx: ToolContext) -> None:
    data = await ok(tool_ctx, "searchDialogSummaries", query="цена со скидкой")  # no summary says «скидка»
    assert data["query"]["fallback"] is True and data["total"]["all_terms"] == 0
    assert data["items"] and all(i["match"] == "any_term" and "цен" in i["snippet"].lower() for i in data["items"])


async def test_search_english_and_tags(tool_ctx: ToolContext) -> None:
    english = await ok(tool_ctx, "searchDialogSummaries", query="complained about the price")
    assert {i["name"] for i in english["items"]} == {"James Carter", "Daniel Brooks"}
    assert all(i["match"] == "all_terms" for i in english["items"])

    booked = await ok(tool_ctx, "searchDialogSummaries", query="рассрочка", tags=["Запись"], limit=50)
    assert booked["items"] and all("запись" in i["tags"] for i in booked["items"])
    everyone = await ok(tool_ctx, "searchDialogSummaries", query="рассрочка", limit=50)
    assert len(everyone["items"]) > len(booked["items"])

    nothing = await ok(tool_ctx, "searchDialogSummaries", query="рассрочка", tags=["нет такого тега"])
    assert nothing["items"] == [] and nothing["count"] == 0


# ── sendBulkMessage ─────────────────────────────────────────────────────────────────────────


async def _outgoing(ctx: ToolContext, text: str) -> int:
    return await scalar(ctx, select(func.count()).where(WhatsAppMessage.text == text,
                                                        WhatsAppMessage.direction == "out"))


async def test_send_bulk_message_records_once_and_reports_unknown(tool_ctx: ToolContext) -> None:
    text = "Скидка 10% на консультацию до пятницы"
    before = {p: await dialog_state(tool_ctx, p) for p in (MARIA, ANNA)}
    foreign = await foreign_dialog(tool_ctx)

    sent = await ok(tool_ctx, "sendBulkMessage", phones=[MARIA, "+7 700 123 45 67", "+70000000000", foreign],
                    message=text)
    assert sent["success"] and sent["cached"] is False and sent["dry_run"] is False
    assert sent["verification"]["verified"] is True
    assert sent["unknown_phones"] == ["+70000000000", foreign]  # not the user's dialogs: not messaged
    assert sent["result"]["queued"] == 2 and sent["result"]["delivery"] == "queued_in_crm"
    assert "CRM" in sent["result"]["notice"]
    assert sent["action"] == "send_bulk_message" and "Мария Сидорова" in sent["target"]["name"]
    assert await _outgoing(tool_ctx, text) == 2
    for phone, (stored, count, last) in before.items():
        now_stored, now_count, now_last = await dialog_state(tool_ctx, phone)
        assert (now_stored, now_count) == (stored + 1, count + 1)
        assert now_last is not None and last is not None and now_last > last

    repeat = await ok(tool_ctx, "sendBulkMessage", phones=[ANNA, MARIA], message=text)
    assert repeat["cached"] is True
    assert await _outgoing(tool_ctx, text) == 2


async def test_send_bulk_message_dry_run_and_no_recipients(tool_ctx: ToolContext) -> None:
    text = "Проверка: ничего не отправлять"
    dry = await ok(dataclasses.replace(tool_ctx, dry_run=True), "sendBulkMessage", phones=[MARIA, ANNA],
                   message=text)
    assert dry["dry_run"] is True and dry["expected"] == {"recipients": 2}
    assert await _outgoing(tool_ctx, text) == 0

    nobody = await call(tool_ctx, "sendBulkMessage", phones=["+70000000000"], message=text)
    assert not nobody.success and nobody.error_code == "no_recipients"
    assert await _outgoing(tool_ctx, text) == 0

"""Streaming replies: one message edited as text arrives, ≥ 1 s apart (Telegram's per-chat
guideline), 429s honoured, the final text complete, long replies split, HTML escaped, charts sent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from tg_support import DEMO_CHAT, ScriptedModel, Telegram

from agent_brain import clock
from agent_brain.db.models import SandboxAdStats
from agent_brain.demo.world import DEMO_TIMEZONE
from agent_brain.money import format_money
from telegram_bot.render import markdown_block, to_html
from telegram_bot.standin import MESSAGE_METHODS, visible_text

LONG_PROMPT = "Дай длинный отчёт"
LONG_REPLY = "\n".join(f"№{n:03d} Кампания «Тест <{n}> & Co»: расход $1{n:02d}.00, лиды {n}, CPL **$9.{n:02d}** "
                       + "·" * 28 for n in range(1, 61))


@pytest.fixture
def model() -> ScriptedModel:
    # Text arrives over ~1 s, as from a remote LLM; one scripted 6000-character reply.
    return ScriptedModel(delay=0.12, replies={LONG_PROMPT: LONG_REPLY})


async def _final_reply(tg: Telegram) -> str:
    conv = await tg.runtime.conversations.get_or_create(user_id=(await tg.demo_user()).id, source="telegram",
                                                        telegram_chat_id=DEMO_CHAT)
    messages = await tg.runtime.conversations.load_messages(conv.id)
    final = next(m.content for m in reversed(messages) if m.role == "assistant" and m.content)
    return visible_text(to_html(*markdown_block(final)))  # as the chat shows the Markdown


async def test_read_reply_streams_by_edits_at_most_one_call_a_second(tg_realtime: Telegram) -> None:
    tg = tg_realtime
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Покажи расходы за неделю")
    calls = tg.standin.calls_of(*MESSAGE_METHODS, "sendChatAction", chat_id=DEMO_CHAT)
    assert calls[0].method == "sendChatAction" and calls[0].params["action"] == "typing"
    texts = [c for c in calls if c.method in ("sendMessage", "editMessageText")]
    assert texts[0].method == "sendMessage" and visible_text(texts[0].params["text"]).startswith("⏳ Считаю расходы")
    edits = [c for c in texts if c.method == "editMessageText"]
    assert len(edits) >= 2  # really streamed, not one message at the end
    paced = [c for c in calls if c.method in MESSAGE_METHODS]
    gaps = [b.at - a.at for a, b in zip(paced, paced[1:], strict=False)]
    assert min(gaps) >= 0.95, gaps  # ≤ 1 message/s per chat, edits included (50 ms clock jitter)
    assert tg.standin.gap_violations == 0
    assert all(c.status == 200 for c in tg.standin.calls)  # never an unchanged edit, never bad HTML
    assert tg.standin.violations == 0  # within ~1 message/s per chat
    final = await _final_reply(tg)
    shown = tg.replies(DEMO_CHAT)
    text_message = next(r for r in shown if r.startswith("✓ Считаю расходы"))
    assert text_message == "✓ Считаю расходы\n\n" + final
    assert "getSpendReport" not in "".join(c.params.get("text", "") for c in texts)  # words, not tool names


async def test_flood_wait_is_honoured_and_the_final_text_survives(tg_realtime: Telegram) -> None:
    tg = tg_realtime
    await tg.link(DEMO_CHAT)
    tg.standin.fail_next("editMessageText", retry_after=1, chat_id=DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Покажи расходы за неделю")
    calls = tg.standin.calls_of(*MESSAGE_METHODS, chat_id=DEMO_CHAT)
    refused = next(i for i, c in enumerate(calls) if c.status == 429)
    assert calls[refused + 1].at - calls[refused].at >= 1.0  # nothing sent to the chat during the wait
    assert tg.standin.violations == 0 and tg.standin.rate_limited == 1
    assert tg.replies(DEMO_CHAT)[0] == "✓ Считаю расходы\n\n" + await _final_reply(tg)


async def test_flood_wait_uses_retry_after(tg: Telegram) -> None:
    """Fake clock: the wait the bot asked for is exactly what Telegram said (many 429s in a row)."""
    await tg.link(DEMO_CHAT)
    tg.standin.fail_next("editMessageText", retry_after=7, chat_id=DEMO_CHAT, count=3)
    await tg.say(DEMO_CHAT, "Покажи расходы за неделю")
    assert tg.clock is not None and sum(1 for s in tg.clock.sleeps if 6.9 < s <= 7.0) == 3
    assert tg.replies(DEMO_CHAT)[0] == "✓ Считаю расходы\n\n" + await _final_reply(tg)


async def test_long_reply_is_split_at_line_boundaries_and_escaped(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    assert 5500 < len(LONG_REPLY) < 6500
    await tg.say(DEMO_CHAT, LONG_PROMPT)
    sent = tg.standin.calls_of("sendMessage", chat_id=DEMO_CHAT)
    assert len(sent) == 2
    shown = tg.replies(DEMO_CHAT)
    assert len(shown) == 2 and all(len(s) <= 4096 for s in shown)
    assert shown[0].endswith("·") and shown[1].startswith(f"№{len(shown[0].splitlines()) + 1:03d} ")
    assert "\n".join(shown) == LONG_REPLY.replace("**", "")  # every line, in order; <n> and & intact
    raw = tg.standin.chat_messages(DEMO_CHAT)[0].text or ""
    assert "&lt;1&gt; &amp; Co" in raw and "<b>$9.01</b>" in raw


async def test_split_parts_and_the_chart_go_out_at_most_one_a_second(tg_realtime: Telegram) -> None:
    """Real clock: every message call of a split reply (sends and edits) is ≥ 1 s after the previous one."""
    tg = tg_realtime
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, LONG_PROMPT)
    paced = tg.standin.calls_of(*MESSAGE_METHODS, chat_id=DEMO_CHAT)
    assert len(tg.standin.calls_of("sendMessage", chat_id=DEMO_CHAT)) == 2
    gaps = [b.at - a.at for a, b in zip(paced, paced[1:], strict=False)]
    assert gaps and min(gaps) >= 0.95, gaps
    assert tg.standin.gap_violations == 0 and tg.standin.violations == 0 and tg.standin.rate_limited == 0


async def test_daily_series_is_sent_as_a_chart(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Покажи расходы за неделю")
    photos = tg.standin.calls_of("sendPhoto", chat_id=DEMO_CHAT)
    assert len(photos) == 1
    message = tg.standin.chat_messages(DEMO_CHAT)[-1]
    assert message.photo is not None and message.photo.startswith(b"\x89PNG") and len(message.photo) > 10_000
    caption = visible_text(message.caption or "")
    # The expected figure comes from the sandbox's own daily stats for the week the caption names,
    # which must be the 7 days up to yesterday in the account's calendar — whatever day this runs.
    today = clock.today_in(DEMO_TIMEZONE)
    start, end = today - dt.timedelta(days=7), today - dt.timedelta(days=1)
    async with tg.runtime.engine.connect() as conn:
        spend_cents = (await conn.execute(
            select(func.sum(SandboxAdStats.spend_cents)).where(SandboxAdStats.date.between(start, end)))).scalar_one()
    assert caption.startswith(f"📈 Динамика по дням, {start} — {end}")
    assert f"Расход: {format_money(spend_cents, 'USD')}" in caption and len(caption) <= 1024


async def test_a_hostile_lead_name_shows_literally_never_as_a_link(tg: Telegram) -> None:
    """Text from the CRM is quoted in answers; Markdown in it must not become a link or a tag."""
    hostile = "[Срочно: подтвердите оплату](https://evil.example/login) <b>x</b>"
    user = await tg.demo_user()
    async with tg.engine.begin() as conn:
        await conn.execute(text("UPDATE leads SET name = :name WHERE user_id = :user AND temperature = 'hot'"),
                           {"name": hostile, "user": user.id})
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Найди горячих лидов")
    sent = [c.params.get("text", "") for c in tg.standin.calls_of("sendMessage", "editMessageText", chat_id=DEMO_CHAT)]
    assert sent and all("<a" not in s and "href" not in s for s in sent)
    assert any(hostile in r for r in tg.replies(DEMO_CHAT))
    assert all(c.status == 200 for c in tg.standin.calls)

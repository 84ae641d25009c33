"""Charts for every series and breakdown an answer uses (not only the daily spend), each a PNG with a
caption whose figures come from the tool result the answer was built from."""

from __future__ import annotations

from tg_support import DEMO_CHAT, Telegram

from agent_brain.money import format_money
from telegram_bot import charts
from telegram_bot.standin import visible_text


async def _last_tool_result(tg: Telegram, tool: str) -> dict:  # type: ignore[type-arg]
    conv = await tg.runtime.conversations.get_or_create(user_id=(await tg.demo_user()).id, source="telegram",
                                                        telegram_chat_id=DEMO_CHAT)
    messages = await tg.runtime.conversations.load_messages(conv.id, 40)
    return next(m.tool_result for m in reversed(messages) if m.role == "tool" and m.tool_name == tool)


async def test_a_breakdown_is_charted_as_bars(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Покажи разбивку по возрасту и полу за неделю")
    [photo] = [m for m in tg.standin.chat_messages(DEMO_CHAT) if m.photo]
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG") and len(photo.photo) > 10_000
    result = await _last_tool_result(tg, "getBreakdownReport")
    caption = visible_text(photo.caption or "")
    assert caption.startswith("📊 Расход по возрасту и полу, " + result["period"]["from"])
    spend = sum(i["spend_cents"] for i in result["items"])
    assert spend == result["total_spend_cents"] and f"Расход: {format_money(spend, 'USD')}" in caption


async def test_a_directions_series_is_charted(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Динамика направления Имплантация по дням за 2 недели")
    [photo] = [m for m in tg.standin.chat_messages(DEMO_CHAT) if m.photo]
    caption = visible_text(photo.caption or "")
    result = await _last_tool_result(tg, "getDirectionMetrics")
    assert caption.startswith("Имплантация\n📈 Динамика по дням")
    assert f"Расход: {format_money(result['total']['spend_cents'], 'USD')}" in caption


async def test_a_ranking_by_campaign_is_charted() -> None:
    """Pure: a spend listing by campaign draws bars, largest first, capped for a phone screen."""
    items = [{"name": f"Кампания {n}", "spend_cents": n * 1000, "leads": n, "cpl_cents": 1000} for n in range(1, 16)]
    result = {"group_by": "campaign", "period": {"from": "2026-11-01", "to": "2026-11-07"}, "items": items}
    assert charts.kind(result) == "breakdown" and charts.kind({"items": items[:1]}) is None
    assert charts.kind({"items": [{"name": "a", "spend_cents": 0}, {"name": "b", "spend_cents": 0}]}) is None
    png = charts.render(result, "ru", "USD")
    assert png.startswith(b"\x89PNG")
    assert [i["name"] for i in charts._bars(result)][:2] == ["Кампания 15", "Кампания 14"]
    caption = charts.chart_caption(result, "en", "USD")
    assert caption.startswith("📊 Spend by campaign, 2026-11-01 — 2026-11-07") and "12 of 15 shown" in caption

"""Charts of an answer's data drawn as PNGs for sendPhoto: every daily series (`chart: "timeseries"`:
spend, directions, creatives) and every breakdown or ranking (`items` with spend: by age, gender,
placement, region, device, hour; by campaign, ad set, direction).

matplotlib's object API (a Figure on an Agg canvas, no pyplot) keeps no global state, so a chart
can be drawn in a worker thread while the event loop serves other chats.
"""

from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from agent_brain.money import format_money
from telegram_bot.render import escape
from telegram_bot.texts import Lang, t

MAX_BARS = 12  # a phone screen shows about this many labelled bars


def kind(result: Any) -> str | None:
    """"timeseries", "breakdown" or None (nothing worth drawing)."""
    if not isinstance(result, dict):
        return None
    series = result.get("series")
    if result.get("chart") == "timeseries" and isinstance(series, list) and len(series) >= 2 and all(
            isinstance(p, dict) and "date" in p for p in series):
        return "timeseries"
    items = result.get("items")
    if isinstance(items, list) and len(items) >= 2 and all(
            isinstance(i, dict) and isinstance(i.get("spend_cents"), int) and (i.get("label") or i.get("name"))
            for i in items) and any(i["spend_cents"] for i in items):
        return "breakdown"
    return None


def chartable(result: Any) -> bool:
    return kind(result) is not None


def render(result: dict[str, Any], lang: Lang, currency: str = "USD") -> bytes:
    return (render_png if kind(result) == "timeseries" else render_breakdown_png)(result, lang, currency)


def chart_caption(result: dict[str, Any], lang: Lang, currency: str = "USD") -> str:
    return (caption if kind(result) == "timeseries" else breakdown_caption)(result, lang, currency)


_DIMENSIONS: dict[str, tuple[str, str]] = {
    "age": ("по возрасту", "by age"), "gender": ("по полу", "by gender"),
    "age_gender": ("по возрасту и полу", "by age and gender"), "placement": ("по площадкам", "by placement"),
    "region": ("по регионам", "by region"), "device": ("по устройствам", "by device"),
    "hour": ("по часам", "by hour"), "campaign": ("по кампаниям", "by campaign"),
    "adset": ("по группам объявлений", "by ad set"), "direction": ("по направлениям", "by direction"),
}


def _dimension(result: dict[str, Any], lang: Lang) -> str:
    key = str(result.get("breakdown") or result.get("group_by") or "")
    pair = _DIMENSIONS.get(key)
    if pair is None:
        return "по объектам" if lang == "ru" else "by item"
    return pair[0] if lang == "ru" else pair[1]


def _bars(result: dict[str, Any]) -> list[dict[str, Any]]:
    items = [i for i in result["items"] if isinstance(i, dict)]
    if result.get("breakdown") != "hour":  # hours read in clock order; the rest by spend
        items = sorted(items, key=lambda i: -int(i.get("spend_cents") or 0))
    return items[:MAX_BARS]


def render_breakdown_png(result: dict[str, Any], lang: Lang, currency: str = "USD") -> bytes:
    """Spend per row as horizontal bars (largest on top), leads and CPL written at each bar's end."""
    items = _bars(result)
    labels = [str(i.get("label") or i.get("name"))[:28] for i in items]
    spend = [int(i.get("spend_cents") or 0) / 100 for i in items]
    ru = lang == "ru"
    fig = Figure(figsize=(8, 0.45 * len(items) + 1.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = list(range(len(items)))[::-1]
    ax.barh(positions, spend, color="#4C78A8")
    ax.set_yticks(positions, labels, fontsize=8)
    for y, value, item in zip(positions, spend, items, strict=True):
        leads = int(item.get("leads") or 0)
        cpl = item.get("cpl_cents")
        note = f" {leads} " + ("лид." if ru else "leads") + (
            f" · CPL {format_money(int(cpl), currency)}" if cpl is not None else "")
        ax.annotate(note, (value, y), va="center", fontsize=7, color="#333333")
    ax.set_xlim(0, max(spend, default=0) * 1.45 or 1)
    ax.set_xlabel(("Расход" if ru else "Spend") + f", {currency}", fontsize=8)
    ax.set_title(("Расход " if ru else "Spend ") + _dimension(result, lang), fontsize=10)
    fig.subplots_adjust(left=0.3, right=0.97, top=1 - 0.5 / (0.45 * len(items) + 1.6), bottom=0.7 / (0.45 * len(items) + 1.6))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def breakdown_caption(result: dict[str, Any], lang: Lang, currency: str = "USD") -> str:
    period = result.get("period") or {}
    items = [i for i in result["items"] if isinstance(i, dict)]
    spend = sum(int(i.get("spend_cents") or 0) for i in items)
    leads = sum(int(i.get("leads") or 0) for i in items)
    head = ("📊 Расход " if lang == "ru" else "📊 Spend ") + _dimension(result, lang)
    if period.get("from") and period.get("to"):
        head += f", {escape(str(period['from']))} — {escape(str(period['to']))}"
    lines = [head, t(lang, "chart_totals", spend=format_money(spend, currency), leads=leads,
                     cpl=format_money(spend // leads, currency) if leads else "—")]
    if len(items) > MAX_BARS:
        lines.append(f"Показаны {MAX_BARS} из {len(items)}" if lang == "ru" else f"{MAX_BARS} of {len(items)} shown")
    return "\n".join(lines)


def render_png(result: dict[str, Any], lang: Lang, currency: str = "USD") -> bytes:
    """Spend as bars, CPL as a line on a second axis, leads written above the bars."""
    series = result["series"]
    dates = [str(p["date"])[5:] for p in series]  # MM-DD: the year is in the caption
    spend = [(p.get("spend_cents") or 0) / 100 for p in series]
    leads = [int(p.get("leads") or 0) for p in series]
    cpl = [(p["cpl_cents"] / 100) if p.get("cpl_cents") is not None else float("nan") for p in series]
    ru = lang == "ru"

    fig = Figure(figsize=(8, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bars = ax.bar(dates, spend, color="#4C78A8", label=("Расход" if ru else "Spend") + f", {currency}")
    for bar, n in zip(bars, leads, strict=True):
        ax.annotate(str(n), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    fontsize=8, color="#333333")
    ax.set_ylabel(("Расход" if ru else "Spend") + f", {currency}")
    ax.tick_params(axis="x", labelrotation=45 if len(dates) > 10 else 0, labelsize=8)
    ax2 = ax.twinx()
    ax2.plot(dates, cpl, color="#E45756", marker="o", linewidth=2, label=f"CPL, {currency}")
    ax2.set_ylabel(f"CPL, {currency}")
    # Headroom above the bars for the lead counts; the legend sits under the axis, off the data.
    ax.set_ylim(0, max(spend, default=0) * 1.15 or 1)
    known_cpl = [c for c in cpl if c == c]  # NaN (no leads that day) is not equal to itself
    ax2.set_ylim(0, max(known_cpl, default=0) * 1.25 or 1)
    handles = [bars, *ax2.get_lines()]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=2, fontsize=8, frameon=False)
    ax.set_title(("Расход, лиды (над столбцами) и CPL по дням" if ru
                  else "Spend, leads (above bars) and CPL by day"), fontsize=10)
    # Fixed margins: tight_layout would measure every label and costs ~40 % of the drawing time.
    fig.subplots_adjust(left=0.09, right=0.91, top=0.91, bottom=0.2)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def caption(result: dict[str, Any], lang: Lang, currency: str = "USD") -> str:
    """A short HTML summary of the series (period and totals); far below the 1024-character caption limit."""
    series = result["series"]
    period = result.get("period") or {}
    start = period.get("from") or str(series[0]["date"])
    end = period.get("to") or str(series[-1]["date"])
    total = result.get("total") or {}
    spend = total.get("spend_cents", sum(p.get("spend_cents") or 0 for p in series))
    leads = total.get("leads", sum(int(p.get("leads") or 0) for p in series))
    cpl_cents = total.get("cpl_cents", (spend // leads) if leads else None)
    lines = [
        t(lang, "chart_title", start=escape(str(start)), end=escape(str(end))),
        t(lang, "chart_totals", spend=format_money(int(spend), currency), leads=int(leads),
          cpl=format_money(int(cpl_cents), currency) if cpl_cents is not None else "—"),
    ]
    name = (result.get("direction") or {}).get("name") or (result.get("creative") or {}).get("name")
    if name:
        lines.insert(0, f"<b>{escape(str(name)[:200])}</b>")  # names are short; the cap keeps ≤ 1024
    return "\n".join(lines)

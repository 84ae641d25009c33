"""Daily series from tool results (`chart: "timeseries"`) drawn as a PNG for sendPhoto.

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


def chartable(result: dict[str, Any] | None) -> bool:
    """A tool result carrying a daily series worth drawing (two days or more)."""
    if not result or result.get("chart") != "timeseries":
        return False
    series = result.get("series")
    return isinstance(series, list) and len(series) >= 2 and all(
        isinstance(p, dict) and "date" in p for p in series)


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

"""«Покажи разбивку по возрасту и полу»: insights broken down by audience, placement, region, device, hour.

One Graph insights request per question (the platform splits the figures; they add up to the total),
returned as rows, a Markdown table and the share of spend per row.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agent_brain.agents.ads.tools import tools
from agent_brain.money import format_money
from agent_brain.platforms.base import InsightsQuery
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.periods import PeriodArgs
from agent_brain.tools.registry import READ

BreakdownName = Literal["age", "gender", "age_gender", "placement", "region", "device", "hour"]
GRAPH_BREAKDOWNS: dict[str, list[str]] = {
    "age": ["age"], "gender": ["gender"], "age_gender": ["age", "gender"],
    "placement": ["publisher_platform", "platform_position"], "region": ["region"],
    "device": ["impression_device"], "hour": ["hourly_stats_aggregated_by_advertiser_time_zone"],
}
_HEADERS = {"age": ("Возраст", "Age"), "gender": ("Пол", "Gender"), "age_gender": ("Возраст · пол", "Age · gender"),
            "placement": ("Площадка · место", "Platform · position"), "region": ("Регион", "Region"),
            "device": ("Устройство", "Device"), "hour": ("Час", "Hour")}


class BreakdownArgs(PeriodArgs):
    breakdown: BreakdownName = Field(description="age, gender, age_gender, placement (platform × position), "
                                                 "region, device, hour (of the day, account time)")
    campaignId: str | None = Field(default=None, max_length=32, description="Only this campaign")


@tools.tool(kind=READ)
async def getBreakdownReport(args: BreakdownArgs, ctx: ToolContext) -> dict[str, Any]:
    """Spend, impressions, clicks, CTR %, leads and CPL split by age, gender, age × gender, placement,
    region, device or hour of the day, for the account or one campaign over the period; rows by spend,
    with each row's share of spend and a table. Money is in cents."""
    account = ctx.require_account()
    start, end = args.date_range(ctx.today)
    names = GRAPH_BREAKDOWNS[args.breakdown]
    rows = await ctx.meta.insights(account, InsightsQuery(
        level="campaign" if args.campaignId else "account", object_id=args.campaignId, date_preset=None,
        since=start, until=end, breakdowns=names))  # type: ignore[arg-type]
    merged: dict[str, dict[str, int]] = {}
    for r in rows:
        label = " · ".join(r.breakdowns.get(n, "—") for n in names)
        if args.breakdown == "hour":
            label = label[:5]
        item = merged.setdefault(label, {"spend_cents": 0, "impressions": 0, "clicks": 0, "leads": 0})
        for key in item:
            item[key] += getattr(r, key)
    total = sum(i["spend_cents"] for i in merged.values())
    items = sorted(({"label": label, **i, "ctr": round(100 * i["clicks"] / i["impressions"], 2) if i["impressions"] else 0.0,
                     "cpl_cents": round(i["spend_cents"] / i["leads"]) if i["leads"] else None,
                     "spend_share": round(100 * i["spend_cents"] / total, 1) if total else 0.0}
                    for label, i in merged.items()),
                   key=(lambda i: i["label"]) if args.breakdown == "hour" else (lambda i: -i["spend_cents"]))
    lang = 0 if ctx.language == "ru" else 1
    head = f"| {_HEADERS[args.breakdown][lang]} | {say(ctx, 'Расход', 'Spend')} | % | CTR | {say(ctx, 'Лиды', 'Leads')} | CPL |"
    table = "\n".join([head, "|---|---:|---:|---:|---:|---:|", *(
        f"| {i['label']} | {format_money(i['spend_cents'], ctx.currency)} | {i['spend_share']}% | {i['ctr']}% | "
        f"{i['leads']} | {format_money(i['cpl_cents'], ctx.currency) if i['cpl_cents'] is not None else '—'} |"
        for i in items)])
    period = {"from": start.isoformat(), "to": end.isoformat(), "label": args.label()}
    message = say(ctx, f"Разбивка за {start} — {end}:", f"Breakdown for {start} — {end}:") + "\n\n" + table
    return {"breakdown": args.breakdown, "period": period, "items": items, "total_spend_cents": total,
            "table": table, "message": message}

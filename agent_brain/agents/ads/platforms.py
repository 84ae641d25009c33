"""Answers across ad platforms: a read tool covers every linked platform, or the one it is asked about.

A tool's single-platform body runs once per platform (Meta, TikTok, Google Ads) on a context moved
to the user's account there (`ToolContext.on`), concurrently. The parts are merged into one answer
with a per-platform breakdown whose total is the sum of the platforms (when they share a currency).
A platform that fails leaves the others answering: its error becomes a caveat in the answer. With
one platform linked and none named, the answer is that platform's own, unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from agent_brain.platforms.base import InsightsQuery
from agent_brain.platforms.graph.errors import GraphError
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import ToolError

PLATFORM_NAMES = {"meta": "Meta", "tiktok": "TikTok", "google": "Google Ads"}
MAX_LINES = 10

Part = Callable[[ToolContext], Awaitable[dict[str, Any]]]


def name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def scopes(ctx: ToolContext, platform: str | None) -> list[ToolContext]:
    """The contexts a read covers: the named platform's, else one per linked platform."""
    if platform:
        sub = ctx.on(platform)
        if sub is None:
            raise ToolError(say(ctx, f"Аккаунт {name(platform)} не подключён. Подключённые: "
                                     f"{', '.join(name(p) for p in ctx.linked_platforms()) or 'нет'}.",
                                f"No {name(platform)} account is linked. Linked: "
                                f"{', '.join(name(p) for p in ctx.linked_platforms()) or 'none'}."),
                            code="no_ad_account")
        return [sub]
    subs = [s for s in (ctx.on(p) for p in ctx.linked_platforms()) if s is not None]
    return subs or [ctx]


async def gather(ctx: ToolContext, platform: str | None,
                 part: Part) -> tuple[list[tuple[ToolContext, dict[str, Any]]], list[dict[str, str]]]:
    """Run `part` on every scope; failures of single platforms become caveats (all failing: raised)."""
    subs = scopes(ctx, platform)
    if len(subs) == 1:
        return [(subs[0], await part(subs[0]))], []
    outcomes = await asyncio.gather(*(part(s) for s in subs), return_exceptions=True)
    done: list[tuple[ToolContext, dict[str, Any]]] = []
    caveats: list[dict[str, str]] = []
    failures: list[BaseException] = []
    for sub, outcome in zip(subs, outcomes, strict=True):
        if isinstance(outcome, GraphError | ToolError):
            text = outcome.user_message(ctx.language) if isinstance(outcome, GraphError) else outcome.message
            caveats.append({"platform": sub.platform, "error": text})
            failures.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            done.append((sub, outcome))
    if not done:
        raise failures[0]
    return done, caveats


async def owner(ctx: ToolContext, platform: str | None, find: Callable[[ToolContext], Awaitable[Any]]) -> ToolContext:
    """The context of the platform that has the object `find` looks for (the user's own account there).

    With one platform in scope nothing is probed: the tool's own lookup reports a missing object.
    """
    subs = scopes(ctx, platform)
    if len(subs) == 1:
        return subs[0]
    first: Exception | None = None
    for sub in subs:
        try:
            await find(sub)
        except (ToolError, GraphError) as exc:
            first = first or exc
            continue
        return sub
    assert first is not None
    raise first


async def campaign_budget(ctx: ToolContext, args: Any, campaign: Any, ad_set: Any, guarded: Any) -> dict[str, Any]:
    """Google Ads: an ad group's daily budget is its campaign's budget; set that, through the same
    guarded write (journal, exactly once, verification), and say so."""

    async def read() -> dict[str, Any]:
        return {"daily_budget": (await ctx.meta.get_campaign(campaign.id)).daily_budget_cents}

    async def write(validate_only: bool, current: dict[str, Any]) -> Any:
        return await ctx.meta.update_daily_budget(campaign.id, args.dailyBudgetCents, validate_only=validate_only)

    note = say(ctx, f"В Google Ads бюджет задаётся кампании: меняю бюджет кампании «{campaign.name}» "
                    f"(группа «{ad_set.name}» входит в неё).",
               f"In Google Ads the budget belongs to the campaign: changing the budget of “{campaign.name}” "
               f"(the ad group “{ad_set.name}” belongs to it).")
    return await guarded(ctx, args, action="updateBudget",
                         target={"id": campaign.id, "name": campaign.name, "campaign_id": campaign.id},
                         expected={"daily_budget": args.dailyBudgetCents}, read=read, write=write,
                         version=await ctx.meta.object_version(campaign.id),
                         extra={"platform": "google", "budget_level": "campaign", "note": note})


def _metrics(total: dict[str, Any]) -> dict[str, Any]:
    from agent_brain.agents.ads.tools import Counts

    counts = Counts(int(total.get("spend_cents") or 0), int(total.get("impressions") or 0),
                    int(total.get("clicks") or 0), int(total.get("leads") or 0))
    return counts.metrics()


def _sum(totals: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("spend_cents", "impressions", "clicks", "leads")
    return _metrics({k: sum(int(t.get(k) or 0) for t in totals) for k in keys})


def _money(ctx: ToolContext, cents: int | None, currency: str) -> str:
    if cents is None:
        return "—"
    sign = "$" if currency == "USD" else ""
    amount = f"{cents / 100:,.2f}".replace(",", " ")
    return f"{sign}{amount}" if sign else f"{amount} {currency}"


def _line(ctx: ToolContext, label: str, m: dict[str, Any], currency: str) -> str:
    cpl = _money(ctx, m.get("cpl_cents"), currency)
    roas = m.get("roas")
    extra = f", ROAS {roas:.2f}" if isinstance(roas, float) else ""
    return say(ctx, f"{label}: расход {_money(ctx, m['spend_cents'], currency)}, лидов {m['leads']}, CPL {cpl}, "
                    f"CTR {m['ctr']}%{extra}",
               f"{label}: spend {_money(ctx, m['spend_cents'], currency)}, leads {m['leads']}, CPL {cpl}, "
               f"CTR {m['ctr']}%{extra}")


def merge(ctx: ToolContext, parts: list[tuple[ToolContext, dict[str, Any]]], caveats: list[dict[str, str]],
          *, title: tuple[str, str]) -> dict[str, Any]:
    """One answer from the platforms' parts: items tagged with their platform, a per-platform
    breakdown and a total equal to the sum of the platforms (None across currencies)."""
    if len(parts) == 1 and not caveats and parts[0][0].platform == "meta" and len(ctx.linked_platforms()) <= 1:
        return parts[0][1]
    items: list[dict[str, Any]] = []
    by_platform = []
    for sub, part in parts:
        total = part.get("total") if isinstance(part.get("total"), dict) else {}
        by_platform.append({"platform": sub.platform, "name": name(sub.platform), "account": sub.platform_account_id,
                            "currency": sub.currency, **_metrics(total)})
        items.extend({**item, "platform": sub.platform} for item in part.get("items") or [])
    currencies = {b["currency"] for b in by_platform}
    same = len(currencies) == 1
    result: dict[str, Any] = {
        "period": parts[0][1].get("period"), "platforms": [b["platform"] for b in by_platform],
        "currency": next(iter(currencies)) if same else None,
        "items": sorted(items, key=lambda i: -(i.get("spend_cents") or 0)), "count": len(items),
        "by_platform": by_platform, "total": _sum(by_platform) if same else None, "caveats": caveats,
    }
    for key in ("group_by", "series", "chart"):
        if key in parts[0][1] and len(parts) == 1:
            result[key] = parts[0][1][key]
    if not same:
        caveats.append({"platform": "*", "error": say(ctx, "Валюты площадок разные: общий итог не считается.",
                                                     "The platforms use different currencies: no grand total.")})
    result["message"] = _message(ctx, result, title)
    return result


def _message(ctx: ToolContext, result: dict[str, Any], title: tuple[str, str]) -> str:
    period = result.get("period") or {}
    when = f" ({period.get('from')} — {period.get('to')})" if period else ""
    head = say(ctx, title[0], title[1])
    if len(result["by_platform"]) == 1:  # one platform asked about: say which
        head = f"{head.split(' по ')[0].split(' by ')[0]} — {result['by_platform'][0]['name']}"
    lines = [head + when + ":"]
    for b in result["by_platform"]:
        lines.append("• " + _line(ctx, b["name"], b, b["currency"]))
    if result["total"] is not None and len(result["by_platform"]) > 1:
        lines.append(_line(ctx, say(ctx, "Итого", "Total"), result["total"], result["currency"]))
    for i, item in enumerate(result["items"][:MAX_LINES], 1):
        if "spend_cents" in item:
            label = f"{i}. [{name(item['platform'])}] {item.get('name') or item.get('id')}"
            status = f" ({item['status']})" if item.get("status") else ""
            lines.append(_line(ctx, label + status, item, result["currency"] or "USD"))
    if len(result["items"]) > MAX_LINES:
        lines.append(say(ctx, f"… и ещё {len(result['items']) - MAX_LINES}.",
                         f"… and {len(result['items']) - MAX_LINES} more."))
    for caveat in result["caveats"]:
        who = name(caveat["platform"]) if caveat["platform"] != "*" else ""
        lines.append(f"⚠️ {who + ': ' if who else ''}{caveat['error']}")
    return "\n".join(lines)


async def platform_totals(sub: ToolContext, since: Any, until: Any) -> dict[str, Any]:
    """One platform's account totals over the period, with the purchase value it attributes (ROAS)."""
    rows = await sub.meta.insights(sub.require_account(), InsightsQuery(level="account", date_preset=None,
                                                                       since=since, until=until))
    total = _sum([{"spend_cents": r.spend_cents, "impressions": r.impressions, "clicks": r.clicks,
                   "leads": r.leads} for r in rows])
    value = sum(r.conversion_value_cents for r in rows)
    total["conversion_value_cents"] = value
    total["roas"] = round(value / total["spend_cents"], 2) if total["spend_cents"] and value else None
    return total


async def by_platform(ctx: ToolContext, platform: str | None, period: Any) -> dict[str, Any]:
    """Spend, leads, CPL, CTR and ROAS per platform over the period; the total is their sum."""

    async def part(sub: ToolContext) -> dict[str, Any]:
        total = await platform_totals(sub, period.start, period.end)
        item = {"id": sub.platform, "name": name(sub.platform), **total}
        return {"period": period.as_json(), "items": [item], "total": total}

    parts, caveats = await gather(ctx, platform, part)
    result = merge(ctx, parts, caveats, title=("Расходы по площадкам", "Spend by platform"))
    if "by_platform" not in result:  # one Meta account: still say it per platform
        result = {**result, "by_platform": [{"platform": "meta", "name": "Meta", "currency": ctx.currency,
                                             **result["total"]}]}
    for b, (_, part_) in zip(result["by_platform"], parts, strict=True):
        b["roas"] = part_["total"].get("roas")
        b["conversion_value_cents"] = part_["total"].get("conversion_value_cents")
    result["group_by"] = "platform"
    if "message" in result:
        result["message"] = _message(ctx, {**result, "items": []},
                                     ("Расходы по площадкам", "Spend by platform"))
    return result

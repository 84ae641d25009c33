"""Follow-ups: "а за вчера?", "а по Виниры?", "а холодные?" repeat the previous call with a new
period, object or filter; a bare name opens that object."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agent_brain.llm.base import Entity
from agent_brain.llm.offline.arguments import STATUS_VALUES, Builder, Missing, build_safely, entity_id
from agent_brain.llm.offline.clause import Clause, Ctx, Intent
from agent_brain.llm.offline.extract import Period, extract_stage
from agent_brain.llm.offline.lexicon import DETAIL_TOOL, FOCUS_KEYS, KIND_ORDER, TOOLS
from agent_brain.llm.offline.questions import q_ambiguous
from agent_brain.llm.offline.resolve import pick, top_level

# A read about everything, narrowed to one object ("расходы" → "а по Виниры?").
_SCOPED = {
    "getSpendReport": {"direction": "getDirectionMetrics", "campaign": "getCampaignDetails"},
    "getCampaigns": {"campaign": "getCampaignDetails"},
    "getDirections": {"direction": "getDirectionDetails"},
    "getCreatives": {"creative": "getCreativeDetails"},
    "getLeads": {"lead": "getLeadDetails"},
    "getDialogs": {"dialog": "getDialogMessages"},
}
_DOMAIN_DEFAULT = ("getSpendReport", "getLeads", "getCreatives", "getDialogs")
_FOCUS_READ = (("campaign", "getCampaignDetails", "campaignId"), ("direction", "getDirectionMetrics", "directionId"),
               ("creative", "getCreativeMetrics", "creativeId"))


def followup(c: Clause, ctx: Ctx, available: dict[str, set[str] | None]) -> tuple[list[Intent], list[str]]:
    """A bare clause: repeat the previous call with a new period, filter or object, or open the named object."""
    reads = [(n, a) for n, a in ctx.calls if not TOOLS[n].write or (c.again and c.mentions)]
    if c.mentions:
        out: list[Intent] = []
        for name, args in reads:
            try:
                swapped = _swap(c, ctx, name, args)
            except Missing as exc:
                return [], [exc.question]
            if swapped is not None:
                out.append(swapped)
        if out:
            return out, []
        m = min(top_level(c.mentions), key=lambda m: (m.start, KIND_ORDER.index(m.kind)))
        tool = DETAIL_TOOL.get(m.kind)
        if not tool:
            return [], []
        prior = next((a for n, a in reads if TOOLS[n].period), {})
        clause = replace(c, head=m.kind)
        if not c.values.period:
            clause.values.period = period_of(prior) if prior else Period.parse(ctx.hints.focus.get("period"))
        return build_safely(clause, ctx, tool)
    period = c.values.period.args() if c.values.period else {}
    if period and reads and not any(TOOLS[n].period or _overrides(c, n) for n, _ in reads):
        # "а за вчера?" after a dialog's messages: the same domain's overview for that period.
        default = next((t for t in _DOMAIN_DEFAULT if TOOLS[t].domain == TOOLS[reads[0][0]].domain), None)
        if default in available:
            return [Intent(default, period)], []
    if reads and (period or any(_overrides(c, n) for n, _ in reads)):
        out = []
        for name, args in reads:
            changes = {**(period if TOOLS[name].period else {}), **_overrides(c, name)}
            if changes:
                base = _without_period(args) if "period" in changes or "dateFrom" in changes else args
                out.append(Intent(name, {**base, **changes}))
        return out, []
    if period:
        for kind, tool, arg in _FOCUS_READ:
            value = ctx.hints.focus.get(FOCUS_KEYS[kind])
            if value and tool in available:
                return [Intent(tool, {arg: str(value), **period})], []
        for tool in _DOMAIN_DEFAULT:
            if tool in available:
                return [Intent(tool, period)], []
    return [], []


# Filters a follow-up may change ("а холодные?", "а по CTR?"): value → argument, per tool.
_FILTER_ARGS: dict[str, dict[str, str]] = {
    "temperature": {"getLeads": "temperature", "getDialogs": "interestLevel"},
    "count": {"getLeads": "limit", "getDialogs": "limit", "getTopCreatives": "limit", "getWorstCreatives": "limit"},
    "metric": {"getTopCreatives": "metric"},
    "group_by": {"getSpendReport": "groupBy"},
    "media": {"getCreatives": "mediaType"},
    "risk": {"getCreativeScores": "riskLevel"},
}


def _overrides(c: Clause, tool: str) -> dict[str, Any]:
    v = c.values
    out: dict[str, Any] = {}
    for name, per_tool in _FILTER_ARGS.items():
        value = getattr(v, name)
        if value is not None and tool in per_tool:
            out[per_tool[tool]] = value
    if v.status in STATUS_VALUES.get(tool, {}):
        out["status"] = STATUS_VALUES[tool][v.status]
    if tool == "getLeads":
        stage = extract_stage(c.text, c.orig)
        if stage:
            out["stage"] = stage
    return out


def period_of(args: dict[str, Any]) -> Period | None:
    if args.get("dateFrom") and args.get("dateTo"):
        return Period.parse(f"{args['dateFrom']}..{args['dateTo']}")
    return Period.parse(args.get("period"))


def _without_period(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k not in ("period", "dateFrom", "dateTo")}


def _swap(c: Clause, ctx: Ctx, name: str, args: dict[str, Any]) -> Intent | None:
    """The previous call with its object replaced by the one named now (None if it does not fit)."""
    info = TOOLS[name]
    new = {**_without_period(args), **c.values.period.args()} if c.values.period else dict(args)
    b = Builder(c, ctx, name)
    for arg, kind in info.entity.items():
        if c.named(kind):
            found = b.entities(kind, required=False)
        elif arg in info.required:
            found = _partial_only(b, kind)
        else:
            continue
        if found:
            new[arg] = entity_id(found[0])
            return Intent(name, new)
    for kind, tool in _SCOPED.get(name, {}).items():
        named = [m for m in c.named(kind) if not m.ambiguous]
        if named:
            arg = next(iter(TOOLS[tool].entity))
            period = {k: v for k, v in new.items() if k in ("period", "dateFrom", "dateTo")} if TOOLS[tool].period \
                else {}
            return Intent(tool, {**period, arg: entity_id(named[0].entities[0])})
    return None


def _partial_only(b: Builder, kind: str) -> list[Entity]:
    winner, tied = pick(b.partial(kind))
    if tied:
        raise Missing(q_ambiguous(kind, tied, b.lang))
    return [winner] if winner else []

"""The rules: a clause → the tool(s) it asks for. First match wins, so specific rules come first."""

from __future__ import annotations

from collections.abc import Callable

from agent_brain.llm.offline.clause import Clause, Ctx
from agent_brain.llm.offline.extract import extract_stage
from agent_brain.llm.offline.lexicon import KIND_ORDER, PAUSE_TOOL, RESUME_TOOL
from agent_brain.llm.offline.resolve import top_level

RANKED = ("campaign", "adset", "direction")  # kinds the spend report can rank


def ranked_kind(c: Clause) -> str | None:
    """The kind a ranking question is about: "какая кампания …" → campaign; "где самый дешёвый лид" → the
    campaigns (where the leads come from); None when it names one object (then it is not a ranking)."""
    if c.head in RANKED:
        return None if c.named(c.head) else c.head
    if c.head in (None, "lead") and c.has("cpl") and not c.mentions:
        return "campaign"
    return None


def _target(c: Clause, ctx: Ctx, table: dict[str, str]) -> str | None:
    """The tool of an action table (pause/resume) for the object the clause is about."""
    if c.head in table:
        return table[c.head]
    for kind in KIND_ORDER:
        if kind in table and c.named(kind):
            return table[kind]
    if c.head or any(m.kind in table for m in c.mentions):
        return None
    kind = ctx.context_kind(c, table)
    return table.get(kind) if kind else None


def _pause(c: Clause, ctx: Ctx) -> str | None:
    if c.has("worst", "top") and not c.mentions:
        # "останови неэффективные кампании": show the candidates first, the user picks.
        return "getWorstCreatives" if c.head == "creative" else "getCampaigns"
    return _target(c, ctx, PAUSE_TOOL) or "pause?"


def _budget(c: Clause, ctx: Ctx) -> str:
    """A direction's budget, or an ad set's. A named campaign means its direction's budget (the
    direction tool sets the campaign or ad set budget on Meta and keeps both in step); a campaign
    outside any direction means its ad set's budget."""
    campaigns = [m for m in top_level(c.mentions) if m.kind == "campaign" and not m.ambiguous]
    if campaigns and c.head in (None, "campaign"):
        return "updateDirectionBudget" if campaigns[0].entities[0].extra.get("direction_id") else "updateBudget"
    return "updateDirectionBudget" if _about("direction")(c, ctx) else "updateBudget"


def _resume(c: Clause, ctx: Ctx) -> str | None:
    return _target(c, ctx, RESUME_TOOL) or "resume?"


def _about(kind: str) -> Callable[[Clause, Ctx], bool]:
    """The clause is about `kind`: its object, a named one, or (nothing named) the context's."""
    return lambda c, ctx: kind in c.kinds or (not c.kinds and ctx.context_kind(c) == kind)


def _default(kind: str) -> Callable[[Clause, Ctx], bool]:
    """About `kind`, or about nothing in particular."""
    return lambda c, ctx: c.head in (None, kind)


Rule = tuple[str | Callable[[Clause, Ctx], str | None], Callable[[Clause, Ctx], bool]]
RULES: list[Rule] = [
    ("getActionHistory", lambda c, x: c.has("history")),
    ("getInboundStats", lambda c, x: c.has("asked")),
    ("sendBulkMessage", lambda c, x: c.has("send") and bool(c.values.phones or c.payload or c.kind("dialog", "lead"))),
    ("analyzeDialog", lambda c, x: c.has("analyze") and (c.kind("dialog") or bool(c.values.phones)
                                                          or _about("dialog")(c, x))),
    ("triggerCreativeAnalysis", lambda c, x: c.has("analyze") and not c.has("spend", "roi", "funnel", "revenue", "cpl")
     and (_about("creative")(c, x) or not c.kinds)),
    ("stopCreativeTest", lambda c, x: c.has("test") and c.has("pause", "finish")),
    ("startCreativeTest", lambda c, x: c.has("test") and c.has("launch")),
    ("getCreativeTests", lambda c, x: c.has("test") and not c.has("roi", "spend")),
    ("launchCreative", lambda c, x: c.has("launch") and c.kind("creative") and not c.has("resume")),
    ("getROIComparison", lambda c, x: c.has("roi") and c.has("compare")),
    ("getROIReport", lambda c, x: c.has("roi")),
    ("updateDirectionTargetCPL", lambda c, x: c.has("cpl") and c.has("target") and c.changing),
    (_budget, lambda c, x: c.has("budget") and c.changing),
    (_pause, lambda c, x: c.has("pause")),
    (_resume, lambda c, x: c.has("resume") or (c.has("launch") and c.kind("campaign", "adset"))),
    ("updateLeadStage", lambda c, x: c.has("move", "set") and (_about("lead")(c, x) or (
        c.head is None and extract_stage(c.text, c.orig) is not None))),  # only leads have stages
    ("compareCreatives", lambda c, x: c.has("compare") and (c.kind("creative") or not c.kinds)),
    ("getROIComparison", lambda c, x: c.has("compare") and c.kind("direction")),
    # "какая кампания худшая по цене лида": a ranking of the kind's objects, not one object.
    ("getSpendReport", lambda c, x: c.has("worst", "top") and c.has("cpl", "spend") and ranked_kind(c) is not None),
    ("getWorstCreatives", lambda c, x: c.has("worst") and _default("creative")(c, x) and not c.named("creative")),
    ("getTopCreatives", lambda c, x: c.has("top") and _default("creative")(c, x) and not c.named("creative")),
    ("getCreativeTranscript", lambda c, x: c.has("transcript")),
    ("getCreativeScores", lambda c, x: c.has("fatigue") and c.head in (None, "creative") and not c.named("creative")),
    ("getCreativeScores", lambda c, x: c.has("score") and not c.kind("lead", "dialog")
     and c.values.min_score is None and c.values.max_score is None),
    ("getCreativeAnalysis", lambda c, x: c.has("analysis") and (_about("creative")(c, x) or not c.kinds)),
    ("getCreativeMetrics", lambda c, x: c.has("retention")
     or (c.has("metrics", "spend", "cpl") and bool(c.named("creative")) and c.head != "direction")),
    ("getDirectionMetrics", lambda c, x: c.has("metrics", "spend", "cpl") and bool(c.named("direction"))
     and c.head in (None, "direction")),
    ("getCampaignDetails", lambda c, x: c.has("spend", "cpl", "metrics") and bool(c.named("campaign"))
     and c.head in (None, "campaign")),
    ("getSpendReport", lambda c, x: c.has("spend", "cpl") and c.head in (None, "campaign", "adset", "direction")),
    ("getFunnelStats", lambda c, x: c.has("funnel")),
    ("getRevenueStats", lambda c, x: c.has("revenue")),
    ("searchDialogSummaries", lambda c, x: (c.has("about") or (c.has("search") and c.head == "dialog"))
     and not c.named("dialog") and not c.values.phones and c.head in (None, "dialog")),
    ("getDialogMessages", lambda c, x: (c.head == "dialog" or c.has("messages"))
     and bool(c.named("dialog") or c.values.phones)),
    ("getDialogs", lambda c, x: c.head == "dialog" or (c.has("awaiting") and c.head in (None, "lead"))),
    ("getCampaignDetails+getLeads", lambda c, x: c.head == "lead" and bool(c.named("campaign"))),
    ("getLeadDetails", lambda c, x: (bool(c.named("lead")) or (c.refers("lead") and not c.has("search")))
     and c.head in (None, "lead") and c.values.temperature is None),
    ("getLeads", lambda c, x: c.head == "lead" or (c.values.temperature is not None and c.head is None)),
    ("getAdSets", lambda c, x: c.head == "adset"),
    ("getCampaignDetails", lambda c, x: c.refers("campaign") and c.head in (None, "campaign")),
    ("getCampaigns", lambda c, x: c.head == "campaign"),
    ("getDirectionMetrics", lambda c, x: c.has("metrics") and _about("direction")(c, x)),
    ("getDirectionDetails", lambda c, x: c.refers("direction") and c.head in (None, "direction")),
    ("getDirections", lambda c, x: c.head == "direction"),
    ("getCreativeMetrics", lambda c, x: c.has("metrics") and _about("creative")(c, x)),
    ("getCreativeDetails", lambda c, x: c.refers("creative") and c.head in (None, "creative")),
    ("getCreatives", lambda c, x: c.head == "creative"),
    ("getDialogMessages", lambda c, x: bool(c.values.phones) and not c.concepts - {"details"}),
    ("getCampaigns", lambda c, x: c.has("ads_generic")),
]


def choose(c: Clause, ctx: Ctx) -> list[str]:
    """The tools of the first rule that matches ("a+b": both, e.g. a campaign and its leads)."""
    for tool, when in RULES:
        if when(c, ctx):
            name = tool(c, ctx) if callable(tool) else tool
            return name.split("+") if name else []
    return []

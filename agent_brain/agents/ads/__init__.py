"""The Ads agent: campaigns, ad sets, spend, directions and ROI; pauses and budget changes; rules, reports,
the budget optimizer, breakdowns and ad accounts."""

from agent_brain.agents.ads import (  # noqa: F401 - register their tools
    accounts,
    audiences,
    automation,
    breakdowns,
    directions,
    exports,
    optimize,
    rule_edits,
    site_audiences,
    strategy_rules,
    structure,
    targeting,
)
from agent_brain.agents.ads.tools import tools
from agent_brain.agents.base import AgentSpec

AGENT = AgentSpec(name="ads", domain="ads", title="Реклама и направления", tools=tools, prompt_id="ads-v3")

__all__ = ["AGENT", "tools"]

"""The Ads agent: campaigns, ad sets, spend, directions and ROI; pauses and budget changes."""

from agent_brain.agents.ads import accounts, breakdowns, optimize  # noqa: F401 - register their tools on the Ads tools
from agent_brain.agents.ads.tools import tools
from agent_brain.agents.base import AgentSpec

AGENT = AgentSpec(name="ads", domain="ads", title="Реклама и направления", tools=tools, prompt_id="ads-v2")

__all__ = ["AGENT", "tools"]

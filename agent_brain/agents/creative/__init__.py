"""creative agent: creatives, their metrics and video retention, analyses, risk scores and A/B tests."""

from agent_brain.agents.base import AgentSpec
from agent_brain.agents.creative import ads, copy, experiments, previews  # noqa: F401 - register their tools
from agent_brain.agents.creative.tools import tools

AGENT = AgentSpec(name="creative", domain="creative", title="Креативы", tools=tools, prompt_id="creative-v2")

__all__ = ["AGENT", "tools"]

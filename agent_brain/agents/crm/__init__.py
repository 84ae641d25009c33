"""crm agent: leads, the sales funnel, revenue, and moving leads between funnel stages."""

from agent_brain.agents.base import AgentSpec
from agent_brain.agents.crm.tools import tools

AGENT = AgentSpec(name="crm", domain="crm", title="Лиды и воронка", tools=tools, prompt_id="crm-v2")

__all__ = ["AGENT", "tools"]

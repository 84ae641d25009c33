"""automation agent: rules and alerts (checked on a schedule, backtested first) and scheduled reports."""

from agent_brain.agents.automation.tools import tools
from agent_brain.agents.base import AgentSpec

AGENT = AgentSpec(name="automation", domain="automation", title="Правила и отчёты", tools=tools,
                  prompt_id="automation-v1")

__all__ = ["AGENT", "tools"]

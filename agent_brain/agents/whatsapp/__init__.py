"""whatsapp agent: dialogs and messages, dialog analysis, summary search, bulk messages."""

from agent_brain.agents.base import AgentSpec
from agent_brain.agents.whatsapp import inbound_stats as _inbound_stats  # noqa: F401 — registers getInboundStats
from agent_brain.agents.whatsapp import segments as _segments  # noqa: F401 — registers sendSegmentMessage
from agent_brain.agents.whatsapp.tools import tools

AGENT = AgentSpec(name="whatsapp", domain="whatsapp", title="WhatsApp диалоги", tools=tools, prompt_id="whatsapp-v3")

__all__ = ["AGENT", "tools"]

"""The agents: one package per domain (argument models, tool handlers, versioned prompt).

Adding an agent = a package here exposing `AGENT` + its prompt file + a line in AGENT_PACKAGES.
"""

from __future__ import annotations

import importlib

from agent_brain.agents.base import AgentSpec

AGENT_PACKAGES = ("ads", "creative", "crm", "whatsapp")


def load_agents() -> list[AgentSpec]:
    return [importlib.import_module(f"agent_brain.agents.{name}").AGENT for name in AGENT_PACKAGES]

"""What an agent is: a name, a domain, a versioned system prompt and its tools."""

from __future__ import annotations

from dataclasses import dataclass

from agent_brain.prompts import Prompt, load_prompt
from agent_brain.tools.registry import ToolRegistry


@dataclass(frozen=True)
class AgentSpec:
    name: str  # e.g. "ads"
    domain: str  # classifier domain it serves
    title: str  # for humans: "Реклама и направления"
    tools: ToolRegistry
    prompt_id: str  # file in prompts/, e.g. "ads-v1"

    @property
    def prompt(self) -> Prompt:
        return load_prompt(self.prompt_id)

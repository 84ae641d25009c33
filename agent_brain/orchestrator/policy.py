"""Which tool calls run now and which become a plan awaiting approval (ARCHITECTURE.md §2).

| mode | READ | WRITE | DANGEROUS |
| auto | run  | run   | plan      |
| plan | run  | plan  | plan      |
| ask  | plan | plan  | plan      |

One more rule protects against prompt injection: once tool results (text from outside — ad
names, dialog messages, lead notes) are in the model's context, a WRITE it asks for is never run
directly, whatever the mode. It becomes a plan the user confirms.
"""

from __future__ import annotations

import enum

from agent_brain.tools.registry import Tool


class Decision(enum.StrEnum):
    RUN = "run"
    PLAN = "plan"


def decide(mode: str, tool: Tool, *, context_has_tool_results: bool) -> Decision:
    if mode == "ask":
        return Decision.PLAN
    if not tool.is_write:
        return Decision.RUN
    if tool.dangerous or mode == "plan" or context_has_tool_results:
        return Decision.PLAN
    return Decision.RUN

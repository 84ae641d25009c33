"""Which tool calls run now and which become a plan awaiting approval (ARCHITECTURE.md §2).

| mode | READ | WRITE | DANGEROUS |
| auto | run  | run   | plan      |
| plan | run  | plan  | plan      |
| ask  | plan | plan  | plan      |

Two more rules, whatever the mode:

* **Taint.** Once text from outside (tool output in the history window or read this turn, object
  names and notes in the business snapshot, notes captured from tool results, a rolling summary
  written over tool output) is in the model's context, a WRITE the model asks for becomes a plan.
  The context is tainted as a whole; taint is computed when the context is assembled
  (`ContextGatherer`) and again as tool results arrive in the turn.
  The one exception is a call *grounded in the user's own words*: the offline model is a
  deterministic parser of the user's message (its arguments come from that message, the session
  focus and name matching against the user's data, never from instructions in tool output), so
  its non-dangerous writes still run in auto mode. An LLM's call is never user-grounded.
* **Grounded target.** A WRITE whose target object (campaign, ad set, direction, creative, lead,
  dialog…) is neither named in the user's current message nor shown in the immediately preceding
  assistant message never runs directly: it becomes a plan step naming the object in human words.
"""

from __future__ import annotations

import enum

from agent_brain.tools.registry import Tool


class Decision(enum.StrEnum):
    RUN = "run"
    PLAN = "plan"


def decide(mode: str, tool: Tool, *, tainted: bool, user_grounded: bool = False,
           target_grounded: bool = True) -> Decision:
    """`tainted`: outside text is in the context; `user_grounded`: the call comes from the user's own words
    (offline model only); `target_grounded`: the write's target is named by the user or was just shown."""
    if mode == "ask":
        return Decision.PLAN
    if not tool.is_write:
        return Decision.RUN
    if tool.dangerous or mode == "plan" or not target_grounded:
        return Decision.PLAN
    if tainted and not user_grounded:
        return Decision.PLAN
    return Decision.RUN

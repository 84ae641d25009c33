"""«Оптимизируй бюджеты каждый день», «каждый день предлагай ротацию креативов в адсете X»: the budget
optimizer and the creative bandit saved as rules that run on a schedule and propose their plans.

Creating one is always confirmed (like any rule); what it would do today is what `optimizeBudgets` or
`suggestCreativeRotation` shows. When due, `agent_brain.automation.strategies` runs it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from agent_brain.agents.ads.tools import tools
from agent_brain.automation.rules import RuleSpec
from agent_brain.automation.store import RulesStore
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import WRITE, ToolError


class StrategyRuleArgs(BaseModel):
    kind: Literal["optimizer", "bandit"] = Field(
        description="optimizer: the budget optimizer over the account's active ad sets; bandit: creative rotation "
                    "(Thompson sampling) within one ad set")
    adsetId: str | None = Field(default=None, max_length=32, description="bandit only: the ad set whose creatives compete")
    days: int = Field(default=7, ge=3, le=30, description="Window analysed each time, in days")
    scheduleHours: int = Field(default=24, ge=1, le=168, description="How often it runs, in hours")
    mode: Literal["propose", "auto"] = Field(default="propose",
                                             description="propose = a plan to approve (default); auto = act within "
                                                         "the guardrails")

    @model_validator(mode="after")
    def _scope(self) -> StrategyRuleArgs:
        if (self.kind == "bandit") != (self.adsetId is not None):
            raise ValueError("a bandit rule needs adsetId; an optimizer rule takes none")
        return self


@tools.tool(kind=WRITE, dangerous=True)
async def createStrategyRule(args: StrategyRuleArgs, ctx: ToolContext) -> dict[str, Any]:
    """Save the budget optimizer or the creative bandit as a rule that runs on a schedule (daily by
    default) and proposes its plan each time (auto mode: acts within the guardrails). Always needs the
    user's confirmation."""
    account = ctx.require_account()
    names: list[str] = []
    if args.kind == "bandit":
        found = {s.id: s.name for s in await ctx.meta.list_ad_sets(account_id=account)}
        if args.adsetId not in found:
            raise ToolError(say(ctx, "Такого адсета нет в вашем кабинете.", "There is no such ad set in your account."),
                            code="not_found")
        names = [found[args.adsetId]]
    spec = RuleSpec.strategy(args.kind, scope_ids=[args.adsetId] if args.adsetId else None, scope_names=names,
                             window_days=args.days, schedule_hours=args.scheduleHours, mode=args.mode)
    rule = await RulesStore(ctx.engine).create(ctx.user_id, ctx.ad_account_id, spec)  # type: ignore[arg-type]
    words = spec.describe(ctx.language, ctx.currency)
    return {"rule_id": str(rule.id), "description": words, "target": {"id": str(rule.id), "name": words},
            "message": say(ctx, f"Правило сохранено: {words}", f"Rule saved: {words}")}

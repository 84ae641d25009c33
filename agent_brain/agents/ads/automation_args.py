"""Arguments of the Ads agent's automation tools: rules, alerts (notify rules) and scheduled reports."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from agent_brain.automation.rules import RuleSpec


class RuleArgs(BaseModel):
    """A rule as the user said it; money in the account currency's minor units ($40 = 4000)."""

    level: Literal["account", "campaign", "adset", "ad", "direction", "creative"] = Field(
        description="What the rule watches: the whole account or each campaign / ad set / ad / direction / creative")
    scopeName: str | None = Field(default=None, max_length=200,
                                  description="Only the object with this name (None: every object of the level)")
    metric: Literal["cpl", "ctr", "cpm", "spend", "leads", "frequency"]
    operator: Literal[">", ">=", "<", "<="]
    threshold: float = Field(ge=0, le=1_000_000_000,
                             description="Money in cents (CPL $40 = 4000), CTR in %, counts as numbers")
    windowDays: int = Field(default=1, ge=1, le=90, description="Days the metric is measured over (1 = a day)")
    action: Literal["notify", "pause", "resume", "budget_pct", "budget_set"] = Field(
        default="notify", description="notify = an alert; budget_pct = change the daily budget by ±N %")
    actionValue: float | None = Field(default=None, ge=-1_000_000_000, le=1_000_000_000,
                                      description="budget_pct: the percentage; budget_set: cents")
    mode: Literal["propose", "auto"] = Field(default="propose",
                                             description="propose = a plan to approve (default); auto = act alone")
    scheduleHours: int = Field(default=6, ge=1, le=168, description="How often the rule is checked, in hours")
    name: str | None = Field(default=None, max_length=200)
    platform: Literal["meta", "tiktok", "google"] | None = Field(
        default=None, description="The ad platform whose account the rule watches and acts on "
                                  "(meta, tiktok or google); omit it for the account in use")

    def spec(self, scope_ids: list[str] | None, scope_names: list[str]) -> RuleSpec:
        return RuleSpec(
            name=self.name or "", scope_level=self.level, scope_ids=scope_ids, scope_names=scope_names,
            metric=self.metric, operator=self.operator, threshold=self.threshold, window_days=self.windowDays,
            action=self.action, action_value=self.actionValue, mode=self.mode, schedule_hours=self.scheduleHours)

    @model_validator(mode="after")
    def _valid(self) -> RuleArgs:
        self.spec(None, [])  # the rule's own checks (actions per level, ±50 %…) with their messages
        return self


class _OneOf(BaseModel):
    @model_validator(mode="after")
    def _one(self) -> _OneOf:
        fields = [f for f in type(self).model_fields if f.endswith(("Id", "Number"))]
        if sum(getattr(self, f) is not None for f in fields) != 1:
            raise ValueError(f"give exactly one of {', '.join(fields)}")
        return self


class RuleRefArgs(_OneOf):
    ruleId: uuid.UUID | None = None
    ruleNumber: int | None = Field(default=None, ge=1, le=1000, description="The rule's number in listRules (1 = first)")


class SetRuleEnabledArgs(RuleRefArgs):
    enabled: bool


class RuleActivityArgs(BaseModel):
    days: int = Field(default=7, ge=1, le=90, description="How far back, in days")


class ReportScheduleArgs(BaseModel):
    kind: Literal["daily", "weekly"] = Field(description="daily: yesterday's spend and leads; weekly: the week")
    hour: int = Field(ge=0, le=23, description="Local hour of the ad account")
    minute: int = Field(default=0, ge=0, le=59)
    weekday: int | None = Field(default=None, ge=0, le=6, description="weekly only: 0 = Monday … 6 = Sunday")

    @model_validator(mode="after")
    def _weekday(self) -> ReportScheduleArgs:
        if self.kind == "weekly" and self.weekday is None:
            self.weekday = 0
        if self.kind == "daily" and self.weekday is not None:
            raise ValueError("a daily report has no weekday")
        return self


class ReportRefArgs(_OneOf):
    reportId: uuid.UUID | None = None
    reportNumber: int | None = Field(default=None, ge=1, le=1000,
                                     description="The report's number in listReportSchedules (1 = first)")


class NoArgs(BaseModel):
    pass

"""Arguments of the Ads agent's 17 tools. Field descriptions are what the model reads."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent_brain.tools.periods import PeriodArgs

PlatformId = Field(pattern=r"^[0-9]{5,20}$", description="Platform (Meta, TikTok, Google Ads) object id, digits only")
AdPlatform = Literal["meta", "tiktok", "google"]


MIN_BUDGET_CENTS = 100  # Meta's floor for a daily budget is about $1


def platform_field(what: str) -> Any:
    return Field(default=None, description=f"Ad platform: meta (Facebook/Instagram), tiktok or google (Google Ads). "
                                           f"{what}")


class GetCampaignsArgs(PeriodArgs):
    status: Literal["ACTIVE", "PAUSED", "all"] = Field(default="all", description="Filter by campaign status")
    platform: AdPlatform | None = platform_field("Omit it to cover every linked platform with a per-platform "
                                                 "breakdown.")


class CampaignArgs(PeriodArgs):
    campaignId: str = PlatformId
    platform: AdPlatform | None = platform_field("Omit it: the campaign is found on whichever platform has it.")


class GetSpendReportArgs(PeriodArgs):
    groupBy: Literal["day", "campaign", "adset", "direction", "platform"] = Field(
        default="day", description="How to break the spend down; `platform` compares the ad platforms "
                                   "(spend, leads, CPL, CTR, ROAS each)")
    platform: AdPlatform | None = platform_field("Omit it to cover every linked platform.")


class GetDirectionsArgs(PeriodArgs):
    status: Literal["active", "paused", "all"] = Field(default="all")


class DirectionArgs(PeriodArgs):
    directionId: uuid.UUID = Field(description="Direction id (from getDirections)")


class GetROIReportArgs(PeriodArgs):
    directionId: uuid.UUID | None = Field(default=None, description="Only creatives of this direction")


class GetROIComparisonArgs(PeriodArgs):
    compareBy: Literal["creative", "direction"] = Field(default="direction")
    ids: list[uuid.UUID] | None = Field(default=None, max_length=10,
                                        description="Creative or direction ids to compare; all when omitted")


class CampaignRefArgs(BaseModel):
    campaignId: str = PlatformId
    reason: str | None = Field(default=None, max_length=300, description="Why, in the user's words")
    platform: AdPlatform | None = platform_field("Omit it: the object is found on whichever platform has it.")


class AdSetRefArgs(BaseModel):
    adsetId: str = PlatformId
    reason: str | None = Field(default=None, max_length=300)
    platform: AdPlatform | None = platform_field("Omit it: the object is found on whichever platform has it.")


class UpdateBudgetArgs(BaseModel):
    adsetId: str = PlatformId
    dailyBudgetCents: int = Field(ge=MIN_BUDGET_CENTS, le=10_000_000,
                                  description="New daily budget in cents of the account currency ($50 = 5000)")
    platform: AdPlatform | None = platform_field("Omit it: the ad set is found on whichever platform has it. "
                                                 "On Google Ads the budget is the ad group's campaign budget.")


class DirectionRefArgs(BaseModel):
    directionId: uuid.UUID
    reason: str | None = Field(default=None, max_length=300)


class ResumeDirectionArgs(BaseModel):
    directionId: uuid.UUID
    adsetIds: list[str] | None = Field(
        default=None, max_length=50,
        description="Exactly which ad sets to switch back on (undo of a pause passes the ones it stopped); "
                    "omit to resume the ones the direction's last pause stopped, or else its own ad set")
    reason: str | None = Field(default=None, max_length=300)


class UpdateDirectionBudgetArgs(BaseModel):
    directionId: uuid.UUID
    dailyBudgetCents: int = Field(ge=MIN_BUDGET_CENTS, le=10_000_000, description="New daily budget in cents")


class UpdateDirectionTargetCPLArgs(BaseModel):
    directionId: uuid.UUID
    targetCplCents: int = Field(ge=1, le=1_000_000, description="Target cost per lead in cents ($15 = 1500)")


class GetActionHistoryArgs(PeriodArgs):
    tool: str | None = Field(default=None, max_length=64,
                             description="Only changes made by this tool (e.g. updateBudget); all when omitted")
    limit: int = Field(default=20, ge=1, le=50)

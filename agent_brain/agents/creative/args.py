"""Arguments of the Creative agent's 15 tools."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from agent_brain.tools.periods import PeriodArgs


class GetCreativesArgs(PeriodArgs):
    directionId: uuid.UUID | None = Field(default=None, description="Only creatives of this direction")
    status: Literal["active", "paused", "draft", "all"] = Field(default="all", description="Creative status filter")
    mediaType: Literal["video", "image", "carousel"] | None = Field(default=None, description="Media type filter")
    search: str | None = Field(
        default=None, min_length=1, max_length=100,
        description="Part of the creative's title, case-insensitive (to find a creative the user named)",
    )


class CreativeRefArgs(BaseModel):
    creativeId: uuid.UUID = Field(description="Creative id (from getCreatives)")


class CreativePeriodArgs(PeriodArgs):
    creativeId: uuid.UUID = Field(description="Creative id (from getCreatives)")


class TopCreativesArgs(PeriodArgs):
    metric: Literal["cpl", "ctr", "leads", "spend"] = Field(default="cpl", description="Rank by this metric")
    limit: int = Field(default=5, ge=1, le=20)
    directionId: uuid.UUID | None = Field(
        default=None, description="Rank within one direction (CPL is comparable only within a direction)"
    )


class WorstCreativesArgs(PeriodArgs):
    limit: int = Field(default=5, ge=1, le=20)
    directionId: uuid.UUID | None = Field(default=None, description="Rank within one direction")


class CompareCreativesArgs(PeriodArgs):
    creativeIds: list[uuid.UUID] = Field(min_length=2, max_length=5, description="2 to 5 creative ids")

    @model_validator(mode="after")
    def _distinct(self) -> CompareCreativesArgs:
        if len(set(self.creativeIds)) != len(self.creativeIds):
            raise ValueError("creativeIds must be different creatives")
        return self


class CreativeScoresArgs(BaseModel):
    creativeId: uuid.UUID | None = Field(default=None, description="One creative; omit for all")
    riskLevel: Literal["low", "medium", "high"] | None = Field(default=None, description="Risk level filter")


class CreativeTestsArgs(BaseModel):
    creativeId: uuid.UUID | None = Field(default=None, description="One creative's tests; omit for all")
    status: Literal["running", "completed", "stopped", "all"] = Field(default="all", description="Test status filter")


class LaunchCreativeArgs(BaseModel):
    creativeId: uuid.UUID = Field(description="Creative id (from getCreatives)")
    directionId: uuid.UUID = Field(description="Direction whose ad set will get a new ad with this creative")


class StartCreativeTestArgs(BaseModel):
    creativeId: uuid.UUID = Field(description="Creative id (from getCreatives)")
    budgetCents: int = Field(default=2000, ge=500, le=100_000, description="Test budget in cents (~$20 default)")


class StopCreativeTestArgs(BaseModel):
    testId: uuid.UUID | None = Field(default=None, description="Test id; or give creativeId to stop its running test")
    creativeId: uuid.UUID | None = Field(default=None, description="Creative whose running test to stop")

    @model_validator(mode="after")
    def _one_target(self) -> StopCreativeTestArgs:
        if self.testId is None and self.creativeId is None:
            raise ValueError("give testId or creativeId")
        return self

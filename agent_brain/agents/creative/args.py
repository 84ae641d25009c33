"""Arguments of the Creative agent's 15 tools."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from agent_brain.tools.periods import PeriodArgs


class GetCreativesArgs(PeriodArgs):
    directionId: uuid.UUID | None = None
    status: Literal["active", "paused", "draft", "all"] = "all"
    mediaType: Literal["video", "image", "carousel"] | None = None


class CreativeRefArgs(BaseModel):
    creativeId: uuid.UUID = Field(description="Creative id (from getCreatives)")


class CreativePeriodArgs(PeriodArgs):
    creativeId: uuid.UUID


class TopCreativesArgs(PeriodArgs):
    metric: Literal["cpl", "ctr", "leads", "spend"] = Field(default="cpl", description="Rank by this metric")
    limit: int = Field(default=5, ge=1, le=20)
    directionId: uuid.UUID | None = None


class WorstCreativesArgs(PeriodArgs):
    limit: int = Field(default=5, ge=1, le=20)
    directionId: uuid.UUID | None = None


class CompareCreativesArgs(PeriodArgs):
    creativeIds: list[uuid.UUID] = Field(min_length=2, max_length=5, description="2 to 5 creative ids")


class CreativeScoresArgs(BaseModel):
    creativeId: uuid.UUID | None = None
    riskLevel: Literal["low", "medium", "high"] | None = None


class CreativeTestsArgs(BaseModel):
    creativeId: uuid.UUID | None = None
    status: Literal["running", "completed", "stopped", "all"] = "all"


class LaunchCreativeArgs(BaseModel):
    creativeId: uuid.UUID
    directionId: uuid.UUID = Field(description="Direction whose ad set will get a new ad with this creative")


class StartCreativeTestArgs(BaseModel):
    creativeId: uuid.UUID
    budgetCents: int = Field(default=2000, ge=500, le=100_000, description="Test budget in cents (~$20 default)")


class StopCreativeTestArgs(BaseModel):
    testId: uuid.UUID | None = Field(default=None, description="Test id; or give creativeId to stop its running test")
    creativeId: uuid.UUID | None = None

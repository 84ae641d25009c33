"""Arguments of the CRM agent's 5 tools."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from agent_brain.tools.periods import PeriodArgs


class GetLeadsArgs(PeriodArgs):
    temperature: Literal["hot", "warm", "cold"] | None = None
    stage: str | None = Field(default=None, max_length=100, description="Funnel stage name, e.g. Консультация")
    minScore: int | None = Field(default=None, ge=0, le=100)
    maxScore: int | None = Field(default=None, ge=0, le=100)
    directionId: uuid.UUID | None = None
    search: str | None = Field(default=None, max_length=100, description="Part of a name or phone")
    limit: int = Field(default=20, ge=1, le=100)

    @model_validator(mode="after")
    def _scores(self) -> GetLeadsArgs:
        if self.minScore is not None and self.maxScore is not None and self.minScore > self.maxScore:
            raise ValueError("minScore must not exceed maxScore")
        return self


class LeadRefArgs(BaseModel):
    leadId: uuid.UUID


class FunnelArgs(PeriodArgs):
    directionId: uuid.UUID | None = None


class UpdateLeadStageArgs(BaseModel):
    leadId: uuid.UUID
    stage: str = Field(min_length=1, max_length=100, description="Target funnel stage name")
    note: str | None = Field(default=None, max_length=500)

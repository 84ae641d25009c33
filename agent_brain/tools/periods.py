"""The reporting period shared by READ tools: a named preset or an explicit date range."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, model_validator

PeriodName = Literal["today", "yesterday", "last_7d", "last_14d", "last_30d", "this_month", "last_month",
                     "last_90d"]


class PeriodArgs(BaseModel):
    """Mixin for tools that report over a period."""

    period: PeriodName = Field(
        default="last_7d",
        description="Named period. last_7d = the 7 full days before today. Ignored when dateFrom/dateTo are given.",
    )
    dateFrom: dt.date | None = Field(default=None, description="Explicit start date (inclusive), YYYY-MM-DD.")
    dateTo: dt.date | None = Field(default=None, description="Explicit end date (inclusive), YYYY-MM-DD.")

    @model_validator(mode="after")
    def _range(self) -> PeriodArgs:
        if (self.dateFrom is None) != (self.dateTo is None):
            raise ValueError("give both dateFrom and dateTo, or neither")
        if self.dateFrom and self.dateTo and self.dateFrom > self.dateTo:
            raise ValueError("dateFrom must not be after dateTo")
        return self

    def date_range(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """Inclusive (start, end), by the same rules as Graph's date presets."""
        if self.dateFrom and self.dateTo:
            return self.dateFrom, self.dateTo
        yesterday = today - dt.timedelta(days=1)
        days = {"last_7d": 7, "last_14d": 14, "last_30d": 30, "last_90d": 90}
        if self.period in days:
            return today - dt.timedelta(days=days[self.period]), yesterday
        if self.period == "today":
            return today, today
        if self.period == "yesterday":
            return yesterday, yesterday
        if self.period == "this_month":
            return today.replace(day=1), today
        last = today.replace(day=1) - dt.timedelta(days=1)  # last_month
        return last.replace(day=1), last

    def label(self) -> str:
        if self.dateFrom and self.dateTo:
            return f"{self.dateFrom.isoformat()}…{self.dateTo.isoformat()}"
        return self.period

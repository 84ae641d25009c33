"""Arguments of the WhatsApp agent's 5 tools."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from agent_brain.tools.periods import PeriodArgs

E164 = r"^\+[1-9][0-9]{6,14}$"


def normalise_phone(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return "+" + digits


class GetDialogsArgs(PeriodArgs):
    interestLevel: Literal["hot", "warm", "cold"] | None = None
    search: str | None = Field(default=None, max_length=100, description="Part of a name or phone")
    awaitingReply: bool | None = Field(default=None, description="Only dialogs whose last message is the client's "
                                                                 "(waiting for our reply)")
    limit: int = Field(default=20, ge=1, le=100)


class PhoneArgs(BaseModel):
    phone: str = Field(pattern=E164, description="Phone in international format, e.g. +77001234567")

    @field_validator("phone", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        return normalise_phone(value) if isinstance(value, str) else value


INSTAGRAM_REF = r"^ig:[0-9]{5,32}$"
DIALOG_REF = rf"{E164}|{INSTAGRAM_REF}"


def dialog_ref(value: str) -> str:
    """A WhatsApp dialog by phone (normalised), an Instagram one as `ig:<Instagram-scoped id>`."""
    stripped = value.strip()
    if stripped.casefold().startswith(("ig:", "instagram:")):
        return "ig:" + "".join(ch for ch in stripped.split(":", 1)[1] if ch.isdigit())
    return normalise_phone(stripped)


class DialogArgs(BaseModel):
    phone: str = Field(pattern=DIALOG_REF, description="The dialog: the client's phone in international format "
                                                       "(+77001234567), or for an Instagram dialog ig:<Instagram id>")

    @field_validator("phone", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        return dialog_ref(value) if isinstance(value, str) else value


class DialogMessagesArgs(DialogArgs):
    limit: int = Field(default=50, ge=1, le=200)


class SearchDialogSummariesArgs(BaseModel):
    query: str = Field(min_length=2, max_length=200, description="What to look for, in the user's words")
    tags: list[str] | None = Field(default=None, max_length=10, description="Only dialogs with all these tags")
    limit: int = Field(default=10, ge=1, le=50)


class SendBulkMessageArgs(BaseModel):
    phones: list[str] = Field(min_length=1, max_length=500, description="Recipients, international format")
    message: str = Field(min_length=1, max_length=1000)

    @field_validator("phones", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        if isinstance(value, list):
            return [normalise_phone(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("phones")
    @classmethod
    def _e164(cls, value: list[str]) -> list[str]:
        import re

        bad = [p for p in value if not re.match(E164, p)]
        if bad:
            raise ValueError(f"not international phone numbers: {', '.join(bad[:3])}")
        return list(dict.fromkeys(value))  # de-duplicated, order kept

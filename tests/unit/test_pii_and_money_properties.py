"""Property tests: PII normalisation/hashing for custom audiences, and money conversions."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_brain.money import format_money, from_cents, to_cents
from agent_brain.platforms.base import leads_from_actions
from agent_brain.platforms.meta.pii import (
    hash_email,
    hash_phone,
    normalize_email,
    normalize_name,
    normalize_phone,
)

local = st.from_regex(r"[a-z0-9._%+-]{1,20}", fullmatch=True)
domain = st.from_regex(r"[a-z0-9-]{1,15}\.[a-z]{2,6}", fullmatch=True)
emails = st.builds(lambda lo, do: f"{lo}@{do}", local, domain)
case_noise = st.sampled_from([str.upper, str.lower, str.title, lambda s: s])
space = st.sampled_from(["", " ", "  ", "\t", "\n"])


@given(emails, case_noise, space, space)
def test_email_normalisation_ignores_case_and_surrounding_space(email: str, case, before: str, after: str) -> None:
    messy = before + case(email) + after
    assert normalize_email(messy) == email.lower()
    assert hash_email(messy) == hashlib.sha256(email.lower().encode()).hexdigest()


@given(st.text(max_size=30).filter(lambda s: "@" not in s))
def test_text_without_at_is_not_an_email(text: str) -> None:
    assert normalize_email(text) is None and hash_email(text) is None


ru_numbers = st.from_regex(r"9[0-9]{9}", fullmatch=True)
phone_formats = st.sampled_from([
    "+7 {a} {b}-{c}-{d}", "8 ({a}) {b}-{c}-{d}", "7{a}{b}{c}{d}", "+7({a}){b}{c}{d}", "007 {a} {b} {c} {d}",
])


@given(ru_numbers, phone_formats)
def test_phone_formats_of_one_number_normalise_to_one_value(number: str, fmt: str) -> None:
    written = fmt.format(a=number[:3], b=number[3:6], c=number[6:8], d=number[8:])
    assert normalize_phone(written) == "7" + number
    assert hash_phone(written) == hashlib.sha256(("7" + number).encode()).hexdigest()


@given(st.text(max_size=40))
def test_normalised_phone_is_digits_with_country_code_or_none(raw: str) -> None:
    value = normalize_phone(raw)
    assert value is None or (re.fullmatch(r"[1-9][0-9]{7,14}", value) is not None)


@given(st.text(max_size=30))
def test_hashes_are_lowercase_hex_sha256_or_none(raw: str) -> None:
    for digest in (hash_email(raw), hash_phone(raw)):
        assert digest is None or re.fullmatch(r"[0-9a-f]{64}", digest)


@given(st.text(min_size=1, max_size=20))
def test_name_normalisation_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert once is None or normalize_name(once) == once


def test_named_examples() -> None:
    assert normalize_phone("8 (701) 234-56-78") == "77012345678"
    assert normalize_phone("+1 (650) 555-0100", default_country_code="1") == "16505550100"
    assert normalize_name(" Анна-Мария ") == "аннамария"


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_cents_round_trip_through_major_units(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents
    assert to_cents(f"{from_cents(cents)}") == cents


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, places=4))
def test_to_cents_rounds_half_up_to_the_nearest_cent(amount: Decimal) -> None:
    cents = to_cents(amount)
    assert abs(Decimal(cents) - amount * 100) <= Decimal("0.5")


@given(st.integers(min_value=0, max_value=10**11))
def test_format_money_shows_two_decimals_and_parses_back(cents: int) -> None:
    shown = format_money(cents, "USD")
    assert shown.startswith("$") and to_cents(shown[1:].replace(",", "")) == cents


@pytest.mark.parametrize("garbage", ["", "abc", "1,2,3", "NaN", "inf"])
def test_to_cents_refuses_garbage(garbage: str) -> None:
    with pytest.raises(ValueError):
        to_cents(garbage)


@given(st.lists(st.tuples(st.sampled_from([
    "onsite_conversion.total_messaging_connection", "offsite_conversion.fb_pixel_lead",
    "offsite_conversion.custom.123", "omni_lead", "onsite_web_lead", "link_click", "video_view",
]), st.integers(min_value=0, max_value=10**6)), max_size=10))
def test_leads_count_only_the_three_lead_families(actions: list[tuple[str, int]]) -> None:
    raw = [{"action_type": kind, "value": str(n)} for kind, n in actions]
    expected = sum(n for kind, n in actions if kind.startswith(("onsite_conversion.total", "offsite_conversion.")))
    assert leads_from_actions(raw) == expected

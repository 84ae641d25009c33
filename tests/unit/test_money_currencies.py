"""Currencies without minor units (JPY, KRW…): Graph's amounts are whole units, shown and converted as such."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_brain.money import ZERO_DECIMAL, decimals, format_money, from_cents, to_cents


@pytest.mark.parametrize(("cents", "currency", "shown"), [
    (5000, "JPY", "¥5,000"), (1_250_000, "KRW", "₩1,250,000"), (123456, "USD", "$1,234.56"),
    (500000, "RUB", "5 000.00 ₽"), (-700, "JPY", "-¥700"), (99, "VND", "VND 99"),
])
def test_display(cents: int, currency: str, shown: str) -> None:
    assert format_money(cents, currency) == shown


def test_conversions_follow_the_currency() -> None:
    assert to_cents("5000", "JPY") == 5000 and to_cents("50", "USD") == 5000
    assert from_cents(5000, "JPY") == Decimal(5000) and from_cents(5000) == Decimal("50.00")
    assert decimals("jpy") == 0 and decimals("EUR") == 2 and {"JPY", "KRW"} <= ZERO_DECIMAL


@given(st.integers(min_value=-10**12, max_value=10**12), st.sampled_from(sorted(ZERO_DECIMAL | {"USD", "EUR"})))
def test_round_trip(cents: int, currency: str) -> None:
    assert to_cents(from_cents(cents, currency), currency) == cents

"""Money between platform formats (TikTok decimals, Google micros) and minor units: exact both ways."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from agent_brain.platforms.money import exponent, from_minor, micros_to_minor, minor_to_micros, to_minor

CURRENCIES = st.sampled_from(["USD", "EUR", "RUB", "JPY", "KRW", "KZT"])
MINOR = st.integers(min_value=0, max_value=10**11)


@given(MINOR, CURRENCIES)
def test_micros_round_trip(minor: int, currency: str) -> None:
    assert micros_to_minor(minor_to_micros(minor, currency), currency) == minor
    assert micros_to_minor(str(minor_to_micros(minor, currency)), currency) == minor  # int64 arrives as a string


@given(MINOR, CURRENCIES)
def test_decimal_round_trip(minor: int, currency: str) -> None:
    amount = from_minor(minor, currency)
    assert to_minor(str(amount), currency) == minor
    assert to_minor(float(amount), currency) == minor or minor > 10**13


def test_exponents_and_rounding() -> None:
    assert (exponent("USD"), exponent("JPY")) == (2, 0)
    assert to_minor("12.345", "USD") == 1235 and to_minor("12.344", "USD") == 1234
    assert micros_to_minor(1_234_567, "USD") == 123 and micros_to_minor(1_500_000, "JPY") == 2
    assert to_minor(None, "USD") == 0 and from_minor(1999, "USD") == Decimal("19.99")

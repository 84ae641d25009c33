"""Money between platform formats and our unified one: integer minor units of the account currency.

Meta already speaks minor units; TikTok sends decimal amounts in the currency ("12.34"), Google
Ads sends micros (1 unit = 1,000,000). The minor unit follows ISO 4217's exponent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies without a minor unit (the rest used by ad platforms have two digits).
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF"})


def exponent(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def to_minor(amount: str | float | Decimal | None, currency: str) -> int:
    """A decimal amount in currency units → minor units, rounded half up."""
    if amount in (None, ""):
        return 0
    value = Decimal(str(amount)) * (10 ** exponent(currency))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor) / (10 ** exponent(currency))


def micros_to_minor(micros: str | int | None, currency: str) -> int:
    if micros in (None, ""):
        return 0
    step = 10 ** (6 - exponent(currency))
    return int((Decimal(int(micros)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def minor_to_micros(minor: int, currency: str) -> int:
    return minor * 10 ** (6 - exponent(currency))

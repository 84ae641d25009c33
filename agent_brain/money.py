"""Money: integer minor units ("cents") everywhere; conversions at the edges only (Graph strings, user input,
display). Currencies without minor units (JPY, KRW…) count whole units: Graph's budgets and spend for them
are in yen, won… (Meta's currency offset 1), so their "cents" are the units themselves."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SYMBOLS = {"USD": "$", "EUR": "€", "RUB": "₽", "KZT": "₸", "GBP": "£", "JPY": "¥", "KRW": "₩"}
# Meta's currencies with offset 1 (no minor unit in its API).
ZERO_DECIMAL = frozenset({"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"})


def decimals(currency: str) -> int:
    """Digits after the point in the currency's minor unit: 0 for JPY, 2 for USD."""
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def to_cents(amount: str | int | float | Decimal, currency: str = "USD") -> int:
    """Major units → minor units, rounding half up ("12.345" → 1235; 5000 JPY → 5000). Raises ValueError."""
    try:
        value = Decimal(str(amount).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount of money: {amount!r}")
    return int((value * 10 ** decimals(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(cents: int, currency: str = "USD") -> Decimal:
    places = decimals(currency)
    return (Decimal(cents) / 10 ** places).quantize(Decimal(1).scaleb(-places))


def format_money(cents: int, currency: str = "USD") -> str:
    """1234567 → "$12,345.67"; currencies with a trailing sign: 500000 RUB → "5 000.00 ₽"."""
    sign = "-" if cents < 0 else ""
    major = f"{abs(from_cents(cents, currency)):,.{decimals(currency)}f}"
    symbol = SYMBOLS.get(currency.upper(), currency.upper() + " ")
    if currency.upper() in ("RUB", "KZT"):
        return f"{sign}{major.replace(',', ' ')} {symbol}"
    return f"{sign}{symbol}{major}"

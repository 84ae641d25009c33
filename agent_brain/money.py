"""Money: integer cents everywhere; conversions at the edges only (Graph strings, user input, display)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SYMBOLS = {"USD": "$", "EUR": "€", "RUB": "₽", "KZT": "₸", "GBP": "£"}


def to_cents(amount: str | int | float | Decimal) -> int:
    """Major units → cents, rounding half up ("12.345" → 1235). Raises ValueError on garbage."""
    try:
        value = Decimal(str(amount).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount of money: {amount!r}")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_money(cents: int, currency: str = "USD") -> str:
    """1234567 → "$12,345.67"; currencies with a trailing sign: 500000 RUB → "5 000.00 ₽"."""
    sign = "-" if cents < 0 else ""
    major = f"{abs(from_cents(cents)):,.2f}"
    symbol = SYMBOLS.get(currency.upper(), currency.upper() + " ")
    if currency.upper() in ("RUB", "KZT"):
        return f"{sign}{major.replace(',', ' ')} {symbol}"
    return f"{sign}{symbol}{major}"

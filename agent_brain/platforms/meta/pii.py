"""Customer data for custom audiences: normalised as Meta specifies, then SHA-256 hashed.

Meta matches hashes of normalised values only, so normalisation is the difference between an
audience that matches and one that silently does not.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_DIGITS = re.compile(r"\D")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str | None:
    """Trimmed and lower-cased; None if it is not an e-mail address."""
    value = email.strip().lower()
    return value if _EMAIL.match(value) else None


def normalize_phone(phone: str, *, default_country_code: str = "7") -> str | None:
    """Digits only, with the country code and no leading zeros or '+'.

    A local Russian/Kazakh number written with a trunk prefix (8 900 …) gets the country code
    7; a number without one gets `default_country_code`. None if too short to be a phone.
    """
    digits = _NON_DIGITS.sub("", phone.strip())
    if phone.strip().startswith("00"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("8") and default_country_code == "7":
        digits = "7" + digits[1:]
    elif len(digits) == 10:
        digits = default_country_code + digits
    digits = digits.lstrip("0")
    return digits if 8 <= len(digits) <= 15 else None


def normalize_name(name: str) -> str | None:
    """Lower-case letters only (no punctuation or spaces), Unicode NFC, as Meta's FN/LN keys expect."""
    value = unicodedata.normalize("NFC", name).strip().lower()
    value = "".join(ch for ch in value if ch.isalpha())
    return value or None


def hash_email(email: str) -> str | None:
    value = normalize_email(email)
    return None if value is None else sha256_hex(value)


def hash_phone(phone: str, *, default_country_code: str = "7") -> str | None:
    value = normalize_phone(phone, default_country_code=default_country_code)
    return None if value is None else sha256_hex(value)

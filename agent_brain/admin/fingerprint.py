"""How a secret is named on screen: a short SHA-256 prefix, never the secret itself."""

from __future__ import annotations

import hashlib

FINGERPRINT_CHARS = 12


def of_hash(sha256_hex: str) -> str:
    """Fingerprint of a secret stored only as its SHA-256 (API tokens, sessions, login codes)."""
    return "sha256:" + sha256_hex[:FINGERPRINT_CHARS]


def of_secret(secret: str) -> str:
    """Fingerprint of a secret held in clear (a decrypted platform token); same form as `of_hash`."""
    return of_hash(hashlib.sha256(secret.encode()).hexdigest())

"""Secrets at rest: API tokens are stored as SHA-256 hashes, platform tokens are Fernet-encrypted."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.config import Settings

API_TOKEN_PREFIX = "ab_"


def new_api_token() -> str:
    """A fresh bearer token (≈ 256 bits of entropy); shown once, stored only as a hash."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 hex digest. Tokens are high-entropy random strings, so a fast hash is appropriate."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenCipher:
    """Encrypts platform access tokens (Fernet: AES-128-CBC + HMAC-SHA256, with a timestamp)."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        if settings.encryption_key is not None:
            return cls(settings.encryption_key.get_secret_value().encode())
        return cls(_load_or_create_key_file(settings.data_dir / "encryption.key"))

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken:
            raise ValueError(
                "stored access token cannot be decrypted: ENCRYPTION_KEY differs from the one used to store it"
            ) from None


async def rotate_stored_tokens(engine: AsyncEngine, *, old: TokenCipher, new: TokenCipher) -> int:
    """Re-encrypt every stored platform token under `new`, in one transaction (all or nothing).

    Raises ValueError (and changes nothing) when a token does not decrypt with `old`.
    """
    from agent_brain.db.models import AdAccount

    async with engine.begin() as conn:
        rows = (await conn.execute(select(AdAccount.id, AdAccount.access_token_encrypted)
                                   .where(AdAccount.access_token_encrypted.is_not(None)).with_for_update())).all()
        for row in rows:
            await conn.execute(update(AdAccount).where(AdAccount.id == row.id).values(
                access_token_encrypted=new.encrypt(old.decrypt(row.access_token_encrypted))))
    return len(rows)


def _load_or_create_key_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # O_EXCL: if two processes race, one creates the file and the other reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key

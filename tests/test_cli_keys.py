"""Keys from the command line: keygen always works, rotate-key re-encrypts every stored token or none."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.security import TokenCipher
from agent_brain.stores.users import UserStore

MAIN = "import sys; from agent_brain.cli import main; sys.exit(main())"


def _cli(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", MAIN, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120, input=stdin)


def _key_starting_with_dash() -> str:
    """A valid Fernet key that begins with "-" (1 in 64 from keygen): `--new-key KEY` would break on it."""
    key = base64.urlsafe_b64encode(bytes([0xF8]) + os.urandom(31)).decode()
    assert key.startswith("-")
    return key


def test_keygen_works_even_when_the_configured_key_is_broken() -> None:
    done = _cli("keygen", ENCRYPTION_KEY="not-a-key")
    assert done.returncode == 0, done.stderr
    Fernet(done.stdout.strip().encode())  # a valid key


async def test_rotate_key_re_encrypts_stored_tokens(engine: AsyncEngine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    old_key, new_key = Fernet.generate_key().decode(), _key_starting_with_dash()
    users = UserStore(engine)
    user, _ = await users.create_user("owner")
    for n in (1, 2):
        await users.upsert_ad_account(user.id, external_id=f"act_{n}", name=f"a{n}", access_token=f"EAAB-secret-{n}",
                                      cipher=TokenCipher(old_key.encode()))
    url = engine.url.render_as_string(hide_password=False)
    wrong = _cli("rotate-key", f"--new-key={new_key}", DATABASE_URL=url, ENCRYPTION_KEY=new_key,
                 DATA_DIR=str(tmp_path))
    assert wrong.returncode == 1 and "nothing was changed" in wrong.stderr, wrong.stderr  # the configured key is not the old one
    done = _cli("rotate-key", stdin=new_key + "\n", DATABASE_URL=url, ENCRYPTION_KEY=old_key, DATA_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 2 stored token(s)" in done.stdout and "EAAB" not in done.stdout + done.stderr
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT external_id, access_token_encrypted FROM ad_accounts "
                                          "ORDER BY external_id"))).all()
    assert [TokenCipher(new_key.encode()).decrypt(bytes(t)) for _, t in stored] == ["EAAB-secret-1", "EAAB-secret-2"]


def test_rotate_key_rejects_a_key_that_is_not_fernet() -> None:
    bad = _cli("rotate-key", stdin="not-a-key\n", ENCRYPTION_KEY=Fernet.generate_key().decode())
    assert bad.returncode == 2 and "not a Fernet key" in bad.stderr, bad.stderr

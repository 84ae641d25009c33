"""Admin commands run as the operator runs them: `agent_brain.cli.main` with the environment pointing
at this test's own database (in a thread: the CLI starts its own event loop)."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.cli import main


@dataclass
class Ran:
    code: int
    out: str
    err: str


Cli = Callable[..., Awaitable[Ran]]


@pytest.fixture
def encryption_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def cli(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, tmp_path, capsys, encryption_key: str) -> Cli:  # type: ignore[no-untyped-def]
    return _cli_for(engine, monkeypatch, tmp_path, capsys, encryption_key)


def _cli_for(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, tmp_path, capsys, key: str) -> Cli:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "FB_ACCESS_TOKEN", "FB_AD_ACCOUNT_ID", "GRAPH_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ENCRYPTION_KEY", key)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))

    async def run(*argv: str, stdin: str = "") -> Ran:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            code = await asyncio.to_thread(main, list(argv))
        finally:  # the CLI configures the process's logging; the test process keeps its own
            for handler in [h for h in root.handlers if h not in handlers]:
                root.removeHandler(handler)
            root.setLevel(level)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def demo_cli(demo_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, tmp_path, capsys, encryption_key: str) -> Cli:  # type: ignore[no-untyped-def]
    """`cli` over a database holding the demo world."""
    return _cli_for(demo_engine, monkeypatch, tmp_path, capsys, encryption_key)

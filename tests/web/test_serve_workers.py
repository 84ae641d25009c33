"""`agent-brain serve --workers 2` as the operator runs it: one parent, two worker processes on one port and
one PostgreSQL; the login link is printed once, when a worker answers."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

REPO = Path(__file__).resolve().parents[2]
MAIN = "import sys; from agent_brain.cli import main; sys.exit(main())"


async def _until(condition, what: str, seconds: float = 180.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition the server's output will meet (polled: the output is a file)."""
    for _ in range(int(seconds / 0.2)):
        if condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no sign of {what} after {seconds:.0f} s")


async def test_serve_with_two_workers_answers_from_worker_processes(demo_engine: AsyncEngine, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "FB_ACCESS_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")}
    env.update(DATABASE_URL=demo_engine.url.render_as_string(hide_password=False), DATA_DIR=str(tmp_path),
               PYTHONPATH=str(REPO), LOG_FORMAT="text")
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", MAIN, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", "0",
            cwd=tmp_path, env=env, stdout=stdout, stderr=stderr)
    try:
        await _until(lambda: "/login?code=" in out.read_text() or process.returncode is not None, "the login link")
        printed = out.read_text()
        assert printed.count("/login?code=") == 1, printed + err.read_text()
        port = int(re.search(r"agent-brain web chat: http://127\.0\.0\.1:(\d+)/", printed).group(1))  # type: ignore[union-attr]
        await _until(lambda: err.read_text().count("Application startup complete.") == 2, "both workers")
        workers = {int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", err.read_text())}
        assert len(workers) == 2 and process.pid not in workers

        answered = set()
        for _ in range(6):  # a new connection each time: either worker may accept it
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
                ready = await client.get("/ready")
                assert ready.status_code == 200, ready.text
                health = (await client.get("/health")).json()
                assert health["database"] is True
                answered.add(health["pid"])
        assert answered <= workers
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            code = await process.wait()
    assert code == 0, err.read_text()[-2000:]
    assert "Waiting for child process" in err.read_text()  # the parent stopped its workers

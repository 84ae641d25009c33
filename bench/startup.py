"""Issue 14 measure: start-up. The demo seed on an empty database (and again, a no-op top-up), then
`agent-brain serve` on that existing database, N times: seconds from spawn until the port accepts
connections, until /health answers, and until the login link is printed — which must come only
after the port accepts. Prints figures; asserts nothing about time (targets: listening ≤ 3 s,
seed ≤ 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import scratch_database  # noqa: E402

from agent_brain.demo.seed import seed_demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def one_start(db_url: str) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    for name in ("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "FB_ACCESS_TOKEN"):
        env.pop(name, None)
    command = [sys.executable, "-c", "import sys; from agent_brain.cli import main; sys.exit(main())",
               "serve", "--port", str(port)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,  # noqa: ASYNC220
                               text=True, bufsize=1)
    marks: dict[str, float] = {}
    link_seen_while_closed = False
    loop = asyncio.get_running_loop()

    def read_stdout() -> None:
        nonlocal link_seen_while_closed
        assert process.stdout is not None
        for line in process.stdout:
            if "/login?code=" in line and "link" not in marks:
                marks["link"] = time.perf_counter() - started
                link_seen_while_closed = not accepts(port)

    reader = loop.run_in_executor(None, read_stdout)
    try:
        async with httpx.AsyncClient(timeout=1) as http:
            while "health" not in marks or "link" not in marks:
                if process.poll() is not None:
                    raise RuntimeError(f"serve exited with {process.returncode}")
                if time.perf_counter() - started > 60:
                    raise TimeoutError("serve did not start within 60 s")
                if "listening" not in marks and accepts(port):
                    marks["listening"] = time.perf_counter() - started
                if "listening" in marks and "health" not in marks:
                    try:
                        if (await http.get(f"http://127.0.0.1:{port}/health")).status_code < 500:
                            marks["health"] = time.perf_counter() - started
                    except httpx.HTTPError:
                        pass
                await asyncio.sleep(0.02)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        await reader
    marks["link_before_port"] = float(link_seen_while_closed)
    return marks


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    opts = parser.parse_args()
    async with scratch_database() as engine:
        t0 = time.perf_counter()
        await seed_demo(engine)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        await seed_demo(engine)
        again = time.perf_counter() - t0
        print(f"demo seed on an empty database: {first:5.2f} s   (target ≤ 3 s); again (no-op top-up): {again:5.2f} s")
        db_url = engine.url.render_as_string(hide_password=False)
        runs = [await one_start(db_url) for _ in range(opts.starts)]
    print(f"`agent-brain serve` on that existing database, {len(runs)} starts (median / max seconds from spawn):")
    for key, label in (("listening", "port accepts connections"), ("health", "/health answers"),
                       ("link", "login link printed")):
        values = [r[key] for r in runs]
        print(f"  {label:<26} {statistics.median(values):5.2f} / {max(values):5.2f}"
              + ("   (target ≤ 3 s)" if key == "listening" else ""))
    early = sum(int(r["link_before_port"]) for r in runs)
    print(f"  login link printed before the port accepted: {early} of {len(runs)} starts")


if __name__ == "__main__":
    asyncio.run(main())

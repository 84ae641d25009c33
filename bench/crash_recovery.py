"""Issue 12 measure: kill -9 a real `agent-brain serve` in the middle of a plan run, restart it, and count.

Two processes over one scratch database: `agent-brain sandbox` (the Graph sandbox over HTTP, where
faults are injected) and `agent-brain serve` pointed at it (GRAPH_BASE_URL). For each kill point, N
times: a plan «Останови кампанию Виниры СПб» is made over the web API, approved, and serve gets
SIGKILL at that point (the sandbox's slow faults widen the window); then serve is restarted and the
user keeps chatting in the same conversation. Points:

  approve  — just after the approve request was accepted (the plan is `executing`, nothing written)
  call     — during the Graph call (the POST is held by a `slow` fault before it applies)
  landed   — after the Graph write landed, before it is recorded (`slow_response`: applied, answer held)
  check    — during the post-check read (the journal says `applied`; the reads are slowed)

Prints: runs, duplicate writes (sandbox writes beyond one per run), plans left `executing`, applied
writes missing from the journal, and seconds from the kill until a chat message is answered again
(max / median). Then 100 concurrent approves of one plan: writes, and the HTTP statuses.

    python bench/crash_recovery.py [--runs 10] [--points approve,call,landed,check]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import scratch_database  # noqa: E402

from agent_brain.stores.users import UserStore  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = "Виниры СПб"
PAUSE = f"Останови кампанию {CAMPAIGN}"
READ = "Покажи расходы за неделю"
POINTS = ("approve", "call", "landed", "check")
WAIT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "import sys; from agent_brain.cli import main; sys.exit(main())", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


async def wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(WAIT_SECONDS * 10):
            if process.poll() is not None:
                raise RuntimeError(f"{url}: the process exited with {process.returncode}")
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


class Bench:
    def __init__(self, engine, db_url: str, logs: Path) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.logs = logs
        self.sandbox_port, self.port = free_port(), free_port()
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
        for name in ("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN"):
            self.env.pop(name, None)
        self.serve_env = {**self.env, "FB_ACCESS_TOKEN": "bench-token", "GRAPH_BASE_URL": self.sandbox_url}
        self.sandbox: subprocess.Popen[bytes] | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.token = ""
        self.campaign_id = ""

    async def start(self) -> None:
        self.sandbox = launch(["sandbox", "--port", str(self.sandbox_port)], self.env, self.logs / "sandbox.log")
        await wait_http(f"{self.sandbox_url}/_sandbox/stats", self.sandbox)
        await self.start_server()
        async with self.engine.connect() as conn:
            demo = (await conn.execute(text("SELECT id FROM users WHERE name = 'demo'"))).scalar_one()
            self.campaign_id = (await conn.execute(text(
                "SELECT id FROM sandbox_objects WHERE type = 'campaign' AND name = :n"), {"n": CAMPAIGN})).scalar_one()
        self.token = await UserStore(self.engine).issue_token(demo, label="bench")

    async def start_server(self) -> None:
        self.server = launch(["serve", "--port", str(self.port), "--no-demo"], self.serve_env, self.logs / "serve.log")
        await wait_http(f"{self.url}/health", self.server)

    def kill(self) -> None:
        assert self.server is not None
        os.kill(self.server.pid, signal.SIGKILL)
        self.server.wait()

    def stop(self) -> None:
        for process in (self.server, self.sandbox):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def sandbox_call(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.sandbox_url, timeout=30) as http:
            return await http.request(method, path, **kwargs)  # type: ignore[arg-type]

    async def writes(self) -> int:
        return (await self.sandbox_call("GET", "/_sandbox/stats")).json()["writes_applied"]

    async def fault(self, kind: str, *, method: str, delay: float, times: int = 1) -> None:
        await self.sandbox_call("POST", "/_sandbox/faults", json={"kind": kind, "method": method,
                                                                  "delay_seconds": delay, "times": times})

    async def campaign_status(self) -> str:
        reply = await self.sandbox_call("GET", f"/v26.0/{self.campaign_id}",
                                        params={"fields": "status", "access_token": "bench"})
        return reply.json()["status"]

    async def make_plan(self, http: httpx.AsyncClient) -> tuple[str, str]:
        await self.sandbox_call("DELETE", "/_sandbox/faults")
        await self.sandbox_call("POST", f"/v26.0/{self.campaign_id}", data={"status": "ACTIVE", "access_token": "b"})
        reply = await http.post("/api/brain/chat/message", json={"message": PAUSE, "mode": "plan"}, headers=self.auth)
        reply.raise_for_status()
        body = reply.json()
        return body["conversationId"], body["plan"]["id"]

    async def poll(self, sql: str, params: dict[str, object], want: object, within: float = 20) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with self.engine.connect() as conn:
                if (await conn.execute(text(sql), params)).scalar() == want:
                    return True
            await asyncio.sleep(0.02)
        return False


async def one_run(bench: Bench, point: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=bench.url, timeout=60) as http:
        conversation, plan = await bench.make_plan(http)
    writes_before = await bench.writes()
    action_status = "SELECT status FROM ai_actions WHERE plan_id = :p ORDER BY created_at DESC LIMIT 1"
    plan_status = "SELECT status FROM ai_pending_plans WHERE id = :p"
    if point == "call":
        await bench.fault("slow", method="POST", delay=3)
    elif point == "landed":
        await bench.fault("slow_response", method="POST", delay=5)
    elif point == "check":  # every read of the step is slowed, the post-check read among them
        await bench.fault("slow", method="GET", delay=1.5, times=12)
    client = httpx.AsyncClient(base_url=bench.url, timeout=60)
    approve = asyncio.create_task(client.post(f"/api/brain/plans/{plan}/approve", json={"mode": "all"},
                                              headers=bench.auth))
    params = {"p": uuid.UUID(plan)}
    if point == "approve":
        reached = await bench.poll(plan_status, params, "executing")
    elif point == "call":
        reached = await bench.poll(action_status, params, "sent")
    elif point == "landed":
        reached = await bench.poll(action_status, params, "sent") and await _until_paused(bench)
    else:
        reached = await bench.poll(action_status, params, "applied")
    bench.kill()
    killed = time.monotonic()
    approve.cancel()
    await client.aclose()
    await bench.start_server()
    up = time.monotonic()
    async with httpx.AsyncClient(base_url=bench.url, timeout=60) as http:
        while True:  # the user keeps chatting in the same conversation: when is a message accepted again?
            sent = time.monotonic()
            reply = await http.post("/api/brain/chat/message", json={"message": READ, "conversationId": conversation},
                                    headers=bench.auth)
            if reply.status_code == 200:
                break
            await asyncio.sleep(0.25)
    chat_again, after_restart = sent - killed, max(0.0, sent - up)
    await bench.poll("SELECT status NOT IN ('executing') FROM ai_pending_plans WHERE id = :p", params, True,
                     within=WAIT_SECONDS)
    await asyncio.sleep(6)  # a write held by a slow fault lands in the sandbox before we count
    async with bench.engine.connect() as conn:
        final = (await conn.execute(text(plan_status), params)).scalar_one()
        journalled = (await conn.execute(text(
            "SELECT count(*) FROM ai_actions WHERE plan_id = :p AND status IN ('applied', 'verified', 'unverified')"),
            params)).scalar_one()
    applied = await bench.writes() - writes_before
    paused = await bench.campaign_status() == "PAUSED"
    return {"point": point, "reached": reached, "plan": final, "writes": applied, "chat_again": chat_again,
            "after_restart": after_restart,
            "missing": int(paused and journalled == 0), "duplicates": max(0, applied - 1)}


async def _until_paused(bench: Bench, within: float = 20) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await bench.campaign_status() == "PAUSED":
            return True
        await asyncio.sleep(0.05)
    return False


async def concurrent_approves(bench: Bench, count: int = 100) -> tuple[int, Counter[int]]:
    async with httpx.AsyncClient(base_url=bench.url, timeout=120,
                                 limits=httpx.Limits(max_connections=count)) as http:
        _, plan = await bench.make_plan(http)
        writes_before = await bench.writes()
        replies = await asyncio.gather(*(http.post(f"/api/brain/plans/{plan}/approve", json={"mode": "all"},
                                                   headers=bench.auth) for _ in range(count)),
                                       return_exceptions=True)
    statuses = Counter(r.status_code if isinstance(r, httpx.Response) else 0 for r in replies)
    return await bench.writes() - writes_before, statuses


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10, help="kills per point")
    parser.add_argument("--points", default=",".join(POINTS))
    options = parser.parse_args()
    logs = Path(os.environ.get("BENCH_LOG_DIR", "/tmp")) / f"crash_recovery_{uuid.uuid4().hex[:6]}"
    logs.mkdir(parents=True)
    async with scratch_database() as engine:
        bench = Bench(engine, engine.url.render_as_string(hide_password=False).replace("+asyncpg", ""), logs)
        try:
            await bench.start()
            results = []
            for point in options.points.split(","):
                for _ in range(options.runs):
                    results.append(await one_run(bench, point))
                    print(results[-1], flush=True)
            writes, statuses = await concurrent_approves(bench)
        finally:
            bench.stop()
    delays = [float(r["chat_again"]) for r in results]  # type: ignore[arg-type]
    per_point = ", ".join(f"{p} {sum(r['point'] == p for r in results)}" for p in POINTS)
    print(f"runs: {len(results)} ({per_point}); kill point reached: {sum(bool(r['reached']) for r in results)}")
    print(f"duplicate writes: {sum(int(r['duplicates']) for r in results)}")  # type: ignore[call-overload]
    print(f"plans left executing: {sum(r['plan'] == 'executing' for r in results)}")
    print(f"applied writes missing from the journal: {sum(int(r['missing']) for r in results)}")  # type: ignore[call-overload]
    print(f"final plan states: {dict(Counter(str(r['plan']) for r in results))}")
    restarted = [float(r["after_restart"]) for r in results]  # type: ignore[arg-type]
    if delays:
        print(f"seconds until the user can chat again, from the kill (restart included): max {max(delays):.1f}, "
              f"median {statistics.median(delays):.1f}; once the restarted server answers: max {max(restarted):.1f}, "
              f"median {statistics.median(restarted):.1f}")
    print(f"100 concurrent approves: {writes} write(s); HTTP {dict(sorted(statuses.items()))}")
    print(f"logs: {logs}")


if __name__ == "__main__":
    asyncio.run(main())

"""The terminal chat as a person uses it: manual step-by-step approval, pasted and undecodable text."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from agent_brain.orchestrator.user_text import clean_user_text
from agent_brain.stores.unified import UnifiedStore
from agent_brain.terminal_chat import TerminalChat


def _chat(product: dict[str, Any]) -> tuple[TerminalChat, io.StringIO]:
    orch = product["build"]()
    runtime = SimpleNamespace(orchestrator=orch, conversations=UnifiedStore(product["engine"]), meta=product["meta"])
    out = io.StringIO()
    return TerminalChat(runtime, product["user_id"], as_json=True, out=out), out  # type: ignore[arg-type]


def _events(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_approve_n_runs_every_step_of_a_manual_plan(product) -> None:  # type: ignore[no-untyped-def]
    chat, out = _chat(product)
    await chat.handle_line("/mode plan")
    await chat.handle_line("Останови кампании Виниры СПб и Имплантация Москва")
    approval = next(e for e in _events(out) if e["type"] == "approval_required")
    steps = approval["plan"]["steps"]
    assert [s["action"] for s in steps] == ["pauseCampaign", "pauseCampaign"]
    for n in range(1, len(steps) + 1):
        await chat.handle_line(f"/approve {n}")
    results = [e for e in _events(out) if e["type"] == "step_result"]
    assert [r["success"] for r in results] == [True, True], results
    assert not any(e["type"] == "error" and e["code"] == "no_plan" for e in _events(out))
    statuses = {c.name: c.status for c in await product["meta"].list_campaigns("act_100200300400")}
    assert statuses["Виниры СПб"] == statuses["Имплантация Москва"] == "PAUSED"


async def test_a_paste_cut_mid_character_is_answered_not_crashed(product) -> None:  # type: ignore[no-untyped-def]
    chat, out = _chat(product)
    cut = "Покажи расходы за неделю по кампании Имплантация Москва".encode()[:-1]
    await chat.handle_line(cut.decode("utf-8", "surrogateescape"))  # what a C-locale terminal hands over
    events = _events(out)
    assert not any(e["type"] == "error" for e in events), events
    assert events[-1]["type"] == "done" and events[-1]["text"]
    async with product["engine"].connect() as conn:
        stored = (await conn.execute(text(
            "SELECT content FROM ai_messages WHERE role = 'user' ORDER BY created_at DESC LIMIT 1"))).scalar_one()
    assert stored == "Покажи расходы за неделю по кампании Имплантация Москв\ufffd"


def test_user_text_cleaning() -> None:
    assert clean_user_text("  a\x00b\x1bc\td\n ") == "abc\td"
    assert clean_user_text("x\ud800y") == "x\ufffd\ufffd\ufffdy"  # a lone surrogate from JSON
    assert clean_user_text("Привет".encode()[:-1].decode("utf-8", "surrogateescape")) == "Приве\ufffd"


def test_chat_logs_stay_out_of_the_conversation(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`agent-brain chat` migrates and seeds quietly: no INFO logs (HTTP requests, Alembic) in the chat."""
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(tmp_path), "LOG_LEVEL": "INFO"}
    code = "import sys; from agent_brain.cli import main; sys.exit(main())"
    done = subprocess.run([sys.executable, "-c", code, "chat", "--json"], input="Покажи кампании\n", env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[-1]["type"] == "done" and events[-1]["text"]  # the chat answered…
    assert "INFO" not in done.stderr, done.stderr  # …and nothing else was printed

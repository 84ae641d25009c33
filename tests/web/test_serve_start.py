"""`serve` prints the login link only once the port accepts connections, and not at all (issuing
nothing) when the port is taken."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from fastapi import FastAPI

from agent_brain.cli import _run_server, _until_listening


def _server(port: int) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(FastAPI(), host="127.0.0.1", port=port, log_level="critical",
                                         lifespan="off"))


async def test_listening_is_reported_only_when_the_port_accepts_connections() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _server(port)
    serving = asyncio.create_task(_run_server(server))
    try:
        assert await _until_listening(server, serving) is True
        reader, writer = await asyncio.open_connection("127.0.0.1", port)  # it does accept
        writer.close()
        await writer.wait_closed()
    finally:
        server.should_exit = True
    assert await serving is True


async def test_a_taken_port_reports_failure_instead_of_a_link() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = _server(taken.getsockname()[1])
        serving = asyncio.create_task(_run_server(server))
        assert await _until_listening(server, serving) is False
        assert await serving is False  # uvicorn's exit on "address already in use" becomes a failed start

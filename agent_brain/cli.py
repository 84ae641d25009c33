"""`agent-brain` command line: serve, worker, migrate, demo-seed, users, chat, sandbox, telegram, keygen."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from agent_brain.config import Settings, SettingsError, load_settings

log = logging.getLogger("agent_brain")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    if args.handler is _keygen:  # needs no configuration: it is how a broken ENCRYPTION_KEY gets fixed
        return asyncio.run(_keygen(args, None))
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    # The terminal chat is a conversation, not a server console: its logs stay out of the way
    # (WARNING and above, on stderr, or a file) unless asked for with --verbose.
    quiet = args.handler is _chat and not args.verbose
    log_file = getattr(args, "log_file", None)
    from agent_brain.observability.logs import configure_logging

    configure_logging("WARNING" if quiet else settings.log_level, settings.log_format, filename=log_file)
    handler: Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]] = args.handler
    try:
        if args.handler is _serve and args.workers > 1:  # a process supervisor, not one event loop
            return _serve_workers(args, settings)
        return asyncio.run(handler(args, settings))
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agent-brain", description=__doc__)
    sub = parser.add_subparsers(title="commands")

    serve = sub.add_parser("serve", help="migrate, seed the demo world if empty, and run the web chat")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-demo", action="store_true", help="do not seed the demo world")
    serve.add_argument("--workers", type=int, default=1,
                       help="web processes sharing the port and one PostgreSQL (default 1); each runs the web app, "
                            "a job-queue worker and recovery; Telegram polling runs in one of them")
    serve.set_defaults(handler=_serve)

    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.add_argument("--revision", default="head")
    mig.add_argument("--downgrade", action="store_true", help="downgrade to --revision (e.g. base)")
    mig.set_defaults(handler=_migrate)

    seed = sub.add_parser("demo-seed", help="fill the deterministic demo business (idempotent)")
    seed.set_defaults(handler=_demo_seed)

    users = sub.add_parser("users", help="manage users").add_subparsers(title="users commands")
    create = users.add_parser("create", help="create a user; prints the API token alone on the last line")
    create.add_argument("name")
    create.add_argument("--language", choices=("ru", "en"), default="ru")
    create.set_defaults(handler=_users_create)

    from agent_brain.admin.cli import (
        register as register_admin,  # users list|disable|enable, tokens, accounts, telegram
    )

    register_admin(sub, users)

    chat = sub.add_parser("chat", help="terminal chat over the orchestrator (--json: one event per line)")
    chat.add_argument("--user", default="demo", help="user name (default: the demo user)")
    chat.add_argument("--json", action="store_true", help="read lines from stdin, print events as JSON lines")
    chat.add_argument("--verbose", action="store_true", help="show INFO logs (default: warnings only)")
    chat.add_argument("--log-file", help="write logs to this file instead of stderr")
    chat.set_defaults(handler=_chat)

    sandbox = sub.add_parser("sandbox", help="serve the Graph, TikTok and Google Ads sandboxes over HTTP (for outside clients)")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.set_defaults(handler=_sandbox)

    worker = sub.add_parser("worker", help="run background jobs (metrics sync, housekeeping) until stopped")
    worker.add_argument("--concurrency", type=int, default=4, help="jobs run at once (default 4)")
    worker.add_argument("--name", default=None, help="worker name in logs (default: worker-<pid>)")
    worker.set_defaults(handler=_worker)

    keygen = sub.add_parser("keygen", help="print a new ENCRYPTION_KEY")
    keygen.set_defaults(handler=_keygen)

    rotate = sub.add_parser("rotate-key", help="re-encrypt stored platform tokens under a new ENCRYPTION_KEY")
    # A Fernet key may begin with "-", which argparse would take for an option in `--new-key KEY`:
    # the key comes from stdin (also keeps it off the process list) or as `--new-key=KEY`.
    rotate.add_argument("--new-key", default=None,
                        help="the new key (from `agent-brain keygen`), written as --new-key=KEY; "
                             "without it the key is read from stdin")
    rotate.set_defaults(handler=_rotate_key)
    return parser


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from agent_brain.runtime import open_runtime
    from web_api.app import create_app

    # Migration chatter and the job queue's per-job lines (every minute) would bury the login link; the
    # queue still logs warnings and failures, and `/metrics` counts its jobs.
    for chatty in ("alembic", "procrastinate"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    async with open_runtime(settings) as runtime:  # an existing database: one SELECT, no Alembic
        seed_first = False
        if not args.no_demo:
            seed_first = await runtime.users.get_by_name("demo") is None
            if seed_first:
                from agent_brain.demo.seed import DEMO_PLATFORMS, seed_demo

                log.info("%s", await seed_demo(runtime.engine, platforms=DEMO_PLATFORMS))  # the login link needs it
        app = create_app(settings, runtime=runtime)
        # JSON logs: uvicorn's loggers go through our root handler (same format, turn ids, redaction).
        server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="info",
                                               **({"log_config": None} if settings.log_format == "json" else {})))
        # The port opens first; what the first page does not need (the demo top-up, the job queue and
        # its worker, recovery, the Telegram bot) starts once it listens.
        serving = asyncio.create_task(_run_server(server))
        if not await _until_listening(server, serving):
            return 1 if not await serving else 0
        try:
            return await _serve_background(args, settings, runtime, server, serving, top_up=not (args.no_demo or seed_first))
        finally:
            if not serving.done():  # a failure starting the background parts stops the server too
                server.should_exit = True
                with contextlib.suppress(Exception):
                    await serving


async def _serve_background(args: argparse.Namespace, settings: Settings, runtime: Any, server: Any,
                            serving: asyncio.Task[bool], *, top_up: bool) -> int:
    """The parts of `serve` started once the port listens; returns when the server stops."""
    await _print_login_link(runtime, f"http://{args.host}:{args.port}")
    top_up_task = asyncio.create_task(_top_up_demo(runtime)) if top_up else None  # the day's new demo data
    from web_api.background import background_services

    try:
        async with background_services(settings, runtime, name=f"serve-{os.getpid()}"):
            started = await serving
    finally:
        if top_up_task is not None:
            top_up_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await top_up_task
    return 0 if started else 1


def _serve_workers(args: argparse.Namespace, settings: Settings) -> int:
    """`serve --workers N`: migrations and the demo seed run here, once; then N uvicorn worker processes
    (`web_api.workers:create_worker_app`) accept on one socket, and everything they share is in PostgreSQL."""
    import socket
    import threading

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from agent_brain.db.engine import resolve_database_url

    for chatty in ("alembic", "procrastinate"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # One database for every worker: the embedded server (DATABASE_URL unset) is started here, once, and
    # lives as long as this process; the workers inherit its URL.
    url = resolve_database_url(settings)
    os.environ["DATABASE_URL"] = url
    settings = settings.model_copy(update={"database_url": url})
    # The socket is bound here (so `--port 0` works and the login link names the real port); each worker
    # listens on it.
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    lines = asyncio.run(_prepare_workers(args, settings, f"http://{args.host}:{port}"))
    config = uvicorn.Config("web_api.workers:create_worker_app", factory=True, host=args.host, port=port,
                            workers=args.workers, log_level="info",
                            **({"log_config": None} if settings.log_format == "json" else {}))
    probe_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else "::1" if args.host == "::" else args.host
    threading.Thread(target=_print_when_answering, args=(probe_host, port, lines), daemon=True).start()
    Multiprocess(config, sockets=[sock]).run()
    return 0


async def _prepare_workers(args: argparse.Namespace, settings: Settings, base: str) -> list[str]:
    """Migrate, seed (or top up) the demo world, and issue the login link — once, before the workers start."""
    from agent_brain.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        if not args.no_demo:
            from agent_brain.demo.seed import DEMO_PLATFORMS, seed_demo

            log.info("%s", await seed_demo(runtime.engine, platforms=DEMO_PLATFORMS))
        return await _login_lines(runtime, base)


def _print_when_answering(host: str, port: int, lines: list[str]) -> None:
    """Print the login link once a worker answers HTTP on the port (the socket accepts before any listens)."""
    import http.client
    import time

    while True:
        connection = http.client.HTTPConnection(host, port, timeout=2)
        try:
            connection.request("GET", "/health")
            connection.getresponse().read()
            break
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    _print_box(lines)


async def _top_up_demo(runtime: Any) -> None:
    """The demo seed on an existing world: adds only the days (and their leads) since the last run."""
    from agent_brain.demo.seed import DEMO_PLATFORMS, seed_demo

    try:
        log.info("%s", await seed_demo(runtime.engine, platforms=DEMO_PLATFORMS))
    except Exception:  # the demo still works with yesterday's data
        log.exception("demo top-up failed")


async def _run_server(server: Any) -> bool:
    """Serve until shut down; False when uvicorn gave up at start-up (it exits, e.g. on a taken port)."""
    try:
        await server.serve()
    except SystemExit:
        return False
    return True


async def _until_listening(server: Any, serving: asyncio.Task[bool]) -> bool:
    """True once the port accepts connections; False if the server stopped first (e.g. the port is taken)."""
    while not server.started:
        if serving.done():
            return False
        await asyncio.sleep(0.05)
    return True


async def _print_login_link(runtime: Any, base: str) -> None:
    """Like Jupyter, a ready login link — printed once the port listens. It carries a single-use code
    that lives minutes; earlier links and open browser sessions stay valid (a restart logs nobody out)."""
    _print_box(await _login_lines(runtime, base))


async def _login_lines(runtime: Any, base: str) -> list[str]:
    from agent_brain.stores.web_sessions import WebSessionStore

    lines = [f"agent-brain web chat: {base}/  (health: /health, API docs: /docs)"]
    demo = await runtime.users.get_by_name("demo")
    if demo is not None:
        store = WebSessionStore(runtime.engine)
        code, _ = await store.issue_login_code(demo.id)
        minutes = int(store.code_ttl.total_seconds() // 60)
        lines += [f"Open {base}/login?code={code}",
                  f"(single use, valid {minutes} min; sessions are listed and revoked in the page's menu)"]
    return lines


def _print_box(lines: list[str]) -> None:
    width = max(len(line) for line in lines)
    print("\n".join(["", "─" * width, *lines, "─" * width, ""]), flush=True)


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.db import migrate
    from agent_brain.db.engine import create_engine, resolve_database_url

    engine = create_engine(resolve_database_url(settings), pool_size=1)
    try:
        if args.downgrade:
            await migrate.downgrade(engine, args.revision)
        else:
            await migrate.upgrade(engine, args.revision)
    finally:
        await engine.dispose()
    print(f"database at {'downgraded to' if args.downgrade else 'upgraded to'} {args.revision}")
    return 0


async def _demo_seed(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.demo.seed import DEMO_PLATFORMS, seed_demo
    from agent_brain.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        report = await seed_demo(runtime.engine, platforms=DEMO_PLATFORMS)
    print(report)
    return 0


async def _users_create(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import IntegrityError

    from agent_brain.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        try:
            user, token = await runtime.users.create_user(args.name, language=args.language)
        except IntegrityError:
            print(f"error: a user named {args.name!r} already exists", file=sys.stderr)
            return 1
    print(f"created user {user.name} ({user.id}); API token (shown once):")
    print(token)
    return 0


async def link_other_platform(settings: Settings, user_name: str, platform: str, account_id: str,
                              token: str | None) -> int:
    """`accounts link --platform tiktok|google`: checked on the platform, the token stored encrypted."""
    from agent_brain.platforms.graph.errors import GraphError
    from agent_brain.platforms.linking import AccountNotFound, adapter_factory, link_account
    from agent_brain.runtime import open_runtime
    from agent_brain.security import TokenCipher

    async with open_runtime(settings) as runtime:
        user = await runtime.users.get_by_name(user_name)
        if user is None:
            print(f"error: no user named {user_name!r}", file=sys.stderr)
            return 1
        try:
            account = await link_account(runtime.users, user.id, platform=platform, external_id=account_id,
                                         adapter_for=adapter_factory(settings, runtime, platform), token=token,
                                         cipher=TokenCipher.from_settings(settings), is_sandbox=token is None)
        except AccountNotFound as exc:
            print(f"error: {exc}; nothing was stored", file=sys.stderr)
            return 1
        except GraphError as exc:  # the platform refused: a bad token, no access to that account
            print(f"error: {exc.user_message('en')}; nothing was stored", file=sys.stderr)
            return 1
    print(f"linked {account.platform} account {account.name} ({account.external_id}, {account.currency}, "
          f"{account.timezone}) to {user_name}" + (" with its token stored encrypted" if token else ""))
    return 0


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.demo.seed import DEMO_PLATFORMS, seed_demo
    from agent_brain.runtime import open_runtime
    from agent_brain.terminal_chat import run_terminal_chat

    async with open_runtime(settings) as runtime:
        if args.user == "demo":
            await seed_demo(runtime.engine, platforms=DEMO_PLATFORMS)
        return await run_terminal_chat(runtime, args.user, as_json=args.json)


async def _sandbox(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from agent_brain.demo.seed import seed_demo
    from agent_brain.platforms.sandbox.combined import create_all_sandboxes_app
    from agent_brain.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        await seed_demo(runtime.engine, platforms=("meta", "tiktok", "google"))
        app = create_all_sandboxes_app(runtime.engine, google_version=settings.google_ads_api_version)
        base = f"http://{args.host}:{args.port}"
        print(f"Graph sandbox: {base}/{settings.graph_api_version}/  (any non-empty access_token; "
              f"faults: POST {base}/_sandbox/faults)", flush=True)
        print(f"TikTok sandbox: {base}/tiktok/open_api/v1.3/  (Access-Token header; faults: POST "
              f"{base}/tiktok/_sandbox/faults)", flush=True)
        print(f"Google Ads sandbox: {base}/google/{settings.google_ads_api_version}/customers/…  (Authorization "
              f"+ developer-token headers; faults: POST {base}/google/_sandbox/faults)", flush=True)
        await uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="info")).serve()
    return 0


async def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.jobs.queue import open_queue, run_worker, services_for
    from agent_brain.runtime import open_runtime

    async with open_runtime(settings) as runtime, open_queue(
            runtime.engine.url.render_as_string(hide_password=False), max_connections=args.concurrency + 2) as queue:
        name = args.name or f"worker-{os.getpid()}"
        print(f"agent-brain worker {name}: running background jobs (Ctrl+C to stop)", flush=True)
        await run_worker(queue, services_for(runtime), name=name, concurrency=args.concurrency,
                         install_signal_handlers=True)
    return 0


async def _keygen(args: argparse.Namespace, settings: Settings | None) -> int:
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())
    return 0


async def _rotate_key(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import ProgrammingError

    from agent_brain.db.engine import create_engine, resolve_database_url
    from agent_brain.security import TokenCipher, rotate_stored_tokens

    raw = args.new_key if args.new_key is not None else sys.stdin.readline()
    try:
        new = TokenCipher(raw.strip().encode())
    except ValueError:
        print("error: the new key is not a Fernet key (create one with `agent-brain keygen`)", file=sys.stderr)
        return 2
    engine = create_engine(resolve_database_url(settings), pool_size=1)
    try:
        count = await rotate_stored_tokens(engine, old=TokenCipher.from_settings(settings), new=new)
    except ValueError as exc:
        print(f"error: {exc}; nothing was changed", file=sys.stderr)
        return 1
    except ProgrammingError:  # no ad_accounts table: nothing was ever stored here
        print("error: the database is not migrated (run `agent-brain migrate`); nothing was changed",
              file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(f"re-encrypted {count} stored token(s); now set ENCRYPTION_KEY to the new key and restart")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The admin subcommands of `agent-brain` (registered by `agent_brain.cli`); each is a thin shell
over this package's functions. Nothing here prints a secret except a code meant to be handed on
(`telegram link`), and platform tokens are read from stdin or a file, never from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.config import Settings


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the configured database, migrated to head (a fresh install works at once)."""
    from agent_brain.db import migrate
    from agent_brain.db.engine import create_engine, resolve_database_url

    engine = create_engine(resolve_database_url(settings), pool_size=2)
    try:
        await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


def register(sub: argparse._SubParsersAction, users: argparse._SubParsersAction) -> None:
    """Add `users list|disable|enable`, `tokens …`, `accounts …`, `telegram …` to the parser."""
    lst = users.add_parser("list", help="list users: status, Telegram link, ad accounts")
    lst.set_defaults(handler=_users_list)
    link = users.add_parser("login-link", help="print a single-use web login link for the user (10 minutes)")
    link.add_argument("name")
    link.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the web chat is reached")
    link.set_defaults(handler=_users_login_link)
    for verb in ("disable", "enable"):
        p = users.add_parser(verb, help=f"{verb} a user (a disabled one cannot sign in, chat or use the bot)")
        p.add_argument("name")
        p.set_defaults(handler=_users_disable if verb == "disable" else _users_enable)

    tokens = sub.add_parser("tokens", help="API tokens, web sessions, login codes, platform tokens"
                            ).add_subparsers(title="tokens commands")
    tl = tokens.add_parser("list", help="list credentials by fingerprint (never the secret)")
    tl.add_argument("--user", help="only this user's")
    tl.add_argument("--all", action="store_true", help="include revoked, expired and used ones")
    tl.set_defaults(handler=_tokens_list)
    tr = tokens.add_parser("revoke", help="revoke one credential by the id `tokens list` shows")
    tr.add_argument("id")
    tr.set_defaults(handler=_tokens_revoke)

    accounts = sub.add_parser("accounts", help="ad accounts").add_subparsers(title="accounts commands")
    al = accounts.add_parser("link", help="verify a platform token and link the ad account with it (encrypted)")
    al.add_argument("user")
    al.add_argument("account_id", help="act_1234567890")
    al.add_argument("--token-file", type=Path,
                    help="read the token from this file (default: the first line of stdin)")
    al.add_argument("--platform", choices=("meta", "tiktok", "google"), default="meta",
                    help="tiktok: account_id is the advertiser id; google: the customer id (default: Meta act_…)")
    al.set_defaults(handler=_accounts_link)

    telegram = sub.add_parser("telegram", help="Telegram chats").add_subparsers(title="telegram commands")
    tg = telegram.add_parser("link", help="print a one-time /start code for the user's Telegram chat")
    tg.add_argument("user")
    tg.set_defaults(handler=_telegram_link)
    tu = telegram.add_parser("unlink", help="unlink the user's Telegram chat")
    tu.add_argument("user")
    tu.set_defaults(handler=_telegram_unlink)

    export = sub.add_parser("export-user", help="write everything of one user as JSON (no secrets)")
    export.add_argument("user")
    export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=_export_user)
    remove = sub.add_parser("delete-user", help="delete a user and all their rows; platform tokens wiped")
    remove.add_argument("user")
    remove.add_argument("--yes", action="store_true", help="really delete (without it: show what would go)")
    remove.set_defaults(handler=_delete_user)


def _when(moment: object) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in (header, *rows))


async def _users_list(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.admin.users import list_users

    async with database(settings) as engine:
        users = await list_users(engine)
    print(_table(("NAME", "ID", "LANG", "STATUS", "TELEGRAM", "ACCOUNTS", "CREATED"),
                 [(u.name, str(u.id), u.language, "disabled" if u.disabled_at else "active",
                   "linked" if u.telegram_chat_id else "-", str(u.ad_accounts), _when(u.created_at))
                  for u in users]))
    return 0


async def _users_login_link(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from agent_brain.db.models import User
    from agent_brain.stores.web_sessions import WebSessionStore

    async with database(settings) as engine:
        async with engine.connect() as conn:
            user = (await conn.execute(select(User.id, User.disabled_at).where(User.name == args.name))).first()
        if user is None or user.disabled_at is not None:
            print(f"error: no active user named {args.name!r}", file=sys.stderr)
            return 1
        store = WebSessionStore(engine)
        code, expires_at = await store.issue_login_code(user.id)
    print(f"Open within {int(store.code_ttl.total_seconds() // 60)} min (until {expires_at:%H:%M} UTC), once:")
    print(f"{args.base_url.rstrip('/')}/login?code={code}")
    return 0


async def _set_disabled(args: argparse.Namespace, settings: Settings, disabled: bool) -> int:
    from agent_brain.admin.users import set_disabled

    async with database(settings) as engine:
        changed = await set_disabled(engine, args.name, disabled=disabled)
    if changed is None:
        print(f"error: no user named {args.name!r}", file=sys.stderr)
        return 1
    word = "disabled" if disabled else "enabled"
    print(f"user {args.name} {word}" if changed else f"user {args.name} was already {word}")
    return 0


async def _users_disable(args: argparse.Namespace, settings: Settings) -> int:
    return await _set_disabled(args, settings, True)


async def _users_enable(args: argparse.Namespace, settings: Settings) -> int:
    return await _set_disabled(args, settings, False)


async def _tokens_list(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.admin.tokens import list_tokens
    from agent_brain.security import TokenCipher

    async with database(settings) as engine:
        rows = await list_tokens(engine, TokenCipher.from_settings(settings), user=args.user,
                                 include_inactive=args.all)
    print(_table(("USER", "KIND", "ID", "FINGERPRINT", "STATUS", "LABEL", "CREATED", "LAST USED", "EXPIRES"),
                 [(r.user, r.kind, r.id, r.fingerprint, r.status, r.label[:40], _when(r.created_at),
                   _when(r.last_used_at), _when(r.expires_at)) for r in rows]))
    return 0


async def _tokens_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.admin.tokens import revoke_token

    async with database(settings) as engine:
        kind = await revoke_token(engine, args.id)
    if kind is None:
        print(f"error: no live credential with id {args.id!r} (see `agent-brain tokens list`)", file=sys.stderr)
        return 1
    print(f"revoked {kind} {args.id}")
    return 0


async def _accounts_link(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.admin.accounts import LinkError, link_account

    token = (args.token_file.read_text() if args.token_file else sys.stdin.readline()).strip()
    if getattr(args, "platform", "meta") != "meta":  # TikTok / Google Ads: `platforms/linking.py`
        from agent_brain.cli import link_other_platform

        return await link_other_platform(settings, args.user, args.platform, args.account_id, token or None)
    async with database(settings) as engine:
        try:
            linked = await link_account(settings, engine, user_name=args.user, account_id=args.account_id,
                                        token=token)
        except LinkError as exc:
            print(f"error: {exc}; nothing was stored", file=sys.stderr)
            return 1
    a = linked.account
    expiry = "never" if linked.expires_at is None else f"{linked.expires_at:%Y-%m-%d %H:%M} UTC"
    print(f"linked {a.external_id} «{a.name}» ({a.currency}, {a.timezone}) to {args.user}"
          f"{' [sandbox]' if a.is_sandbox else ''}")
    print(f"token {linked.fingerprint} ({linked.token_type}) stored encrypted; expires: {expiry}; "
          f"scopes: {', '.join(linked.scopes) or '-'}")
    return 0


async def _telegram_link(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.admin.telegram import issue_link_code

    async with database(settings) as engine:
        issued = await issue_link_code(engine, args.user)
    if issued is None:
        print(f"error: no user named {args.user!r}", file=sys.stderr)
        return 1
    code, expires_at = issued
    print(f"Send this to the bot in a private chat, once, before {expires_at:%H:%M} UTC:")
    print(f"/start {code}")
    return 0


async def _telegram_unlink(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.admin.telegram import unlink

    async with database(settings) as engine:
        chat_id = await unlink(engine, args.user)
    if chat_id is None:
        print(f"error: {args.user!r} has no linked Telegram chat", file=sys.stderr)
        return 1
    print(f"unlinked Telegram chat {chat_id} from {args.user}")
    return 0


async def _export_user(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from agent_brain.admin.userdata import export_user

    async with database(settings) as engine:
        document = await export_user(engine, args.user)
    if document is None:
        print(f"error: no user named {args.user!r}", file=sys.stderr)
        return 1
    body = json.dumps(document, ensure_ascii=False, indent=1)
    if args.output:
        args.output.write_text(body + "\n", encoding="utf-8")
        rows = sum(document["counts"].values())
        print(f"exported {rows} row(s) of {args.user} from {len(document['counts'])} table(s) to {args.output}")
    else:
        print(body)
    return 0


async def _delete_user(args: argparse.Namespace, settings: Settings) -> int:
    from agent_brain.admin.userdata import collect, delete_user

    async with database(settings) as engine:
        if not args.yes:
            from sqlalchemy import select

            from agent_brain.db.models import User

            async with engine.connect() as conn:
                user_id = (await conn.execute(select(User.id).where(User.name == args.user))).scalar_one_or_none()
                counts = (await collect(conn, user_id)).counts() if user_id is not None else None
        else:
            counts = await delete_user(engine, args.user)
    if counts is None:
        print(f"error: no user named {args.user!r}", file=sys.stderr)
        return 1
    listing = ", ".join(f"{table} {n}" for table, n in sorted(counts.items()))
    if not args.yes:
        print(f"would delete {sum(counts.values())} row(s): {listing}", file=sys.stderr)
        print(f"nothing deleted: run again with --yes to delete {args.user} for good "
              f"(`agent-brain export-user {args.user} -o FILE` first keeps a copy)", file=sys.stderr)
        return 1
    print(f"deleted {args.user}: {sum(counts.values())} row(s) ({listing}); platform tokens wiped")
    return 0

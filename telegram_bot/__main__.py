"""`python -m telegram_bot link <user>`: a one-time /start code; `python -m telegram_bot poll`: the bot alone.

(`agent-brain serve` already runs the bot next to the web chat; these are for operators and for
running the bot without the web app.)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from agent_brain.config import Settings, SettingsError, load_settings


async def _link(settings: Settings, name: str) -> int:
    from agent_brain.runtime import open_runtime
    from agent_brain.stores.telegram_links import TelegramLinkStore

    async with open_runtime(settings) as runtime:
        user = await runtime.users.get_by_name(name)
        if user is None:
            print(f"error: no user named {name!r}", file=sys.stderr)
            return 1
        code, expires_at = await TelegramLinkStore(runtime.engine).issue(user.id)
    print(f"Send this to the bot within 15 minutes (until {expires_at:%H:%M} UTC), once:")
    print(f"/start {code}")
    return 0


async def _poll(settings: Settings) -> int:
    from agent_brain.runtime import open_runtime
    from telegram_bot.bot import run_polling

    async with open_runtime(settings) as runtime:
        await run_polling(runtime)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m telegram_bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    link = sub.add_parser("link", help="print a one-time code that links a Telegram chat to a user")
    link.add_argument("user", help="user name (e.g. demo)")
    sub.add_parser("poll", help="run the bot (long polling) without the web app")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(_link(settings, args.user) if args.command == "link" else _poll(settings))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

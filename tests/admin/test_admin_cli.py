"""`agent-brain users|tokens|accounts|telegram` against the real database and the Graph sandbox."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain import clock
from agent_brain.admin.fingerprint import of_secret
from agent_brain.db.models import AdAccount, Conversation, TelegramChatMember, User
from agent_brain.demo.seed import seed_demo
from agent_brain.demo.world import CURRENCY
from agent_brain.security import TokenCipher, hash_token
from agent_brain.stores.telegram_links import TelegramLinkStore, TelegramPerson
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserStore
from agent_brain.stores.web_sessions import WebSessionStore

DEMO_ACCOUNT = "act_100200300400"


async def test_users_create_list_disable_enable(cli, engine: AsyncEngine) -> None:  # type: ignore[no-untyped-def]
    made = await cli("users", "create", "alice", "--language", "en")
    assert made.code == 0, made.err
    token = made.out.strip().splitlines()[-1]
    assert token.startswith("ab_")
    users, sessions = UserStore(engine), WebSessionStore(engine)
    alice = await users.user_for_token(token)
    assert alice is not None and alice.name == "alice"
    code, _ = await sessions.issue_login_code(alice.id)
    _, cookie = await sessions.open_session(alice.id)

    listed = await cli("users", "list")
    assert listed.code == 0
    [row] = [line for line in listed.out.splitlines() if line.startswith("alice ")]
    assert row.split()[2:5] == ["en", "active", "-"]
    assert token not in listed.out

    off = await cli("users", "disable", "alice")
    assert (off.code, off.out.strip()) == (0, "user alice disabled")
    assert await users.user_for_token(token) is None  # API token refused
    assert await sessions.user_for_session(cookie) is None  # open browser session ended
    assert await sessions.redeem_login_code(code) is None  # an issued login link no longer works
    fresh, _ = await sessions.issue_login_code(alice.id)
    assert await sessions.redeem_login_code(fresh) is None  # nor does a new one
    assert "disabled" in (await cli("users", "list")).out
    assert (await cli("users", "disable", "alice")).out.strip() == "user alice was already disabled"

    on = await cli("users", "enable", "alice")
    assert on.out.strip() == "user alice enabled"
    assert (await users.user_for_token(token)) is not None  # the API token works again
    assert await sessions.user_for_session(cookie) is None  # the revoked session stays revoked
    link = await cli("users", "login-link", "alice", "--base-url", "https://brain.example.com/")
    url = link.out.strip().splitlines()[-1]
    assert link.code == 0 and url.startswith("https://brain.example.com/login?code=lc_")
    opened = await sessions.redeem_login_code(url.split("code=", 1)[1])
    assert opened is not None and opened[0].name == "alice"
    await cli("users", "disable", "alice")
    assert (await cli("users", "login-link", "alice")).code == 1
    missing = await cli("users", "disable", "nobody")
    assert missing.code == 1 and "no user named 'nobody'" in missing.err


async def test_a_disabled_user_cannot_use_telegram_or_the_terminal(cli, engine: AsyncEngine) -> None:  # type: ignore[no-untyped-def]
    users = UserStore(engine)
    bob, _ = await users.create_user("bob")
    links = TelegramLinkStore(engine)
    code, _ = await links.issue(bob.id)
    assert await links.redeem(code, 4242, TelegramPerson(4242)) is not None
    assert (await links.access(4242, TelegramPerson(4242)))[1] == "owner"
    pending, _ = await links.issue(bob.id)
    await cli("users", "disable", "bob")
    assert await links.access(4242, TelegramPerson(4242)) == (None, None)  # the bot answers "not linked"
    assert await links.redeem(pending, 5151, TelegramPerson(5151)) is None  # cannot link another chat
    chat = await cli("chat", "--user", "bob", "--json", stdin="покажи расходы\n")
    assert chat.code == 1 and "disabled" in chat.err


async def test_tokens_list_shows_fingerprints_and_revoke_works_for_each_kind(cli, engine: AsyncEngine,  # type: ignore[no-untyped-def]
                                                                             encryption_key: str) -> None:
    users, sessions = UserStore(engine), WebSessionStore(engine)
    carol, api_token = await users.create_user("carol")
    login_code, _ = await sessions.issue_login_code(carol.id)
    _, cookie = await sessions.open_session(carol.id, user_agent="Firefox")
    platform_token = "EAAB-carol-platform-secret"
    account = await users.upsert_ad_account(carol.id, external_id="act_777", name="Carol ads",
                                            access_token=platform_token,
                                            cipher=TokenCipher(encryption_key.encode()))
    listed = await cli("tokens", "list", "--user", "carol")
    assert listed.code == 0, listed.err
    for secret in (api_token, login_code, cookie, platform_token):
        assert secret not in listed.out
    kinds = {line.split()[1]: line for line in listed.out.splitlines()[1:]}
    assert set(kinds) == {"api", "session", "login-code", "platform"}
    assert hash_token(api_token)[:12] in kinds["api"]
    assert of_secret(platform_token) in kinds["platform"] and "act_777" in kinds["platform"]
    assert "Firefox" in kinds["session"]

    ids = {kind: line.split()[2] for kind, line in kinds.items()}
    for kind in ("api", "session", "login-code", "platform"):
        done = await cli("tokens", "revoke", ids[kind])
        assert (done.code, done.out.strip()) == (0, f"revoked {kind} {ids[kind]}"), done.err
    assert await users.user_for_token(api_token) is None
    assert await sessions.user_for_session(cookie) is None
    assert await sessions.redeem_login_code(login_code) is None
    assert await users.access_token(account.id, TokenCipher(encryption_key.encode())) is None  # wiped
    assert (await cli("tokens", "list", "--user", "carol")).out.strip().count("\n") == 0  # header only
    every = await cli("tokens", "list", "--user", "carol", "--all")
    assert {"revoked", "used"} <= set(every.out.split())
    again = await cli("tokens", "revoke", ids["api"])
    assert again.code == 1 and "no live credential" in again.err


async def test_accounts_link_verifies_the_token_stores_it_encrypted_and_shows_its_expiry(  # type: ignore[no-untyped-def]
        cli, engine: AsyncEngine, encryption_key: str) -> None:
    await seed_demo(engine)  # the sandbox serves the demo ad account
    await UserStore(engine).create_user("dana")
    token = "EAAB-dana-long-lived-token"
    linked = await cli("accounts", "link", "dana", DEMO_ACCOUNT, stdin=token + "\n")
    assert linked.code == 0, linked.err
    assert token not in linked.out + linked.err
    assert f"linked {DEMO_ACCOUNT} «Dental Clinic «Улыбка»»" in linked.out and "[sandbox]" in linked.out
    expiry = re.search(r"expires: (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", linked.out)
    assert expiry is not None
    expected = clock.now().astimezone(dt.UTC) + dt.timedelta(days=60)
    shown = dt.datetime.strptime(expiry.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    assert abs(shown - expected) < dt.timedelta(minutes=5)  # a long-lived user token: 60 days
    assert of_secret(token) in linked.out and "ads_management" in linked.out
    async with engine.connect() as conn:
        row = (await conn.execute(select(AdAccount).join(User, User.id == AdAccount.user_id)
                                  .where(User.name == "dana"))).one()
    assert token.encode() not in bytes(row.access_token_encrypted)
    assert TokenCipher(encryption_key.encode()).decrypt(row.access_token_encrypted) == token
    assert (row.external_id, row.currency, row.is_sandbox) == (DEMO_ACCOUNT, CURRENCY, True)
    assert row.token_expires_at.replace(second=0) == shown  # stored for the token-expiry alerts

    system = await cli("accounts", "link", "dana", DEMO_ACCOUNT, stdin="system-user-token\n")
    assert system.code == 0 and "expires: never" in system.out and "SYSTEM_USER" in system.out
    async with engine.connect() as conn:
        assert (await conn.execute(select(AdAccount.token_expires_at).where(AdAccount.id == row.id))).scalar() is None


async def test_accounts_link_refuses_an_expired_token_or_an_unknown_account(cli, engine: AsyncEngine) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(engine)
    await UserStore(engine).create_user("erin")
    expired = await cli("accounts", "link", "erin", DEMO_ACCOUNT, stdin="EAAB-expired-token\n")
    assert expired.code == 1 and "Session has expired" in expired.err and "nothing was stored" in expired.err
    unknown = await cli("accounts", "link", "erin", "act_999999", stdin="EAAB-good\n")
    assert unknown.code == 1 and "the platform refused" in unknown.err
    assert "EAAB-good" not in unknown.err
    empty = await cli("accounts", "link", "erin", DEMO_ACCOUNT, stdin="\n")
    assert empty.code == 1 and "empty" in empty.err
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM ad_accounts a JOIN users u ON u.id = a.user_id "
                                         "WHERE u.name = 'erin'"))).scalar_one()
    assert count == 0


async def test_telegram_link_and_unlink(cli, engine: AsyncEngine) -> None:  # type: ignore[no-untyped-def]
    users = UserStore(engine)
    fay, _ = await users.create_user("fay")
    issued = await cli("telegram", "link", "fay")
    assert issued.code == 0, issued.err
    code = issued.out.strip().splitlines()[-1].removeprefix("/start ")
    links = TelegramLinkStore(engine)
    assert (await links.redeem(code, 777, TelegramPerson(777))).name == "fay"
    conversation = await UnifiedStore(engine).get_or_create(user_id=fay.id, source="telegram", telegram_chat_id=777)
    gone = await cli("telegram", "unlink", "fay")
    assert (gone.code, gone.out.strip()) == (0, "unlinked Telegram chat 777 from fay")
    assert await links.access(777, TelegramPerson(777)) == (None, None)
    async with engine.connect() as conn:
        assert (await conn.execute(select(User.telegram_chat_id).where(User.id == fay.id))).scalar_one() is None
        assert (await conn.execute(select(TelegramChatMember).where(TelegramChatMember.chat_id == 777))).first() is None
        kept = (await conn.execute(select(Conversation.source).where(Conversation.id == conversation.id))).scalar_one()
    assert kept == "web"  # the history stays the user's
    again = await cli("telegram", "unlink", "fay")
    assert again.code == 1 and "no linked Telegram chat" in again.err
    assert (await cli("telegram", "link", "nobody")).code == 1

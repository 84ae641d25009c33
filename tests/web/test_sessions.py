"""Browser sign-in: login codes are single-use and short-lived, the session cookie is HttpOnly and
SameSite=Strict, sessions are listed and revoked, cross-site writes are refused, and starting the
server logs nobody out. Secrets never reach the access log."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import text

from agent_brain.cli import _print_login_link
from agent_brain.stores.web_sessions import WebSessionStore
from web_api.security import AccessLogFilter


def _store(api) -> WebSessionStore:  # type: ignore[no-untyped-def]
    return WebSessionStore(api.runtime.engine)


async def _login(api, code: str):  # type: ignore[no-untyped-def]
    return await api.http.get("/login", params={"code": code}, follow_redirects=False)


async def test_login_code_opens_an_httponly_strict_session_once(api) -> None:  # type: ignore[no-untyped-def]
    code, expires_at = await _store(api).issue_login_code(api.user_id)
    assert code.startswith("lc_") and expires_at > dt.datetime.now(dt.UTC)
    r = await _login(api, code)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("ab_session=ws_") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Max-Age=2592000" in cookie and "Path=/" in cookie
    me = await api.http.get("/api/brain/me")  # the client keeps the cookie
    assert me.status_code == 200 and me.json()["name"] == "demo"
    api.http.cookies.clear()
    again = await _login(api, code)  # spent
    assert again.status_code == 303 and again.headers["location"] == "/?login=failed"
    assert "set-cookie" not in again.headers
    assert (await api.http.get("/api/brain/me")).status_code == 401


async def test_an_expired_code_opens_nothing(api) -> None:  # type: ignore[no-untyped-def]
    code, _ = await _store(api).issue_login_code(api.user_id)
    async with api.runtime.engine.begin() as conn:
        await conn.execute(text("UPDATE login_codes SET expires_at = now() - interval '1 second'"))
    r = await _login(api, code)
    assert r.headers["location"] == "/?login=failed" and "set-cookie" not in r.headers


async def test_pasted_code_or_token_opens_a_session_and_a_wrong_one_is_401(api) -> None:  # type: ignore[no-untyped-def]
    bad = await api.http.post("/api/brain/auth/session", json={"token": "ab_wrong"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 401 and bad.json()["error"]["message"].startswith("The login code is wrong")
    ok = await api.http.post("/api/brain/auth/session", json={"token": api.token})
    assert ok.status_code == 200 and ok.json()["name"] == "demo" and "HttpOnly" in ok.headers["set-cookie"]
    api.http.cookies.clear()
    code, _ = await _store(api).issue_login_code(api.user_id)
    assert (await api.http.post("/api/brain/auth/session", json={"code": code})).status_code == 200
    assert (await api.http.get("/api/brain/conversations")).status_code == 200


async def test_sessions_are_listed_and_revoked_and_sign_out_ends_this_one(api) -> None:  # type: ignore[no-untyped-def]
    store = _store(api)
    _, other = await store.open_session(api.user_id, user_agent="Firefox/140 (Windows)")
    await store.open_session(api.stranger_id)  # another user's session is never listed
    code, _ = await store.issue_login_code(api.user_id)
    await _login(api, code)
    listed = (await api.http.get("/api/brain/auth/sessions")).json()["items"]
    assert len(listed) == 2 and [s["current"] for s in listed].count(True) == 1
    foreign = next(s for s in listed if not s["current"])
    assert foreign["userAgent"] == "Firefox/140 (Windows)"
    assert (await api.http.delete(f"/api/brain/auth/sessions/{foreign['id']}")).status_code == 204
    assert await store.user_for_session(other) is None  # revoked: its cookie is worthless now
    assert (await api.http.delete(f"/api/brain/auth/sessions/{foreign['id']}")).status_code == 404
    assert len((await api.http.get("/api/brain/auth/sessions")).json()["items"]) == 1
    out = await api.http.delete("/api/brain/auth/session")
    assert out.status_code == 204 and 'ab_session=""' in out.headers["set-cookie"]
    assert (await api.http.get("/api/brain/me")).status_code == 401


async def test_a_cross_site_write_with_the_cookie_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    code, _ = await _store(api).issue_login_code(api.user_id)
    await _login(api, code)
    cross = await api.http.post("/api/brain/conversations", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and cross.json()["error"]["code"] == "forbidden"
    same = await api.http.post("/api/brain/conversations", json={}, headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 201
    # Bearer clients are not browsers: no Sec-Fetch-Site rule applies to them.
    api.http.cookies.clear()
    bearer = await api.http.post("/api/brain/conversations", json={},
                                 headers={**api.auth, "Sec-Fetch-Site": "cross-site"})
    assert bearer.status_code == 201


async def test_starting_the_server_logs_nobody_out(api, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _ = await _store(api).issue_login_code(api.user_id)
    await _login(api, code)
    await _print_login_link(api.runtime, "http://127.0.0.1:8000")
    printed = capsys.readouterr().out
    link = next(line for line in printed.splitlines() if line.startswith("Open "))
    assert link.startswith("Open http://127.0.0.1:8000/login?code=lc_")
    assert (await api.http.get("/api/brain/me")).status_code == 200  # the session survives
    assert (await api.http.get("/api/brain/me", headers=api.auth)).status_code == 200  # and API tokens
    api.http.cookies.clear()
    fresh = await _login(api, link.split("code=", 1)[1])
    assert fresh.headers["location"] == "/"


def test_the_access_log_never_shows_query_strings() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/login?code=lc_secretsecret", "1.1", 303), None)
    AccessLogFilter().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /login HTTP/1.1" 303'

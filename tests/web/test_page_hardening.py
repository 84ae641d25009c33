"""Security headers on every response, HEAD /, the favicon and Swagger UI served from local files."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/", "/health", "/api/brain/me", "/static/app.js", "/docs", "/openapi.json"])
async def test_every_response_carries_the_security_headers(api, path: str) -> None:  # type: ignore[no-untyped-def]
    r = await api.http.get(path, headers=api.auth)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp and "'unsafe-inline'" not in csp.split(
        "style-src")[0]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


async def test_errors_and_streams_carry_them_too(api) -> None:  # type: ignore[no-untyped-def]
    r = await api.http.get("/api/brain/conversations")
    assert r.status_code == 401 and r.headers["x-frame-options"] == "DENY"


async def test_head_of_the_page_and_the_favicon(api) -> None:  # type: ignore[no-untyped-def]
    head = await api.http.head("/")
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/html") and head.content == b""
    icon = await api.http.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")


async def test_docs_work_offline_from_local_swagger_ui_assets(api) -> None:  # type: ignore[no-untyped-def]
    page = (await api.http.get("/docs")).text
    assert "cdn" not in page.lower() and "<script>" not in page  # no CDN, no inline script
    for asset in ("/docs/assets/swagger-ui.css", "/docs/assets/swagger-ui-bundle.js", "/static/docs.js"):
        assert asset in page
        r = await api.http.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset
    assert 'data-openapi-url="/openapi.json"' in page

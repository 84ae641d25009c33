"""The web chat page in headless Chromium, against the real app served by uvicorn over the demo world.

Needs Debian's `chromium` and the `playwright` package (never `playwright install`: there is no
network; `CHROMIUM_PATH` overrides /usr/bin/chromium). Without either the module is skipped with
the reason shown by `-ra`. Screenshots go to `test-artifacts/` (gitignored) for a human to look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
if importlib.util.find_spec("playwright") is None:
    pytest.skip("browser tests need the `playwright` package: .venv/bin/pip install playwright",
                allow_module_level=True)
if not Path(CHROMIUM).exists():
    pytest.skip(f"browser tests need Chromium at {CHROMIUM}: apt-get install -y chromium", allow_module_level=True)

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from playwright.async_api import Browser, Page, async_playwright, expect  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

import web_api.app as web_app  # noqa: E402
from agent_brain.agents import load_agents  # noqa: E402
from agent_brain.config import load_settings  # noqa: E402
from agent_brain.db.models import User  # noqa: E402
from agent_brain.llm.offline import OfflineModel  # noqa: E402
from agent_brain.money import format_money  # noqa: E402
from agent_brain.orchestrator.orchestrator import Orchestrator  # noqa: E402
from agent_brain.platforms.graph.breaker import BreakerRegistry  # noqa: E402
from agent_brain.platforms.graph.client import GraphClient  # noqa: E402
from agent_brain.platforms.meta.adapter import MetaAdapter  # noqa: E402
from agent_brain.platforms.sandbox.app import create_sandbox_app  # noqa: E402
from agent_brain.platforms.write_safety import IdempotentExecutor, WriteGuard  # noqa: E402
from agent_brain.runtime import Runtime  # noqa: E402
from agent_brain.stores.unified import UnifiedStore  # noqa: E402
from agent_brain.stores.users import UserStore  # noqa: E402
from agent_brain.stores.web_sessions import WebSessionStore  # noqa: E402

ACCOUNT = "act_100200300400"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
expect.set_options(timeout=20_000)


async def _no_sleep(_: float) -> None:
    return None


class PacedModel:
    """The offline model, each of its events held back `pace` seconds: a turn long enough to stop or
    reload in the middle of (0 by default — the tests that need it set it)."""

    def __init__(self, inner: OfflineModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.is_llm = inner.is_llm
        self.pace = 0.0

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        async for event in self.inner.stream(request):
            if self.pace:
                await asyncio.sleep(self.pace)
            yield event


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, animations="disabled")


# ── the product behind a real HTTP port ─────────────────────────────────────────────────────


@pytest.fixture
async def world(demo_engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, Any]]:
    """The real app (demo database, Graph sandbox, offline model) served by uvicorn on 127.0.0.1."""
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "FB_ACCESS_TOKEN", "FB_AD_ACCOUNT_ID", "DRY_RUN_MODE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(data_dir=tmp_path)
    sandbox = create_sandbox_app(demo_engine)
    client = GraphClient("t", transport=httpx.ASGITransport(app=sandbox), breaker=BreakerRegistry().get("meta"),
                         sleep=_no_sleep)
    async with client:
        meta = MetaAdapter(client)
        store = UnifiedStore(demo_engine)
        model = PacedModel(OfflineModel())
        orchestrator = Orchestrator(
            engine=demo_engine, model=model, agents=load_agents(), meta=meta, store=store,
            writes=WriteGuard(IdempotentExecutor(demo_engine, poll_interval=0.01), sleep=_no_sleep))
        runtime = Runtime(settings=settings, engine=demo_engine, conversations=store, users=UserStore(demo_engine),
                          meta=meta, orchestrator=orchestrator)
        async with demo_engine.connect() as conn:
            user_id = (await conn.execute(select(User.id).where(User.name == "demo"))).scalar_one()
        token = await runtime.users.issue_token(user_id, label="browser-test")

        app = web_app.create_app(settings, runtime=runtime)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               ws="none", http="h11", lifespan="on"))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()  # the server failed to start: raise its error
            await asyncio.sleep(0.02)
        try:
            yield {"base": f"http://127.0.0.1:{port}", "token": token, "runtime": runtime, "meta": meta,
                   "store": store, "user_id": user_id, "engine": demo_engine, "model": model, "sandbox": sandbox}
        finally:
            server.should_exit = True
            await serving
            await orchestrator.wait_idle()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@contextlib.asynccontextmanager
async def chat_page(browser: Browser, world: dict[str, Any], *, signed_in: bool = True, locale: str = "ru-RU",
                    width: int = 1280, height: int = 860) -> AsyncIterator[Page]:
    """A fresh browser context on the chat page, signed in through a login link unless `signed_in` is
    False; fails the test on any uncaught page error."""
    context = await browser.new_context(locale=locale, viewport={"width": width, "height": height})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # HTTP errors the page handles (401, 409…) are logged by Chromium as "Failed to load resource".
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text else None)
    if signed_in:
        code, _ = await WebSessionStore(world["engine"]).issue_login_code(world["user_id"])
        await page.goto(f"{world['base']}/login?code={code}")
    else:
        await page.goto(world["base"] + "/")
    try:
        yield page
    finally:
        await context.close()
    assert errors == [], errors


async def send(page: Page, text: str) -> None:
    await page.locator("#input").fill(text)
    await page.locator("#input").press("Enter")


async def wait_reply_done(page: Page) -> None:
    """The last reply has finished streaming and the input is usable again."""
    await expect(page.locator(".msg-assistant").last).not_to_have_attribute("aria-busy", "true")
    await expect(page.locator("#input")).to_be_enabled()


async def campaign(meta: MetaAdapter, name: str) -> Any:
    return next(c for c in await meta.list_campaigns(ACCOUNT) if c.name == name)


async def conversation_ids(world: dict[str, Any]) -> list[uuid.UUID]:
    return [c.id for c in await world["store"].list_conversations(world["user_id"], limit=50)]


# ── tests ──────────────────────────────────────────────────────────────────────────────────


async def test_login_link_sets_an_httponly_cookie_and_leaves_no_secret_in_the_history(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        await expect(page.locator("#user-badge")).to_contain_text("demo")
        assert page.url == world["base"] + "/"
        cookies = {c["name"]: c for c in await page.context.cookies()}
        session = cookies["ab_session"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert "ab_session" not in await page.evaluate("document.cookie")  # invisible to scripts
        assert await page.evaluate("Object.keys(localStorage).length") == 0
        # The 303 left no history entry for /login?code=…: one step back is the blank start page.
        await page.go_back()
        assert page.url == "about:blank"
        await page.go_forward()
        await page.reload()  # the cookie carries on
        await expect(page.locator("#user-badge")).to_contain_text("demo")
        code, _ = await WebSessionStore(world["engine"]).issue_login_code(world["user_id"])
        other = await browser.new_context(locale="ru-RU")
        try:
            first = await other.new_page()
            await first.goto(f"{world['base']}/login?code={code}")
            await expect(first.locator("#user-badge")).to_contain_text("demo")
            again = await (await browser.new_context(locale="ru-RU")).new_page()
            await again.goto(f"{world['base']}/login?code={code}")
            await expect(again.locator("#token-dialog")).to_be_visible()
            await expect(again.locator("#token-dialog")).to_contain_text("уже использован")
            assert "code" not in again.url and "login" not in again.url
            await again.context.close()
        finally:
            await other.close()
        # Sessions can be listed and another one ended from the page.
        await page.locator("#sessions-open").click()
        sessions = page.locator("#sessions-list .session")
        await expect(sessions).to_have_count(2)
        await expect(sessions.filter(has_text="этот браузер")).to_have_count(1)
        await _shot(page, "sessions-dialog")
        await sessions.filter(has_not_text="этот браузер").locator("button").click()
        await expect(sessions).to_have_count(1)


async def test_missing_session_asks_to_sign_in_and_a_pasted_token_opens_one(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world, signed_in=False) as page:
        dialog = page.locator("#token-dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("ссылку входа")
        await page.locator("#token-input").fill("not-a-real-token")
        await page.locator("#token-form button[type=submit]").click()
        await expect(dialog).to_contain_text("неверен")
        await page.locator("#token-input").fill(world["token"])
        await page.locator("#token-form button[type=submit]").click()
        await expect(dialog).to_be_hidden()
        await expect(page.locator("#user-badge")).to_contain_text("demo")
        assert await page.evaluate("Object.keys(localStorage).length") == 0


async def test_spend_report_streams_with_a_tool_indicator_and_an_svg_chart(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        # Record every change of the input's disabled state: it must be off-limits while streaming.
        await page.evaluate("""() => {
            window.__inputStates = [];
            const input = document.getElementById('input');
            new MutationObserver(() => window.__inputStates.push(input.disabled))
                .observe(input, {attributes: true, attributeFilter: ['disabled']});
        }""")
        await send(page, "Покажи расходы за неделю")
        reply = page.locator(".msg-assistant").last
        await expect(page.locator(".msg-user .msg-body").last).to_have_text("Покажи расходы за неделю")
        await expect(reply.locator(".tool-done[data-tool=getSpendReport]")).to_contain_text("✓")
        await wait_reply_done(page)
        chart = reply.locator("svg.chart")
        await expect(chart).to_be_visible()
        assert await chart.locator("path.chart-spend").get_attribute("d")
        assert await chart.locator("path.chart-leads").get_attribute("d")
        assert await chart.locator("circle.chart-spend").count() >= 7
        assert await page.evaluate("window.__inputStates") == [True, False]
        await expect(page.locator("#messages")).to_have_attribute("aria-live", "polite")

        convs = await conversation_ids(world)
        assert len(convs) == 1
        stored = await world["store"].load_messages(convs[0])
        tool = next(m for m in stored if m.role == "tool" and m.tool_name == "getSpendReport")
        total = format_money(tool.tool_result["total"]["spend_cents"], "USD")
        await expect(reply.locator(".msg-body")).to_contain_text(total)
        await expect(page.locator(".conv-title").first).to_have_text("Покажи расходы за неделю")
        await expect(page.locator(".conv-open").first).to_have_attribute("aria-current", "true")
        # Friendly words, never the tool's name; the chart's axes carry units.
        await expect(reply.locator(".tool-done")).to_have_text(re.compile("Считаю расходы"))
        assert "getSpendReport" not in await reply.inner_text()
        await expect(chart.locator(".chart-unit").first).to_have_text("Расход, USD в день")
        await expect(reply.locator("time.msg-time")).to_have_count(1)
        await _shot(page, "chat-spend-report")

        # Quick follow-ups send their question; the next answer comes back, the chips move to it.
        chips = page.locator(".followups button")
        await expect(chips).to_have_text(["За вчера", "По дням", "График", "Подробнее"])
        await chips.filter(has_text="По дням").click()
        await wait_reply_done(page)
        await expect(page.locator(".msg-user .msg-body").last).to_have_text("Покажи расходы по дням за последние 7 дней")
        await expect(page.locator(".msg-assistant").last.locator("svg.chart")).to_be_visible()
        await expect(page.locator(".followups")).to_have_count(1)

        # Retry asks the same question again; edit-and-resend sends the edited text as a new message.
        await page.locator(".msg-assistant").first.locator(".msg-retry").click()
        await wait_reply_done(page)
        await expect(page.locator(".msg-user .msg-body").last).to_have_text("Покажи расходы за неделю")
        await page.locator(".msg-user").first.locator(".msg-edit").click()
        await page.locator(".msg-editor textarea").fill("Покажи кампании")
        await page.locator(".msg-editor .msg-edit-send").click()
        await wait_reply_done(page)
        await expect(page.locator(".msg-user .msg-body").last).to_have_text("Покажи кампании")
        await expect(page.locator(".msg-assistant")).to_have_count(4)
        await _shot(page, "chat-actions")


async def test_mode_selector_sets_the_mode_of_new_and_existing_conversations(browser, world) -> None:  # type: ignore[no-untyped-def]
    store: UnifiedStore = world["store"]
    async with chat_page(browser, world) as page:
        await page.locator("#mode-select").select_option("ask")  # no conversation yet: sent with the message
        await send(page, "Покажи расходы за вчера")
        await wait_reply_done(page)
        (conv_id,) = await conversation_ids(world)
        assert (await store.get_by_id(conv_id)).mode == "ask"

        for mode in ("plan", "auto", "ask"):
            await page.locator("#mode-select").select_option(mode)
            await expect(page.locator(".note").last).to_contain_text(mode)
            assert (await store.get_by_id(conv_id)).mode == mode
        await expect(page.locator(".conv-meta").first).to_contain_text("ask")


async def test_plan_mode_pause_campaign_yes_runs_it_verified(browser, world) -> None:  # type: ignore[no-untyped-def]
    meta: MetaAdapter = world["meta"]
    target = await campaign(meta, "Виниры СПб")
    assert target.status == "ACTIVE"
    async with chat_page(browser, world) as page:
        await expect(page.locator("#mode-select")).to_have_value("plan")
        await send(page, "Останови кампанию Виниры СПб")
        dialog = page.locator("#plan-dialog")
        await expect(dialog).to_be_visible()
        steps = dialog.locator(".plan-step")
        await expect(steps).to_have_count(1)
        # In words, in Russian: the action, the campaign's name, before → after and the spend it stops.
        await expect(page.locator("#plan-title")).to_have_text("Поставить кампанию на паузу «Виниры СПб»?")
        await expect(steps.first.locator(".plan-change")).to_have_text("Статус: активна → на паузе")
        budget = target.daily_budget_cents or sum(s.daily_budget_cents or 0 for s in await meta.list_ad_sets(
            campaign_id=target.id) if s.status == "ACTIVE")
        await expect(steps.first.locator(".plan-spend")).to_contain_text(f"{format_money(budget, 'USD')} в день")
        text = await dialog.inner_text()
        assert "pauseCampaign" not in text and target.id not in text and "Always" not in text
        await expect(steps.first.locator(".danger")).to_have_text("⚠️")
        for label in ("Нет", "Да", "Да + авто", "Да + вручную"):
            await expect(dialog.get_by_role("button", name=label, exact=False).first).to_be_visible()
        await _shot(page, "plan-modal")
        assert (await meta.get_campaign(target.id)).status == "ACTIVE"  # nothing runs before the answer

        await dialog.locator(".plan-yes").click()
        await expect(dialog).to_be_hidden()
        reply = page.locator(".msg-assistant").last
        await expect(reply.locator(".step-verified")).to_contain_text("Поставить кампанию на паузу «Виниры СПб»")
        await wait_reply_done(page)
        await expect(reply.locator(".msg-body")).to_contain_text("проверено")
        await expect(page.locator(".plan-review").first).to_be_disabled()
        assert (await meta.get_campaign(target.id)).status == "PAUSED"
        await _shot(page, "plan-executed")


async def test_plan_no_rejects_and_changes_nothing(browser, world) -> None:  # type: ignore[no-untyped-def]
    meta: MetaAdapter = world["meta"]
    target = await campaign(meta, "Виниры СПб")
    async with chat_page(browser, world) as page:
        await send(page, "Останови кампанию Виниры СПб")
        dialog = page.locator("#plan-dialog")
        await expect(dialog).to_be_visible()
        plan_id = await page.locator(".plan-review").last.get_attribute("data-plan-id")
        await dialog.locator(".plan-no").click()
        await expect(dialog).to_be_hidden()
        await expect(page.locator(".note").last).to_contain_text("План отменён")
    plan = await world["store"].get_plan(uuid.UUID(plan_id))
    assert plan.status == "rejected"
    assert (await meta.get_campaign(target.id)).status == "ACTIVE"


async def test_escape_leaves_the_plan_pending_and_review_reopens_it_for_yes_auto(browser, world) -> None:  # type: ignore[no-untyped-def]
    meta: MetaAdapter = world["meta"]
    target = await campaign(meta, "Имплантация Москва")
    async with chat_page(browser, world) as page:
        bodies: list[Any] = []
        page.on("request", lambda r: bodies.append(r.post_data_json) if r.url.endswith("/chat/execute") else None)
        await send(page, "Останови кампанию Имплантация Москва")
        dialog = page.locator("#plan-dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog.locator(".plan-no")).to_be_focused()  # the safe answer has the focus
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
        await expect(page.locator(".note").last).to_contain_text("Открыть план")
        plan_id = await page.locator(".plan-review").last.get_attribute("data-plan-id")
        assert (await world["store"].get_plan(uuid.UUID(plan_id))).status == "pending"

        await page.reload()  # the plan survives a reload: the button comes back with the history
        await page.locator(".plan-review").last.click()
        await expect(dialog).to_be_visible()
        await dialog.locator(".plan-yes-auto").click()
        await expect(page.locator(".msg-assistant .step-verified")).to_have_count(1)
        await wait_reply_done(page)
    assert bodies == [{"planId": plan_id, "autoRetry": True}]
    assert (await meta.get_campaign(target.id)).status == "PAUSED"


async def test_yes_manual_runs_a_two_step_plan_one_confirmed_step_at_a_time(browser, world) -> None:  # type: ignore[no-untyped-def]
    meta: MetaAdapter = world["meta"]
    first, second = await campaign(meta, "Виниры СПб"), await campaign(meta, "Имплантация Москва")
    async with chat_page(browser, world) as page:
        await send(page, "Поставь на паузу кампании Виниры СПб и Имплантация Москва")
        dialog = page.locator("#plan-dialog")
        await expect(dialog).to_be_visible()
        steps = dialog.locator(".plan-step")
        await expect(steps).to_have_count(2)
        await expect(dialog.locator(".danger")).to_have_count(2)
        await dialog.locator(".plan-yes-manual").click()

        run = dialog.locator(".plan-run-step")
        await expect(run).to_have_attribute("data-step", "0")
        assert (await meta.get_campaign(first.id)).status == "ACTIVE"  # Manual: nothing runs unconfirmed
        await run.click()
        await expect(steps.nth(0).locator(".step-status")).to_contain_text("✓")
        await expect(steps.nth(0).locator(".step-status")).to_contain_text("проверено")
        await expect(run).to_have_attribute("data-step", "1")
        await expect(run).to_be_enabled()
        await _shot(page, "plan-manual-step-1")
        statuses = {(await meta.get_campaign(c.id)).status for c in (first, second)}
        assert statuses == {"PAUSED", "ACTIVE"}  # exactly one of the two ran

        await run.click()
        await expect(steps.nth(1).locator(".step-status")).to_contain_text("✓")
        await expect(dialog.locator(".plan-message")).to_contain_text("Все шаги выполнены")
        await _shot(page, "plan-manual-done")
        await dialog.locator(".plan-close").click()
        await expect(dialog).to_be_hidden()
        await expect(page.locator(".msg-assistant .step-verified")).to_have_count(2)
    assert (await meta.get_campaign(first.id)).status == "PAUSED"
    assert (await meta.get_campaign(second.id)).status == "PAUSED"


async def test_clarifying_choices_are_buttons_that_answer_the_question(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with world["engine"].connect() as conn:
        name = (await conn.execute(text("SELECT name FROM leads GROUP BY name HAVING count(*) > 1 "
                                        "ORDER BY count(*) DESC, name LIMIT 1"))).scalar_one()
        leads = (await conn.execute(text("SELECT id::text, phone FROM leads WHERE name = :n"), {"n": name})).all()
    async with chat_page(browser, world) as page:
        await send(page, f"Переведи {name} на этап Лечение")
        await wait_reply_done(page)
        buttons = page.locator(".msg-assistant").last.locator(".msg-choices .choice")
        await expect(buttons).to_have_count(min(len(leads), 5))
        label = await buttons.nth(1).inner_text()
        target = next(lead_id for lead_id, phone in leads if phone in label)
        await _shot(page, "choices")

        await buttons.nth(1).click()  # plan mode: the answer becomes a plan for that very lead
        dialog = page.locator("#plan-dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog.locator(".plan-step").first).to_contain_text("Перевести лида на другой этап")
        await expect(dialog.locator(".plan-step").first).to_contain_text("Лечение")
        async with world["engine"].connect() as conn:  # the plan is for the lead the button named
            params = (await conn.execute(text("SELECT plan_json->'steps'->0->'params' FROM ai_pending_plans "
                                              "WHERE status = 'pending' ORDER BY created_at DESC LIMIT 1"))).scalar_one()
        assert params["leadId"] == target
        await expect(page.locator(".msg-choices .choice").first).to_be_disabled()  # one answer per question
        await page.keyboard.press("Escape")

        await page.reload()  # history: only the last question's choices would be offered again
        await wait_reply_done(page)
        await expect(page.locator(".msg-choices")).to_have_count(0)


async def test_enter_sends_and_shift_enter_adds_a_line(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        box = page.locator("#input")
        await box.click()
        await box.press_sequentially("Покажи расходы")
        await box.press("Shift+Enter")
        await box.press_sequentially("за неделю")
        assert await box.input_value() == "Покажи расходы\nза неделю"
        await expect(page.locator(".msg-user")).to_have_count(0)
        await box.press("Enter")
        await expect(page.locator(".msg-user")).to_have_count(1)
        assert await page.locator(".msg-user .msg-body").inner_text() == "Покажи расходы\nза неделю"
        assert await box.input_value() == ""
        await wait_reply_done(page)
        await expect(box).to_be_focused()


async def test_sidebar_switches_and_deletes_conversations(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        await send(page, "Покажи расходы за неделю")
        await wait_reply_done(page)
        await page.locator("#new-chat").click()
        await expect(page.locator(".msg")).to_have_count(0)
        await send(page, "Покажи лиды за сегодня")
        await wait_reply_done(page)
        await expect(page.locator(".conv")).to_have_count(2)

        # Switching loads the stored messages, charts included.
        await page.locator(".conv-open", has_text="Покажи расходы за неделю").click()
        await expect(page.locator(".msg-user .msg-body")).to_have_text(["Покажи расходы за неделю"])
        await expect(page.locator(".msg-assistant svg.chart")).to_have_count(1)
        await expect(page.locator(".msg-assistant .tool-done[data-tool=getSpendReport]")).to_have_count(1)

        page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
        await page.locator(".conv", has_text="Покажи лиды за сегодня").locator(".conv-delete").click()
        await expect(page.locator(".conv")).to_have_count(1)
        page.once("dialog", lambda d: asyncio.ensure_future(d.dismiss()))  # cancelled: kept
        await page.locator(".conv-delete").first.click()
        await expect(page.locator(".conv")).to_have_count(1)
    assert len(await conversation_ids(world)) == 1


async def test_busy_conversation_shows_a_clear_error_and_keeps_the_text(browser, world) -> None:  # type: ignore[no-untyped-def]
    store: UnifiedStore = world["store"]
    async with chat_page(browser, world) as page:
        await send(page, "Покажи расходы за неделю")
        await wait_reply_done(page)
        (conv_id,) = await conversation_ids(world)
        assert await store.acquire_lock(conv_id, "another-turn", lease_seconds=60)
        await send(page, "а за вчера?")
        await expect(page.locator(".msg-error").last).to_contain_text("ещё отвечает")
        await expect(page.locator(".msg-error").last).to_contain_text("busy")
        await expect(page.locator("#input")).to_have_value("а за вчера?")
        await store.release_lock(conv_id, "another-turn")


async def test_phone_width_sidebar_collapses_and_nothing_overflows(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world, width=375, height=740) as page:
        sidebar, toggle = page.locator("#sidebar"), page.locator("#menu-toggle")
        await expect(toggle).to_be_visible()
        await expect(sidebar).to_be_hidden()
        await send(page, "Покажи расходы за неделю")
        await wait_reply_done(page)
        await expect(page.locator("svg.chart")).to_be_visible()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        box = await page.locator("svg.chart").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        await _shot(page, "phone-375-chat")

        await toggle.click()
        await expect(sidebar).to_be_visible()
        await expect(toggle).to_have_attribute("aria-expanded", "true")
        await expect(page.locator(".conv")).to_have_count(1)
        await _shot(page, "phone-375-sidebar")
        await page.keyboard.press("Escape")
        await expect(sidebar).to_be_hidden()

        await send(page, "Останови кампанию Виниры СПб")
        dialog = page.locator("#plan-dialog")
        await expect(dialog).to_be_visible()
        dbox = await dialog.bounding_box()
        assert dbox is not None and dbox["width"] <= 375
        await _shot(page, "phone-375-plan-modal")


async def test_english_browser_gets_the_english_interface(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world, locale="en-US") as page:
        await expect(page.locator("#new-chat")).to_have_text("New chat")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.locator("#send")).to_have_text("Send")
        # The approval modal speaks the page's language: the action, the object, before → after.
        await send(page, "Pause the campaign Виниры СПб")
        dialog = page.locator("#plan-dialog")
        await expect(dialog).to_be_visible()
        await expect(page.locator("#plan-title")).to_have_text("Pause the campaign “Виниры СПб”?")
        await expect(dialog.locator(".plan-change")).to_have_text("Status: active → paused")
        await expect(dialog.locator(".plan-spend")).to_contain_text("a day")
        await _shot(page, "plan-modal-en")


async def test_sse_parser_survives_arbitrary_chunk_splits(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        events = await page.evaluate("""async () => {
            const { readEvents } = await import('/static/sse.js');
            const wire = ': ping\\r\\n\\r\\nevent: conversation\\r\\ndata: {"conversationId":"c1"}\\r\\n\\r\\n'
              + 'event: text\\ndata: {"type":"text","text":"При\u0432ет"}\\n\\n'
              + 'event: text\\rdata: {"type":"text",\\rdata: "text":"ёж"}\\r\\r'
              + 'event: done\\ndata: {"type":"done","text":"end"}';
            const bytes = new TextEncoder().encode(wire);
            const results = [];
            for (const size of [1, 2, 3, 5, 7, bytes.length]) {
              const body = new ReadableStream({ start(c) {
                for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
                c.close();
              }});
              const got = [];
              for await (const e of readEvents(new Response(body))) got.push([e.event, e.data]);
              results.push(got);
            }
            return results;
        }""")
    expected = [["conversation", {"conversationId": "c1"}], ["text", {"type": "text", "text": "Привет"}],
                ["text", {"type": "text", "text": "ёж"}], ["done", {"type": "done", "text": "end"}]]
    assert all(got == expected for got in events), events


async def test_markdown_renderer_escapes_html_first(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        html = await page.evaluate("""async () => {
            const { renderMarkdown } = await import('/static/markdown.js');
            return renderMarkdown([
              '<img src=x onerror="alert(1)"> **жирный** *курсив* `a<b`',
              '[bad](javascript:alert(1)) [Срочно: подтвердите оплату](https://evil.example/login) https://ex.com/a_b_c',
              '',
              '| Кампания | CPL |', '|---|--:|', '| Виниры | $12 |',
              '',
              '- one', '- two', '• три',
            ].join('\\n'));
        }""")
    assert "<img" not in html and "&lt;img" in html
    assert "<strong>жирный</strong>" in html and "<em>курсив</em>" in html and "<code>a&lt;b</code>" in html
    # No links at all: quoted outsiders' text stays literal; a URL is plain text, untouched by emphasis.
    assert "<a" not in html and "href" not in html
    assert "[Срочно: подтвердите оплату](https://evil.example/login)" in html and "https://ex.com/a_b_c" in html
    assert "<table>" in html and '<td class="align-right">$12</td>' in html
    assert html.count("<li>") == 3


async def test_long_lists_fold_behind_show_more(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        shown = await page.evaluate("""async () => {
            const { renderMarkdown } = await import('/static/markdown.js');
            const { collapseLongLists } = await import('/static/collapse.js');
            const box = document.createElement('div');
            const rows = Array.from({length: 25}, (_, i) => `| Лид ${i + 1} | ${i} |`);
            box.innerHTML = renderMarkdown([...Array.from({length: 15}, (_, i) => `- пункт ${i + 1}`), '',
                                            '| Имя | Скор |', '|---|--:|', ...rows].join('\\n'));
            document.body.append(box);
            collapseLongLists(box);
            const visible = (sel) => [...box.querySelectorAll(sel)].filter((n) => !n.hidden).length;
            const before = [visible('li'), visible('tbody tr'), [...box.querySelectorAll('.show-more')].map((b) => b.textContent)];
            box.querySelectorAll('.show-more').forEach((b) => b.click());
            return [...before, visible('li'), visible('tbody tr')];
        }""")
    assert shown == [10, 10, ["Показать ещё 5", "Показать ещё 15"], 15, 25]


# ── issue 13: stop, reload mid-turn, framing, hostile names ──────────────────────────────────


async def _stored(world: dict[str, Any], conversation_id: str) -> list[Any]:
    return await world["store"].load_messages(uuid.UUID(conversation_id), 100)


async def test_stop_mid_stream_keeps_the_partial_reply_marked_and_frees_the_conversation(browser, world) -> None:  # type: ignore[no-untyped-def]
    world["model"].pace = 1.0
    async with chat_page(browser, world) as page:
        await send(page, "Покажи расходы за неделю")
        stop = page.locator("#stop")
        await expect(stop).to_be_visible()
        await expect(page.locator("#send")).to_be_hidden()
        await expect(page.locator(".tool-running, .tool-done").first).to_be_visible()  # the turn is under way
        await stop.click()
        await wait_reply_done(page)
        reply = page.locator(".msg-assistant").last
        await expect(reply).to_have_class(re.compile(r"\bmsg-stopped\b"))
        await expect(reply.locator(".msg-body")).to_contain_text("ответ остановлен")
        await expect(stop).to_be_hidden()
        await _shot(page, "stopped-reply")
        conversation_id = await page.evaluate("localStorage.getItem('agent-brain.conversation')")
        stored = await _stored(world, conversation_id)
        assert [m.role for m in stored][0] == "user" and stored[-1].role == "assistant"
        assert stored[-1].content.endswith("_(ответ остановлен)_")
        # Every tool call the stopped turn announced has its result (the model's history stays valid).
        calls = {c["id"] for m in stored for c in (m.tool_calls or [])}
        assert calls == {m.tool_call_id for m in stored if m.role == "tool"}
        conv = await world["store"].get_by_id(uuid.UUID(conversation_id))
        assert conv.lock_owner is None  # the lock is released: the next question is answered
        world["model"].pace = 0.0
        await send(page, "Покажи кампании")
        await wait_reply_done(page)
        await expect(page.locator(".msg-assistant").last).not_to_have_class(re.compile(r"\bmsg-stopped\b"))
        await expect(page.locator(".msg-assistant").last.locator(".msg-error")).to_have_count(0)


async def test_reload_mid_turn_shows_the_question_and_resumes_the_stream(browser, world) -> None:  # type: ignore[no-untyped-def]
    world["model"].pace = 0.8
    async with chat_page(browser, world) as page:
        await send(page, "Покажи расходы за неделю")
        await expect(page.locator(".tool-running, .tool-done").first).to_be_visible()
        await page.reload()
        # The question was stored when the turn began: it and the conversation's title are there at once.
        await expect(page.locator(".msg-user .msg-body")).to_have_text("Покажи расходы за неделю")
        await expect(page.locator(".conv-title").first).to_have_text("Покажи расходы за неделю")
        reply = page.locator(".msg-assistant").last
        await expect(reply).to_have_attribute("aria-busy", "true")  # re-attached to the running turn
        await expect(page.locator("#stop")).to_be_visible()
        await _shot(page, "reload-mid-turn")
        await wait_reply_done(page)
        await expect(reply.locator(".msg-body")).to_contain_text("Расходы за 7 дней")
        await expect(reply.locator("svg.chart")).to_be_visible()
        await expect(reply.locator(".msg-error")).to_have_count(0)
        await expect(page.locator(".msg-assistant")).to_have_count(1)


async def test_page_refuses_to_be_framed_by_another_origin(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:  # signed in: the cookie exists in this context
        await expect(page.locator("#user-badge")).to_contain_text("demo")
        response = await page.request.get(world["base"] + "/")
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        attacker = await page.context.new_page()
        other_origin = world["base"].replace("127.0.0.1", "localhost")
        await attacker.route(other_origin + "/attack", lambda route: route.fulfill(
            content_type="text/html", body=f'<iframe id="f" src="{world["base"]}/" width="800" height="600"></iframe>'))
        await attacker.goto(other_origin + "/attack")
        frame = attacker.frame_locator("#f")
        await attacker.wait_for_timeout(1500)  # let the frame try to load; nothing of the app may appear
        await expect(frame.locator("#composer")).to_have_count(0)
        await expect(frame.locator(".plan-yes")).to_have_count(0)
        await _shot(attacker, "framing-refused")
        await attacker.close()


async def test_hostile_lead_name_renders_as_literal_text(browser, world) -> None:  # type: ignore[no-untyped-def]
    hostile = "[Срочно: подтвердите оплату](https://evil.example/login)"
    async with world["engine"].begin() as conn:
        # Every hot lead gets the name, so whichever the answer lists carries it.
        await conn.execute(text("UPDATE leads SET name = :name WHERE user_id = :user AND temperature = 'hot'"),
                           {"name": hostile, "user": world["user_id"]})
    async with chat_page(browser, world) as page:
        await send(page, "Найди горячих лидов")
        await wait_reply_done(page)
        reply = page.locator(".msg-assistant").last
        await expect(reply.locator(".msg-body")).to_contain_text(hostile)
        assert await page.locator(".messages a").count() == 0
        assert "evil.example" not in await page.evaluate(
            "[...document.querySelectorAll('[href],[src]')].map(n => n.getAttribute('href') || n.getAttribute('src')).join(' ')")
        await _shot(page, "hostile-name-literal")


async def test_a_list_cut_at_its_limit_offers_show_all(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        await send(page, "Покажи лиды за 90 дней")
        await wait_reply_done(page)
        conv = (await conversation_ids(world))[0]
        first = next(m.tool_result for m in reversed(await world["store"].load_messages(conv, 100))
                     if m.role == "tool" and m.tool_name == "getLeads")
        total = first["total"]["leads"]
        assert total > first["count"], "the demo data must have more leads in 90 days than one page"
        chip = page.locator(".followups button", has_text="Показать все")
        await expect(chip).to_have_text(f"Показать все ({min(total, 100)})")
        await chip.click()
        await wait_reply_done(page)
        second = next(m.tool_result for m in reversed(await world["store"].load_messages(conv, 100))
                      if m.role == "tool" and m.tool_name == "getLeads")
        asked = [m.content for m in await world["store"].load_messages(conv, 100) if m.role == "user"]
        assert second["count"] == min(total, 100), (asked, first["period"], second["period"], second["total"])
        await _shot(page, "show-all-leads")
        await expect(page.locator(".msg-assistant").last.locator(".show-more")).to_have_count(1)  # folded


async def test_conversations_are_renamed_and_searched_from_the_sidebar(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:
        await send(page, "Покажи расходы за неделю")
        await wait_reply_done(page)
        await page.locator("#new-chat").click()
        await send(page, "Найди горячих лидов")
        await wait_reply_done(page)
        titles = page.locator(".conv-title")
        await expect(titles).to_have_text(["Найди горячих лидов", "Покажи расходы за неделю"])
        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept("Бюджет на неделю")))
        await page.locator(".conv", has_text="Покажи расходы").locator(".conv-rename").click()
        await expect(titles).to_have_text(["Бюджет на неделю", "Найди горячих лидов"])  # renamed = updated
        convs = {c.title for c in await world["store"].list_conversations(world["user_id"])}
        assert convs == {"Найди горячих лидов", "Бюджет на неделю"}
        await page.locator("#conv-search").fill("бюджет")
        await expect(titles).to_have_text(["Бюджет на неделю"])
        await page.locator("#conv-search").fill("горяч")  # found by its messages too
        await expect(titles).to_have_text(["Найди горячих лидов"])
        await page.locator("#conv-search").fill("нет такого")
        await expect(titles).to_have_count(0)
        await expect(page.locator("#conv-empty")).to_have_text("Ничего не найдено")
        await page.locator("#conv-search").fill("")
        await expect(titles).to_have_count(2)
        await _shot(page, "sidebar-rename-search")


async def test_api_docs_render_offline_under_the_content_security_policy(browser, world) -> None:  # type: ignore[no-untyped-def]
    async with chat_page(browser, world) as page:  # fails on any console error, CSP violations included
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(world["base"]) else None)
        await page.goto(world["base"] + "/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("agent-brain")
        await expect(page.locator(".opblock-tag-section").first).to_be_visible()
        assert outside == []  # nothing from a CDN
        await _shot(page, "api-docs")


async def test_rules_panel_previews_saves_switches_and_deletes_a_rule(browser, world) -> None:  # type: ignore[no-untyped-def]
    from agent_brain.automation.store import RulesStore

    async with chat_page(browser, world) as page:
        await page.locator("#rules-open").click()
        panel = page.locator("#rules-panel")
        await expect(panel.locator(".rules-note")).to_have_text("Правил пока нет.")
        await panel.locator("select[name=scope_level]").select_option("adset")
        await panel.locator("select[name=metric]").select_option("cpl")
        await panel.locator("input[name=threshold]").fill("40")
        await panel.locator("select[name=action]").select_option("pause")
        await panel.get_by_role("button", name="Проверить на истории").click()
        await expect(panel.locator(".rules-note")).to_contain_text(
            "Если CPL адсета выше $40.00 за сутки — поставить на паузу.")
        assert await RulesStore(world["engine"]).list(world["user_id"]) == []  # a preview saves nothing
        await panel.get_by_role("button", name="Сохранить правило").click()
        await expect(panel.locator(".rules-item")).to_have_count(1)
        [rule] = await RulesStore(world["engine"]).list(world["user_id"])
        assert (rule.spec.scope_level, rule.spec.metric, rule.spec.threshold, rule.spec.action) == (
            "adset", "cpl", 4000, "pause")
        await _shot(page, "rules-panel")
        await panel.locator(".rules-item button", has_text="вкл.").click()
        await expect(panel.locator(".rules-item button").first).to_have_text("выкл.")
        assert not (await RulesStore(world["engine"]).list(world["user_id"]))[0].enabled
        await panel.locator(".rules-item button", has_text="Удалить").click()
        await expect(panel.locator(".rules-item")).to_have_count(0)
        assert await RulesStore(world["engine"]).list(world["user_id"]) == []


async def test_dialogs_panel_shows_a_customer_message_live_with_its_analysis(  # type: ignore[no-untyped-def]
        browser, world, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent_brain.inbound.service import InboundService
    from agent_brain.platforms import factory

    monkeypatch.setitem(factory._MESSAGING, world["meta"].client, world["sandbox"].state.messaging)
    async with chat_page(browser, world) as page:
        await page.locator("#inbox-open").click()
        panel = page.locator("#inbox-panel")
        await expect(panel).to_have_attribute("data-live", "on")  # subscribed: LISTEN is on
        await expect(panel.locator(".inbox-note")).to_have_text("Диалогов, ждущих ответа, нет.")
        async with httpx.AsyncClient(base_url=world["base"], timeout=30) as http:
            sent = await http.post("/api/brain/inbound/sandbox/customer-message",
                                   headers={"Authorization": f"Bearer {world['token']}"},
                                   json={"from": "+77018880042", "text": "Сколько стоит чистка зубов?", "name": "Вера"})
        assert sent.status_code == 200 and sent.json()["status"] == 200
        await page.wait_for_timeout(300)
        await expect(panel.locator(".inbox-dialog")).to_have_count(0)  # received, not yet processed
        # The job worker processes it (here in the test's process: the notification crosses PostgreSQL).
        await InboundService.for_runtime(world["runtime"]).sweep(older_than_seconds=0)
        row = panel.locator(".inbox-dialog")
        await expect(row).to_have_count(1)  # no reload: the SSE event made the panel re-read
        await expect(row.locator(".inbox-name")).to_have_text("Вера")
        await expect(row.locator(".inbox-intent")).to_have_text("вопрос о цене")
        await expect(row.locator(".inbox-last .inbox-text")).to_have_text("Сколько стоит чистка зубов?")
        await row.locator(".inbox-toggle").click()
        message = row.locator(".inbox-thread .inbox-message.inbox-in")
        await expect(message.locator(".inbox-text")).to_have_text("Сколько стоит чистка зубов?")
        await expect(message.locator(".inbox-sentiment")).to_have_count(1)
        await expect(message.locator(".inbox-confidence")).to_contain_text("%")
        await _shot(page, "dialogs-panel")

"""Rules over HTTP: preview with a backtest, create, list, change, delete, the log — the caller's own only."""

from __future__ import annotations

RULE = {"scope_level": "adset", "metric": "cpl", "operator": ">", "threshold": 3000, "window_days": 3,
        "min_spend_cents": 1000, "action": "pause"}


async def test_preview_restates_and_backtests_without_saving(api) -> None:  # type: ignore[no-untyped-def]
    preview = await api.http.post("/api/brain/rules/preview", json=RULE, headers=api.auth)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["description"].startswith("Если CPL адсета выше $30.00 за 3 дн. — поставить на паузу.")
    test = body["backtest"]
    assert test["from"] < test["to"] and all(h["daysFired"] >= 1 for h in test["hits"])
    assert test["effectCents"] == sum(h["spendAfterFirstCents"] for h in test["hits"])
    assert (await api.http.get("/api/brain/rules", headers=api.auth)).json()["items"] == []


async def test_rule_lifecycle_is_scoped_to_its_owner(api) -> None:  # type: ignore[no-untyped-def]
    created = await api.http.post("/api/brain/rules", json={**RULE, "name": "Дорогие"}, headers=api.auth)
    assert created.status_code == 201, created.text
    rule_id = created.json()["rule"]["id"]
    listed = (await api.http.get("/api/brain/rules", headers=api.auth)).json()["items"]
    assert [r["id"] for r in listed] == [rule_id] and listed[0]["enabled"] is True

    # Someone else can neither see nor touch it.
    assert (await api.http.patch(f"/api/brain/rules/{rule_id}", json={"enabled": False},
                                 headers=api.stranger)).status_code in (404, 409)
    assert (await api.http.delete(f"/api/brain/rules/{rule_id}", headers=api.stranger)).status_code in (404, 409)

    changed = await api.http.patch(f"/api/brain/rules/{rule_id}", json={"enabled": False, "mode": "auto"},
                                   headers=api.auth)
    assert changed.status_code == 200 and changed.json()["rule"]["enabled"] is False
    assert changed.json()["rule"]["spec"]["mode"] == "auto"
    assert (await api.http.get("/api/brain/rules/events", headers=api.auth)).json() == {"items": []}
    assert (await api.http.delete(f"/api/brain/rules/{rule_id}", headers=api.auth)).status_code == 204
    assert (await api.http.get("/api/brain/rules", headers=api.auth)).json()["items"] == []


async def test_an_invalid_rule_says_why(api) -> None:  # type: ignore[no-untyped-def]
    bad = await api.http.post("/api/brain/rules", json={**RULE, "action": "budget_pct", "action_value": 90},
                              headers={**api.auth, "Accept-Language": "en"})
    assert bad.status_code == 422 and "at most 50%" in bad.text


async def test_ids_and_names_a_database_cannot_hold_are_refused_before_any_query(api) -> None:  # type: ignore[no-untyped-def]
    # Found by the API fuzzer: a NUL inside an object id reached PostgreSQL and came back as a 500.
    # So did a spend floor beyond PostgreSQL's bigint.
    for field, value in (("scope_ids", ["1203\x00"]), ("name", "CPL\x00"), ("scope_names", ["Москва\x00"]),
                         ("min_spend_cents", 4673497155914917478400)):
        bad = await api.http.post("/api/brain/rules/preview", json={**RULE, field: value}, headers=api.auth)
        assert bad.status_code == 422, (field, bad.text)
        assert bad.json()["error"]["fields"][0]["field"].startswith(field), bad.text


async def test_an_optimizer_rule_is_saved_without_a_threshold_backtest(api) -> None:  # type: ignore[no-untyped-def]
    body = {"kind": "optimizer", "scope_level": "account", "metric": "spend", "operator": ">", "threshold": 0,
            "window_days": 7, "schedule_hours": 24}
    created = await api.http.post("/api/brain/rules", json=body, headers=api.auth)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["backtest"] is None and out["rule"]["spec"]["kind"] == "optimizer"
    assert out["description"].startswith("Оптимизатор бюджетов: каждые 24 ч")
    wrong = await api.http.post("/api/brain/rules", json={**body, "kind": "bandit"}, headers=api.auth)
    assert wrong.status_code == 422 and "exactly one ad set" in wrong.text

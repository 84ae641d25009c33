"""Issue 16, exports: a table answer → «выгрузи в Excel» → the link → the XLSX / CSV file with the same rows;
another user's conversation is 404."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook


async def test_a_table_answer_downloads_as_csv_and_xlsx(api: Any) -> None:
    shown = await api.http.post("/api/brain/chat/message", headers=api.auth, json={"message": "Покажи кампании"})
    body = shown.json()
    conv = body["conversationId"]
    items = next(e for e in body["events"] if e.get("type") == "tool_result")["result"]["items"]

    asked = await api.http.post("/api/brain/chat/message", headers=api.auth,
                                json={"message": "выгрузи таблицу в Excel", "conversationId": conv})
    reply = asked.json()
    result = next(e for e in reply["events"] if e.get("type") == "tool_result")["result"]
    assert result["rows"] == len(items) and result["export"]["format"] == "xlsx"
    url = result["export"]["url"]
    assert url in reply["text"]

    xlsx = await api.http.get(url, headers=api.auth)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "name" in rows[0] and len(rows) == len(items) + 1
    names = {r[rows[0].index("name")] for r in rows[1:]}
    assert names == {i["name"] for i in items}
    if "spend" in rows[0]:  # money in major units, not cents
        by_name = {i["name"]: i for i in items}
        first = rows[1]
        assert round(first[rows[0].index("spend")] * 100) == by_name[first[rows[0].index("name")]]["spend_cents"]

    plain = await api.http.get(url.replace("format=xlsx", "format=csv"), headers=api.auth)
    parsed = list(csv.reader(io.StringIO(plain.content.decode("utf-8-sig"))))
    assert parsed[0] == list(rows[0]) and len(parsed) == len(rows)
    assert (await api.http.get(url, headers=api.stranger)).status_code == 404

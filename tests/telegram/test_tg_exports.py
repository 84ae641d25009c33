"""Issue 16, exports in Telegram: a table answer, then «выгрузи в CSV» → the file arrives as a document."""

from __future__ import annotations

import csv
import io

from tg_support import DEMO_CHAT, Telegram


async def test_a_table_is_sent_as_a_csv_document(tg: Telegram) -> None:
    await tg.link(DEMO_CHAT)
    await tg.say(DEMO_CHAT, "Покажи кампании")
    await tg.say(DEMO_CHAT, "Выгрузи это в CSV")
    [sent] = tg.standin.calls_of("sendDocument", chat_id=DEMO_CHAT)
    message = tg.standin.chat_messages(DEMO_CHAT)[-1]
    assert message.document is not None
    rows = list(csv.reader(io.StringIO(message.document.decode("utf-8-sig"))))
    assert "name" in rows[0]
    names = {r[rows[0].index("name")] for r in rows[1:]}
    assert {"Имплантация Москва", "Виниры СПб"} <= names
    assert sent.method == "sendDocument"

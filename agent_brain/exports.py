"""Exports: any table answer as a CSV or XLSX file (a download in the web, a document in Telegram).

A "table answer" is a tool result with `items` (a list of flat records): campaigns, spend, leads,
breakdowns, audiences… The file holds the scalar fields of each record; money kept in minor units
(`*_cents`) is written in major units of the account's currency under a column without the suffix.
The source is the conversation's latest table (or a given message), read only for its owner.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from agent_brain.db.models import Conversation, Message
from agent_brain.money import from_cents

Format = Literal["csv", "xlsx"]
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Table:
    title: str  # the tool that produced it, e.g. getLeads
    columns: list[str]
    rows: list[list[Any]]
    message_id: int | None = None


def table_from_result(tool: str, result: Any, *, currency: str = "USD") -> Table | None:
    """The table in a tool result (its `items`), or None when the result holds no table."""
    items = result.get("items") if isinstance(result, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return None
    columns: list[str] = []
    for item in items:
        for key, value in item.items():
            if key not in columns and (value is None or isinstance(value, str | int | float | bool)):
                columns.append(key)
    rows = []
    for item in items[:MAX_ROWS]:
        row = []
        for key in columns:
            value = item.get(key)
            if key.endswith("_cents") and isinstance(value, int) and not isinstance(value, bool):
                value = from_cents(value, currency)
            row.append(value)
        rows.append(row)
    return Table(tool, [c.removesuffix("_cents") for c in columns], rows)


async def latest_table(engine: AsyncEngine, *, user_id: uuid.UUID, conversation_id: uuid.UUID,
                       message_id: int | None = None, currency: str = "USD") -> Table | None:
    """The newest table answer in the user's own conversation (or the one in `message_id`)."""
    query = (select(Message.id, Message.tool_name, Message.tool_result)
             .join(Conversation, Conversation.id == Message.conversation_id)
             .where(Message.conversation_id == conversation_id, Conversation.user_id == user_id,
                    Message.role == "tool", Message.tool_result.is_not(None))
             .order_by(Message.id.desc()).limit(50))
    if message_id is not None:
        query = query.where(Message.id == message_id)
    async with engine.connect() as conn:
        for row in (await conn.execute(query)).all():
            table = table_from_result(row.tool_name or "table", row.tool_result, currency=currency)
            if table is not None:
                return Table(table.title, table.columns, table.rows, message_id=row.id)
    return None


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def render(table: Table, fmt: Format) -> tuple[bytes, str, str]:
    """(file bytes, media type, file name)."""
    name = f"{table.title}-{table.message_id or 'table'}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(table.columns)
        writer.writerows(table.rows)
        # A BOM so that Excel opens UTF-8 (Cyrillic names) correctly.
        return ("\ufeff" + buffer.getvalue()).encode("utf-8"), MEDIA_TYPES["csv"], name
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31]
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), MEDIA_TYPES["xlsx"], name

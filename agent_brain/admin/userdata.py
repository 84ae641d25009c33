"""`agent-brain export-user` / `delete-user`: everything of one user, found by following foreign keys.

Starting from the `users` row, every table with a foreign key into rows already found is searched
(in dependency order), so a new table that refers to a user's rows is covered without a list to
keep up to date. The export is JSON, one list of rows per table; secrets are never exported (token
hashes become fingerprints, encrypted platform tokens are left out). Deleting removes exactly the
rows the export would hold, children first, in one transaction — platform tokens go with their ad
accounts, after being wiped — and the user's Telegram chat loses its people too.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from agent_brain.admin.fingerprint import of_hash
from agent_brain.db.models import AdAccount, Base, TelegramChatMember, User

# Columns never exported: hashes are shown as fingerprints, encrypted tokens not at all.
HASHED = {"token_hash", "code_hash"}
SECRET = {"access_token_encrypted"}


@dataclass
class UserData:
    user_id: uuid.UUID
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)  # table → WHERE clause that selects its rows

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items() if rows}


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


async def collect(conn: AsyncConnection, user_id: uuid.UUID) -> UserData:
    """Every row belonging to the user, table by table (parents before children)."""
    data = UserData(user_id)
    keys: dict[str, dict[str, set[Any]]] = {}  # table → column → values found (for children to match)
    for table in _tables():
        if table.name == "users":
            clause = table.c.id == user_id
        else:
            refs = []
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                values = keys.get(parent, {}).get(fk.column.name)
                if fk.parent.table is table and values and parent != table.name:
                    refs.append(fk.parent.in_(values))
            if not refs:
                continue
            clause = or_(*refs)
        rows = [dict(r._mapping) for r in (await conn.execute(select(table).where(clause))).all()]
        if not rows:
            continue
        data.rows[table.name], data.conditions[table.name] = rows, clause
        referenced = {fk.column.name for t in _tables() for fk in t.foreign_keys if fk.column.table is table}
        keys[table.name] = {col: {r[col] for r in rows if r[col] is not None} for col in referenced}
    return data


def _json_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in HASHED:
        return of_hash(value)
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


async def export_user(engine: AsyncEngine, name: str) -> dict[str, Any] | None:
    """The user's data as a JSON-ready document; None if there is no such user."""
    async with engine.connect() as conn:
        user_id = (await conn.execute(select(User.id).where(User.name == name))).scalar_one_or_none()
        if user_id is None:
            return None
        data = await collect(conn, user_id)
    tables = {name: [{k: _json_value(k, v) for k, v in row.items() if k not in SECRET} for row in rows]
              for name, rows in data.rows.items()}
    return {"format": "agent-brain user export v1", "user": tables["users"][0], "counts": data.counts(),
            "tables": {k: v for k, v in tables.items() if k != "users"}}


async def delete_user(engine: AsyncEngine, name: str) -> dict[str, int] | None:
    """Delete every row of the user (what `export_user` shows); rows deleted per table, None if unknown."""
    async with engine.begin() as conn:
        user_id = (await conn.execute(select(User.id).where(User.name == name).with_for_update())).scalar_one_or_none()
        if user_id is None:
            return None
        data = await collect(conn, user_id)
        chat_id = (data.rows["users"][0] or {}).get("telegram_chat_id")
        # Tokens are wiped before their rows go (nothing readable survives even in dead tuples' order of events).
        await conn.execute(update(AdAccount).where(AdAccount.user_id == user_id).values(access_token_encrypted=None))
        if chat_id is not None:
            await conn.execute(delete(TelegramChatMember).where(TelegramChatMember.chat_id == chat_id))
        deleted: dict[str, int] = {}
        tables = {t.name: t for t in _tables()}
        for table_name in reversed(list(data.rows)):
            result = await conn.execute(delete(tables[table_name]).where(data.conditions[table_name]))
            deleted[table_name] = result.rowcount or 0
    return {k: v for k, v in deleted.items() if v}

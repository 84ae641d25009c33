"""«Выгрузи это в CSV» / «export it to Excel»: the conversation's latest table answer as a file.

The tool finds the table (it writes nothing) and answers with its size and where to get it: the web
page's download link; the Telegram transport sends the same file as a document.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from agent_brain.agents.ads.tools import tools
from agent_brain.exports import latest_table
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, ToolError


class ExportArgs(BaseModel):
    format: Literal["csv", "xlsx"] = "csv"


@tools.tool(kind=READ)
async def exportTable(args: ExportArgs, ctx: ToolContext) -> dict[str, Any]:
    """Export the latest table shown in this conversation (campaigns, spend, leads, breakdowns…) as a CSV
    or XLSX file; returns its download link. Show the table first if there is none."""
    if ctx.conversation_id is None:
        raise ToolError(say(ctx, "Выгрузка работает в разговоре.", "Exports work within a conversation."),
                        code="no_conversation")
    table = await latest_table(ctx.engine, user_id=ctx.user_id, conversation_id=ctx.conversation_id,
                               currency=ctx.currency)
    if table is None:
        raise ToolError(say(ctx, "В этом разговоре ещё нет таблицы. Сначала покажите данные — например, «Покажи "
                                 "кампании» или «Покажи лиды», — затем «выгрузи в CSV».",
                            "There is no table in this conversation yet. Show the data first — e.g. “Show "
                            "campaigns” or “Show leads” — then “export to CSV”."), code="no_table")
    url = (f"/api/brain/conversations/{ctx.conversation_id}/export?format={args.format}"
           f"&messageId={table.message_id}")
    fmt = args.format.upper()
    return {"export": {"format": args.format, "message_id": table.message_id, "url": url, "title": table.title},
            "rows": len(table.rows), "columns": table.columns,
            "message": say(ctx, f"Файл {fmt} готов: {len(table.rows)} строк ({table.title}). Скачать: {url}",
                           f"The {fmt} file is ready: {len(table.rows)} rows ({table.title}). Download: {url}")}

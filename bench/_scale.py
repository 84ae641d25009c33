"""Grow the demo world in place: ×N its creatives (with their ads, daily metrics and scores), leads
(with stage changes and purchases) and WhatsApp dialogs (with messages and analyses), for the
"flat in the size of the business" measures. Copies get deterministic new ids (md5 of the original
id and the copy number) so children follow their parents; names get the copy number."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def _new(col: str) -> str:
    return f"CASE WHEN t.{col} IS NULL THEN NULL ELSE md5(t.{col}::text || ':' || g)::uuid END"


# table → the columns a copy changes (anything else is copied as is; a generated id is left to its default)
_COPIES: list[tuple[str, dict[str, str]]] = [
    ("creatives", {"id": _new("id"), "title": "t.title || ' #' || g", "fb_creative_id": "NULL"}),
    ("ad_creative_mapping", {"fb_ad_id": "t.fb_ad_id || 'x' || g", "creative_id": _new("creative_id")}),
    ("creative_metrics_history", {"creative_id": _new("creative_id"), "fb_ad_id": "t.fb_ad_id || 'x' || g"}),
    ("creative_scores", {"creative_id": _new("creative_id")}),
    ("leads", {"id": _new("id"), "name": "t.name || ' ' || g", "creative_id": _new("creative_id")}),
    ("lead_stage_changes", {"lead_id": _new("lead_id")}),
    ("purchases", {"lead_id": _new("lead_id")}),
    ("whatsapp_dialogs", {"id": _new("id"), "phone": "t.phone || lpad(g::text, 3, '0')", "lead_id": _new("lead_id")}),
    ("whatsapp_messages", {"dialog_id": _new("dialog_id")}),
    ("dialog_analysis", {"dialog_id": _new("dialog_id")}),
]


async def scale_world(engine: AsyncEngine, factor: int) -> dict[str, int]:
    """Make the world `factor` times as large; returns the row counts afterwards."""
    counts: dict[str, int] = {}
    async with engine.begin() as conn:
        for table, overrides in _COPIES:
            if factor > 1:
                columns = (await conn.execute(text(
                    "SELECT column_name, column_default IS NOT NULL OR is_identity = 'YES' AS generated, data_type "
                    "FROM information_schema.columns WHERE table_name = :t AND table_schema = 'public' "
                    "AND is_generated <> 'ALWAYS' "
                    "ORDER BY ordinal_position"), {"t": table})).all()
                names, values = [], []
                for name, generated, data_type in columns:
                    if name in overrides:
                        names.append(name)
                        values.append(overrides[name])
                    elif name == "id" and data_type == "uuid":
                        names.append(name)
                        values.append(_new("id"))
                    elif name == "id" and generated:
                        continue
                    else:
                        names.append(name)
                        values.append(f"t.{name}")
                await conn.execute(text(
                    f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} "
                    f"FROM {table} t CROSS JOIN generate_series(1, {factor - 1}) AS g"))
            counts[table] = int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
        await conn.execute(text("ANALYZE"))
    return counts

"""What did not reach the customer, per recipient — including failures the platform reports LATER.

WhatsApp accepts a message to a number it cannot deliver to and says so afterwards, in a `failed`
status callback (error 131026 "Message undeliverable"); the ingest stores that on the outgoing
message. A refusal at send time (131047, 130429…) is stored on it too, in its own shape. This reads
both, for one user: in a period, or for one bulk send (its batch key). An attempt refused for
throughput (130429) and then sent under the same key is not a failure to report.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Integer, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from agent_brain.db.models import WhatsAppDialog, WhatsAppMessage


@dataclass(frozen=True)
class Undelivered:
    dialog_id: str
    name: str | None
    recipient: str | None
    code: int | None
    reason: str | None
    at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def undelivered(engine: AsyncEngine, user_id: uuid.UUID, *, start: dt.datetime | None = None,
                      end: dt.datetime | None = None, batch: str | None = None,
                      limit: int = 50) -> tuple[int, list[Undelivered]]:
    """(how many, the first `limit`) of the user's outgoing messages that failed, latest first."""
    error = WhatsAppMessage.error
    code = func.coalesce(cast(error["code"].astext, Integer), cast(error["errors"][0]["code"].astext, Integer))
    reason = func.coalesce(error["errors"][0]["title"].astext, error["message"].astext)
    retried = aliased(WhatsAppMessage)  # an attempt refused (130429) then retried under the same key and sent
    superseded = exists().where(retried.dialog_id == WhatsAppMessage.dialog_id, retried.direction == "out",
                                retried.meta["key"].astext == WhatsAppMessage.meta["key"].astext,
                                retried.status != "failed")
    where = [WhatsAppDialog.user_id == user_id, WhatsAppMessage.direction == "out", WhatsAppMessage.status == "failed",
             ~superseded]
    if start is not None:
        where.append(WhatsAppMessage.sent_at >= start)
    if end is not None:
        where.append(WhatsAppMessage.sent_at < end)
    if batch is not None:
        where.append(WhatsAppMessage.meta["key"].astext.startswith(f"{batch}:", autoescape=True))
    base = select(WhatsAppMessage.id).join(WhatsAppDialog, WhatsAppDialog.id == WhatsAppMessage.dialog_id).where(*where)
    async with engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
        rows = (await conn.execute(
            select(WhatsAppDialog.id, WhatsAppDialog.contact_name, WhatsAppDialog.phone, WhatsAppDialog.instagram_id,
                   code.label("code"), reason.label("reason"), WhatsAppMessage.sent_at)
            .join(WhatsAppDialog, WhatsAppDialog.id == WhatsAppMessage.dialog_id).where(*where)
            .order_by(WhatsAppMessage.sent_at.desc(), WhatsAppMessage.id.desc()).limit(limit))).all()
    return int(total), [Undelivered(str(r.id), r.contact_name, r.phone or r.instagram_id, r.code, r.reason,
                                    r.sent_at.isoformat()) for r in rows]

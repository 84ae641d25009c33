"""Broadcasts to a segment of customers («всем горячим клиентам», a stage, a direction), sent for real.

Always dangerous (a plan showing the count and the text); each recipient gets the message once,
through the write path, and the result reports every recipient that did not get it and why.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from agent_brain.agents.whatsapp.tools import tools
from agent_brain.inbound.segments import Segment, members
from agent_brain.inbound.send import MessageSender
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import WRITE, ToolError

FAILURES_SHOWN = 50


class SendSegmentMessageArgs(BaseModel):
    temperature: Literal["hot", "warm", "cold"] | None = Field(default=None, description="Leads of this temperature")
    stage: str | None = Field(default=None, max_length=100, description="Leads at this funnel stage (its name)")
    directionId: uuid.UUID | None = Field(default=None, description="Leads of this direction")
    channel: Literal["whatsapp", "instagram"] | None = None
    message: str = Field(min_length=1, max_length=1000, description="The text, exactly as the user gave it")
    template: str | None = Field(default=None, max_length=100,
                                 description="An approved WhatsApp template name, for customers outside the 24-hour "
                                             "window (only when the user names one)")

    @model_validator(mode="after")
    def _some_segment(self) -> SendSegmentMessageArgs:
        if not (self.temperature or self.stage or self.directionId):
            raise ValueError("name the segment: temperature, stage or directionId")
        return self


def segment_of(args: SendSegmentMessageArgs | dict[str, Any]) -> Segment:
    a = args if isinstance(args, SendSegmentMessageArgs) else SendSegmentMessageArgs.model_validate(args)
    return Segment(temperature=a.temperature, stage=a.stage, direction_id=a.directionId, channel=a.channel)


@tools.tool(kind=WRITE, dangerous=True, timeout=600)
async def sendSegmentMessage(args: SendSegmentMessageArgs, ctx: ToolContext) -> dict[str, Any]:
    """Send one text to every customer of a segment (lead temperature, funnel stage and/or direction)
    over WhatsApp / Instagram, for real. Opted-out customers are skipped; outside the 24-hour window a
    free-form text is not allowed (only an approved template). Only on the user's explicit request."""
    found = await members(ctx.engine, ctx.user_id, segment_of(args))
    if not found.dialogs:
        raise ToolError(say(ctx, "В этом сегменте нет клиентов с диалогами.", "No customers with dialogs in this segment."),
                        code="no_recipients", details={"opted_out": found.opted_out})
    if ctx.dry_run:
        return {"dry_run": True, "recipients": len(found.dialogs), "opted_out": found.opted_out,
                "message": args.message}
    batch = "segment:" + hashlib.sha256(args.model_dump_json().encode()).hexdigest()[:16]
    sender = MessageSender(ctx.engine, ctx.meta.client, ctx.writes)
    results = await sender.send_many(ctx.user_id, [r.id for r in found.dialogs], args.message, batch=batch,
                                     template=args.template)
    names = {str(r.id): r.contact_name or r.phone or r.instagram_id for r in found.dialogs}
    failed = [{**r.to_json(), "name": names.get(r.dialog_id)} for r in results if r.status != "sent"]
    counts = {status: sum(1 for r in results if r.status == status) for status in ("sent", "failed", "skipped")}
    return {"action": "send_segment_message", "recipients": len(results), **counts, "opted_out": found.opted_out,
            "message": args.message, "not_sent": failed[:FAILURES_SHOWN], "not_sent_total": len(failed)}

"""The inbound tasks: process one delivery (queued with it by the webhook) and the sweep.

The sweep catches what a lost job would leave behind: deliveries still unprocessed a minute after
they arrived, customer messages never reacted to. Both are safe to run any number of times.
"""

from __future__ import annotations

from typing import Any

from procrastinate import Blueprint, JobContext

blueprint = Blueprint()


def _service(context: JobContext) -> Any:
    service = context.additional_context["services"].inbound
    if service is None:
        raise RuntimeError("the worker was started without the inbound service")
    return service


@blueprint.task(name="process_inbound_delivery", queue="inbound", pass_context=True, retry=3)
async def process_inbound_delivery(context: JobContext, *, delivery_id: int) -> dict[str, Any]:
    result, reactions = await _service(context).process(delivery_id)
    return {"processed": result is not None, **(result.to_json() if result else {}),
            "reactions": [r.action for r in reactions]}


@blueprint.periodic(cron="* * * * *")
@blueprint.task(name="sweep_inbound", queue="inbound", pass_context=True, lock="inbound-sweep")
async def sweep_inbound(context: JobContext, timestamp: int) -> dict[str, int]:
    return await _service(context).sweep()  # type: ignore[no-any-return]

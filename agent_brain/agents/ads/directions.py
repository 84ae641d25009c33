"""«Включи направление Виниры»: resuming a direction, the way back from `pauseDirection`.

A direction's pause stops its own ad set and the other active ad sets of its campaign; resuming it
switches back on exactly the ad sets that pause stopped — never an ad set the user had paused
before (it was already PAUSED in the pause's journalled before-state). Undo passes them
explicitly (`adsetIds`); by chat they come from the direction's last verified pause in the journal,
or, with none, the direction's own ad set. It goes through the same write path as every write.
"""

from __future__ import annotations

from typing import Any

from agent_brain.agents.ads.args import ResumeDirectionArgs
from agent_brain.agents.ads.tools import (
    State,
    _direction,
    _direction_ad_sets,
    _direction_reader,
    _guarded,
    _switch_ad_sets,
    _update_direction,
    tools,
)
from agent_brain.journal.store import ActionFilter, ActionJournal
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import WRITE, ToolError


async def stopped_by_last_pause(ctx: ToolContext, direction_id: str) -> list[str] | None:
    """The ad sets the direction's latest applied pause switched off (ACTIVE before it), or None."""
    journal = ActionJournal(ctx.engine)
    for action in await journal.list(ctx.user_id, ActionFilter(target_id=direction_id, tool="pauseDirection"),
                                     limit=5):
        if action.status in ("verified", "unverified") and action.before_state is not None:
            before = action.before_state.get("adsets") or {}
            return sorted(i for i, status in before.items() if status == "ACTIVE")
    return None


@tools.tool(kind=WRITE, dangerous=True, timeout=30)
async def resumeDirection(args: ResumeDirectionArgs, ctx: ToolContext) -> dict[str, Any]:
    """Resume a paused direction: mark it active and switch back on the ad sets its pause stopped
    (or exactly `adsetIds`, which must belong to the direction) — not ad sets that were paused
    before. Starts spend again, so it is always confirmed by the user."""
    direction = await _direction(ctx, args.directionId)
    ad_sets = await _direction_ad_sets(ctx, direction)
    names = {s.id: s.name for s in ad_sets}
    if args.adsetIds is not None:
        wanted = sorted(set(args.adsetIds))
    else:
        wanted = await stopped_by_last_pause(ctx, str(direction.id))
        if wanted is None:
            wanted = [direction.fb_adset_id] if direction.fb_adset_id else []
    if foreign := [i for i in wanted if i not in names]:
        raise ToolError(say(ctx, f"Адсеты {', '.join(foreign)} не относятся к направлению «{direction.name}».",
                            f"Ad sets {', '.join(foreign)} do not belong to the direction “{direction.name}”."),
                        code="not_found")
    if final := [names[i] for i in wanted if next(s for s in ad_sets if s.id == i).status in ("ARCHIVED", "DELETED")]:
        raise ToolError(say(ctx, f"Адсет «{final[0]}» в архиве или удалён — его не включить.",
                            f"The ad set “{final[0]}” is archived or deleted and cannot be resumed."),
                        code="invalid_state")
    expected: State = {"is_active": True, "campaign_status": "ACTIVE"}
    if wanted:
        expected["adsets"] = dict.fromkeys(wanted, "ACTIVE")

    read = _direction_reader(ctx, direction, wanted)

    async def write(validate_only: bool, current: State) -> Any:
        # The direction is marked active last: while the ad sets are switched on it still reads paused.
        resumed = await _switch_ad_sets(ctx, wanted, "ACTIVE", current, validate_only=validate_only)
        await _update_direction(ctx, direction.id, validate_only=validate_only, is_active=True,
                                campaign_status="ACTIVE")
        return {"resumed_adsets": resumed, "direction": {"is_active": True, "campaign_status": "ACTIVE"}}

    return await _guarded(ctx, args, action="resumeDirection",
                          target={"id": str(direction.id), "name": direction.name}, expected=expected,
                          read=read, write=write, version=direction.updated_at.isoformat(),
                          extra={"adsets": [{"id": i, "name": names.get(i)} for i in wanted]})

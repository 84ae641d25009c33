"""Several ad accounts: list them, and switch the conversation's account («переключись на кабинет …»)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update

from agent_brain.agents.ads.tools import tools
from agent_brain.db.models import AdAccount, Conversation
from agent_brain.stores.users import UserStore
from agent_brain.tools.common import say
from agent_brain.tools.context import ToolContext
from agent_brain.tools.registry import READ, WRITE, ToolError


class NoArgs(BaseModel):
    pass


class SwitchAccountArgs(BaseModel):
    account: str = Field(min_length=1, max_length=200, description="The account's name or id (act_…)")


@tools.tool(kind=READ)
async def listAdAccounts(args: NoArgs, ctx: ToolContext) -> dict[str, Any]:
    """The user's ad accounts with platform, currency and time zone; `current` marks the one this
    conversation works with."""
    accounts = await UserStore(ctx.engine).ad_accounts(ctx.user_id)
    items = [{"id": a.external_id, "name": a.name, "platform": a.platform, "currency": a.currency,
              "timezone": a.timezone, "sandbox": a.is_sandbox, "current": a.id == ctx.ad_account_id} for a in accounts]
    lines = [f"{'▶ ' if i['current'] else '• '}{i['name']} ({i['id']}, {i['platform']}, {i['currency']}, "
             f"{i['timezone']}{say(ctx, ', песочница', ', sandbox') if i['sandbox'] else ''})" for i in items]
    message = "\n".join(lines) if lines else say(ctx, "Рекламных кабинетов нет.", "No ad accounts are linked.")
    return {"items": items, "message": message}


@tools.tool(kind=WRITE)
async def switchAdAccount(args: SwitchAccountArgs, ctx: ToolContext) -> dict[str, Any]:
    """Make another of the user's ad accounts the one this conversation works with (by name or id)."""
    if ctx.conversation_id is None:
        raise ToolError(say(ctx, "Переключать кабинет можно только в разговоре.", "Switching needs a conversation."),
                        code="no_conversation")
    wanted = args.account.casefold().strip()
    async with ctx.engine.begin() as conn:
        rows = (await conn.execute(select(AdAccount.id, AdAccount.name, AdAccount.external_id)
                                   .where(AdAccount.user_id == ctx.user_id))).all()
        found = [r for r in rows if wanted in (r.name.casefold(), r.external_id.casefold(),
                                               r.external_id.casefold().removeprefix("act_"))] or \
            [r for r in rows if wanted in r.name.casefold()]
        if len(found) != 1:
            names = ", ".join(f"«{r.name}» ({r.external_id})" for r in (found or rows)[:8])
            raise ToolError(say(ctx, f"Уточните кабинет: {names}.", f"Which account? {names}."),
                            code="ambiguous" if found else "not_found")
        chosen = found[0]
        await conn.execute(update(Conversation).where(Conversation.id == ctx.conversation_id,
                                                      Conversation.user_id == ctx.user_id)
                           .values(ad_account_id=chosen.id))
    return {"account": {"id": chosen.external_id, "name": chosen.name},
            "target": {"id": chosen.external_id, "name": chosen.name},
            "message": say(ctx, f"Теперь работаю с кабинетом «{chosen.name}» ({chosen.external_id}).",
                           f"Now working with the account “{chosen.name}” ({chosen.external_id}).")}

"""Several ad accounts: listed with the current one marked; a conversation switches to one of the user's own."""

from __future__ import annotations

import dataclasses

from tool_calls import make_callers

from agent_brain.agents.ads import AGENT
from agent_brain.stores.unified import UnifiedStore
from agent_brain.stores.users import UserStore
from agent_brain.tools.context import ToolContext

call, ok = make_callers(AGENT.tools)


async def test_switching_the_conversations_account(tool_ctx: ToolContext) -> None:
    users = UserStore(tool_ctx.engine)
    second = await users.upsert_ad_account(tool_ctx.user_id, external_id="act_555", name="Клиника Казань",
                                           currency="RUB", timezone="Europe/Moscow")
    stranger, _ = await users.create_user("stranger")
    await users.upsert_ad_account(stranger.id, external_id="act_777", name="Чужой кабинет")
    conv = await UnifiedStore(tool_ctx.engine).get_or_create(user_id=tool_ctx.user_id, source="web")
    ctx = dataclasses.replace(tool_ctx, conversation_id=conv.id)

    listed = await ok(ctx, "listAdAccounts")
    assert [(i["id"], i["current"]) for i in listed["items"]] == [(tool_ctx.platform_account_id, True),
                                                                   ("act_555", False)]
    switched = await ok(ctx, "switchAdAccount", account="казань")
    assert switched["account"] == {"id": "act_555", "name": "Клиника Казань"}
    chosen = await users.ad_accounts(tool_ctx.user_id, conversation_id=conv.id)
    assert chosen[0].id == second.id  # the orchestrator's context for this conversation now uses it
    other_conv = await UnifiedStore(tool_ctx.engine).get_or_create(user_id=tool_ctx.user_id, source="cli")
    assert (await users.ad_accounts(tool_ctx.user_id, conversation_id=other_conv.id))[0].external_id \
        == tool_ctx.platform_account_id  # other conversations keep theirs

    foreign = await call(ctx, "switchAdAccount", account="Чужой кабинет")
    assert not foreign.success and foreign.error_code == "not_found"

"""Who am I: the token's user and what the assistant runs on."""

from __future__ import annotations

from fastapi import APIRouter

from agent_brain import texts
from web_api.deps import CurrentUser, Lang, RuntimeDep
from web_api.schemas import ERRORS, MeOut, TextsOut

router = APIRouter(prefix="/api/brain", tags=["me"], responses=ERRORS)


@router.get("/me")
async def me(user: CurrentUser, runtime: RuntimeDep) -> MeOut:
    settings = runtime.settings
    offline = settings.uses_offline_model
    accounts = await runtime.users.ad_accounts(user.id)
    return MeOut(currency=accounts[0].currency if accounts else "USD",id=user.id, name=user.name, language=user.language,
                 model="offline" if offline else settings.chat_assistant_model, model_is_llm=not offline,
                 platform="sandbox" if settings.uses_graph_sandbox else "meta")


@router.get("/texts")
async def ui_texts(user: CurrentUser, lang: Lang) -> TextsOut:
    """Words for tools (what is running, what a plan step does), from the one catalogue in agent_brain.texts."""
    return TextsOut(tools=texts.catalogue(lang), agents=texts.agent_catalogue(lang))

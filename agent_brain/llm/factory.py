"""Pick the models from settings: an OpenAI-compatible endpoint when a key is set, else offline."""

from __future__ import annotations

from agent_brain.config import Settings
from agent_brain.llm.base import ChatModel


def build_models(settings: Settings) -> tuple[ChatModel, ChatModel]:
    """(agent model, small model for classification and summaries)."""
    if settings.uses_offline_model:
        from agent_brain.llm.offline import OfflineModel

        model = OfflineModel()
        return model, model
    from agent_brain.llm.openai_model import OpenAIChatModel

    assert settings.openai_api_key is not None
    key = settings.openai_api_key.get_secret_value()
    return (
        OpenAIChatModel(api_key=key, model=settings.chat_assistant_model, base_url=settings.openai_base_url),
        OpenAIChatModel(api_key=key, model=settings.small_model, base_url=settings.openai_base_url),
    )

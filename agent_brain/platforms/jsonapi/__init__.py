"""Client machinery shared by the non-Graph ad platforms (TikTok, Google Ads): see `ApiClient`."""

from agent_brain.platforms.jsonapi.client import ApiClient, Classifier

__all__ = ["ApiClient", "Classifier"]

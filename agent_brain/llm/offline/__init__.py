"""The offline model: a deterministic Russian/English intent parser behind the `ChatModel` interface.

Used when no OpenAI-compatible endpoint is configured. Modules: `text` (normalisation, fuzzy
words), `lexicon` (keyword tables, tool facts), `extract` (periods, money, phones, …),
`resolve` (names → the user's objects), `unsupported` (requests the product cannot do → one-sentence
refusals), `clarify` (questions with clickable candidates, answered in their context),
`parser` (message → tool calls or questions),
`writer` (tool results → reply), `compose` (synthesis, summaries), `repair` (argument fixes),
`model` (`OfflineModel`).
"""

from agent_brain.llm.offline.model import OfflineModel
from agent_brain.llm.offline.parser import Intent, Parse, parse
from agent_brain.llm.offline.resolve import StaticResolver

__all__ = ["Intent", "OfflineModel", "Parse", "StaticResolver", "parse"]

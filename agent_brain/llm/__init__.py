"""Models: the ChatModel interface, the OpenAI-compatible client and the offline model."""

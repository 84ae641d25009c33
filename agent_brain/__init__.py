"""agent-brain: a conversational multi-agent assistant for performance marketers."""

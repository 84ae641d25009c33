"""The agents: one package per domain (tools, handlers, prompt version)."""

"""Persistence: conversations, messages, plans, and the other stores."""

"""The orchestrator: classification, agents, policy and plans, events."""

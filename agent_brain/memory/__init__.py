"""Memory: context budget, rolling summaries, the business snapshot and agent notes (ARCHITECTURE.md §6)."""

"""Optimisation: budget rules, A/B statistics, the creative bandit (seeds 001 and 003)."""

"""Automation: structured rules evaluated set-based on a schedule, backtested, acting through plans."""

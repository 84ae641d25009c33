"""Background jobs on procrastinate: metrics sync, housekeeping (and, next, rules, alerts, reports)."""

"""Operator tasks behind `agent-brain users|tokens|accounts|telegram`: plain async functions over the
database (and the ad platform, for `accounts link`), so the CLI stays a thin shell and tests call
the same code the operator runs. Secrets are never printed: tokens are shown by fingerprint."""

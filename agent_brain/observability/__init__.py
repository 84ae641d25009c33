"""Observability: Prometheus metrics (`metrics`), structured logs with a turn id (`logs`), and the
readiness check behind `/ready` (`readiness`). Labels are low-cardinality by construction: agent,
tool, model, platform, HTTP method, status class, error class, state — never a user, an object id
or free text."""

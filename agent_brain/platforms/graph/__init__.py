"""Meta Graph / Marketing API client layer: typed errors, retries, circuit breaker, usage pacing.

Start with `GraphClient`; errors are `GraphError` subclasses with `user_message(lang)`.
"""

from agent_brain.platforms.graph.breaker import (
    AsyncCircuitBreaker,
    BreakerConfig,
    BreakerRegistry,
    get_breaker,
)
from agent_brain.platforms.graph.client import BatchRequest, BatchResult, GraphClient
from agent_brain.platforms.graph.errors import (
    BudgetChangeRateLimited,
    CircuitOpenError,
    GraphError,
    GraphTimeoutError,
    InvalidParameterError,
    NetworkError,
    PermissionDeniedError,
    PolicyBlockError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    WriteOutcomeUnknown,
    error_from_response,
)
from agent_brain.platforms.graph.pacing import BudgetChangePacer
from agent_brain.platforms.graph.usage import UsageDelayPolicy, UsageTracker

__all__ = [
    "AsyncCircuitBreaker",
    "BatchRequest",
    "BatchResult",
    "BreakerConfig",
    "BreakerRegistry",
    "BudgetChangePacer",
    "BudgetChangeRateLimited",
    "CircuitOpenError",
    "GraphClient",
    "GraphError",
    "GraphTimeoutError",
    "InvalidParameterError",
    "NetworkError",
    "PermissionDeniedError",
    "PolicyBlockError",
    "ThrottledError",
    "TokenExpiredError",
    "TransientError",
    "UsageDelayPolicy",
    "UsageTracker",
    "WriteOutcomeUnknown",
    "error_from_response",
    "get_breaker",
]

"""Fault injection: make the sandbox's next N calls fail the way Graph does.

Tests (and `agent-brain sandbox` users, through `POST /_sandbox/faults`) queue faults; each
incoming request consumes the first matching one.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Literal

from agent_brain.platforms.sandbox.graph_format import GraphAPIError

# drop_write: answer a write with success but do not apply it (Meta is eventually consistent; the
# post-check must notice). slow_response: apply the request, then delay the answer (a write that
# landed while its caller timed out or died).
FaultKind = Literal[
    "server_error", "rate_limit_429", "throttle", "token_expired", "slow", "invalid_parameter", "drop_write",
    "slow_response",
]


@dataclass
class Fault:
    kind: FaultKind
    remaining: int = 1
    delay_seconds: float = 0.0
    retry_after_seconds: int | None = None
    regain_minutes: int = 0
    method: str | None = None  # only requests with this HTTP method (e.g. "POST")


@dataclass
class FaultInjector:
    faults: list[Fault] = field(default_factory=list)
    served: int = 0

    def inject(
        self,
        kind: FaultKind,
        *,
        times: int = 1,
        delay_seconds: float = 0.0,
        retry_after_seconds: int | None = None,
        regain_minutes: int = 0,
        method: str | None = None,
    ) -> None:
        self.faults.append(
            Fault(kind, times, delay_seconds, retry_after_seconds, regain_minutes, method.upper() if method else None)
        )

    def clear(self) -> None:
        self.faults.clear()

    def _take(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method is None or fault.method == method:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                self.served += 1
                return fault
        return None

    async def apply(self, method: str, business_id: str) -> Fault | None:
        """Raise (or delay) according to the next queued fault for this request, if any.

        Returns a fault the caller must act on itself (drop_write), else None.
        """
        fault = self._take(method)
        if fault is None:
            return None
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay_seconds)
            return None
        if fault.kind in ("drop_write", "slow_response"):
            return fault
        if fault.kind == "server_error":
            raise GraphAPIError(
                "An unexpected error has occurred. Please retry your request later.",
                code=2, type_="OAuthException", http_status=500,
            )
        if fault.kind == "token_expired":
            raise GraphAPIError(
                "Error validating access token: Session has expired.", code=190, subcode=463, http_status=400
            )
        if fault.kind == "invalid_parameter":
            raise GraphAPIError("Invalid parameter", code=100, http_status=400)
        usage = json.dumps(
            {
                business_id: [
                    {
                        "type": "ads_management",
                        "call_count": 100,
                        "total_cputime": 40,
                        "total_time": 60,
                        "estimated_time_to_regain_access": fault.regain_minutes,
                    }
                ]
            }
        )
        headers = {"X-Business-Use-Case-Usage": usage}
        if fault.kind == "rate_limit_429":
            if fault.retry_after_seconds is not None:
                headers["Retry-After"] = str(fault.retry_after_seconds)
            raise GraphAPIError(
                "(#4) Application request limit reached", code=4, http_status=429, headers=headers
            )
        # Meta sends most throttles as HTTP 400 with the code in the body.
        raise GraphAPIError(
            "User request limit reached", code=80004, subcode=2446079, http_status=400, headers=headers
        )

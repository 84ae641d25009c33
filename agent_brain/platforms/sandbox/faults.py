"""Fault injection: make the sandbox's next N calls fail the way Graph does.

Tests (and `agent-brain sandbox` users, through `POST /_sandbox/faults`) queue faults; each
incoming request consumes the first matching one. There is a kind for every error family the
Graph client tells apart, with Graph's code, subcode, message, HTTP status, `is_transient`
and the usage headers Meta sends with it; `code`/`subcode` pick a member of a family (e.g. any
of 80000–80014 for `business_throttle`, a 190 subcode for `token_expired`).
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
    "server_error", "unknown_error", "rate_limit_429", "app_throttle", "user_throttle", "page_throttle",
    "app_limit", "call_rate_throttle", "throttle", "business_throttle", "policy_block", "token_expired",
    "invalid_parameter", "permission_denied", "slow", "drop_write",
    "slow_response",
]


@dataclass(frozen=True)
class ErrorTemplate:
    code: int
    message: str
    subcode: int | None = None
    http_status: int = 400
    type_: str = "OAuthException"
    usage_header: str | None = None  # which usage header Meta reports at 100 % with it
    user_title: str | None = None
    user_msg: str | None = None


# Meta's messages per business-use-case throttle code (80000–80014).
BUSINESS_THROTTLES = {
    80000: "Ads Insights", 80001: "Pages", 80002: "Instagram", 80003: "Custom Audience", 80004: "Ads Management",
    80005: "LeadGen", 80006: "Messenger", 80008: "WhatsApp Business Management", 80009: "Catalog Management",
    80014: "Catalog Batch",
}
TOKEN_SUBCODES = {
    458: "Error validating access token: The user has not authorized application.",
    459: "Error validating access token: You cannot access the app till you log in to www.facebook.com and "
         "follow the instructions given.",
    460: "Error validating access token: The session has been invalidated because the user changed their "
         "password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired.",
    464: "Error validating access token: Sessions for the user are not allowed because the user is not a "
         "confirmed user.",
    467: "Error validating access token: The access token is invalid.",
    492: "Error validating access token: The session is invalid.",
}
TEMPLATES: dict[str, ErrorTemplate] = {
    "unknown_error": ErrorTemplate(1, "An unknown error occurred", subcode=99),
    "server_error": ErrorTemplate(2, "An unexpected error has occurred. Please retry your request later.",
                                  http_status=500),
    "rate_limit_429": ErrorTemplate(4, "(#4) Application request limit reached", http_status=429,
                                    usage_header="X-Business-Use-Case-Usage"),
    "app_throttle": ErrorTemplate(4, "(#4) Application request limit reached", usage_header="X-App-Usage"),
    "user_throttle": ErrorTemplate(17, "(#17) User request limit reached", subcode=2446079,
                                   usage_header="X-Ad-Account-Usage"),
    "page_throttle": ErrorTemplate(32, "(#32) Page request limit reached", usage_header="X-App-Usage"),
    "app_limit": ErrorTemplate(341, "(#341) Application limit reached", usage_header="X-App-Usage"),
    "call_rate_throttle": ErrorTemplate(613, "(#613) Calls to this api have exceeded the rate limit.",
                                        usage_header="X-Ad-Account-Usage"),
    "throttle": ErrorTemplate(80004, "", subcode=2446079, usage_header="X-Business-Use-Case-Usage"),
    "business_throttle": ErrorTemplate(80000, "", usage_header="X-Business-Use-Case-Usage"),
    "policy_block": ErrorTemplate(368, "The action attempted has been deemed abusive or is otherwise disallowed",
                                  subcode=1390008, user_title="Action blocked",
                                  user_msg="This action was blocked because it may be abusive or against policy."),
    "token_expired": ErrorTemplate(190, "", subcode=463),
    "invalid_parameter": ErrorTemplate(100, "Invalid parameter", user_title="Invalid parameter",
                                       user_msg="One or more parameters are invalid."),
    "permission_denied": ErrorTemplate(200, "(#200) Requires ads_management permission to manage the object",
                                       type_="OAuthException"),
}


@dataclass
class Fault:
    kind: FaultKind
    remaining: int = 1
    delay_seconds: float = 0.0
    retry_after_seconds: int | None = None
    regain_minutes: int = 0
    method: str | None = None  # only requests with this HTTP method (e.g. "POST")
    code: int | None = None  # a member of the kind's family (80000–80014, a 100 or 190 subcode…)
    subcode: int | None = None


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
        code: int | None = None,
        subcode: int | None = None,
    ) -> None:
        if kind == "business_throttle" and code is not None and code not in BUSINESS_THROTTLES:
            raise ValueError(f"business_throttle codes are {sorted(BUSINESS_THROTTLES)}")
        if kind == "token_expired" and subcode is not None and subcode not in TOKEN_SUBCODES:
            raise ValueError(f"token_expired subcodes are {sorted(TOKEN_SUBCODES)}")
        self.faults.append(Fault(kind, times, delay_seconds, retry_after_seconds, regain_minutes,
                                 method.upper() if method else None, code, subcode))

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

    async def apply(self, method: str, business_id: str, account: str = "") -> Fault | None:
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
        raise graph_error(fault, business_id, account)


def graph_error(fault: Fault, business_id: str, account: str) -> GraphAPIError:
    template = TEMPLATES[fault.kind]
    code = fault.code if fault.code is not None else template.code
    subcode = fault.subcode if fault.subcode is not None else template.subcode
    message = template.message
    if fault.kind in ("throttle", "business_throttle"):
        area = BUSINESS_THROTTLES.get(code, "this business use case")
        message = (f"(#{code}) There have been too many calls to this {area} account. Wait a bit and try again. "
                   "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
                   "rate-limiting#ads-management.")
    elif fault.kind == "token_expired":
        message = TOKEN_SUBCODES.get(subcode or 463, TOKEN_SUBCODES[463])
    return GraphAPIError(
        message, code=code, subcode=subcode, type_=template.type_, http_status=template.http_status,
        user_title=template.user_title, user_msg=template.user_msg,
        headers=_usage_headers(template.usage_header, fault, business_id, account),
    )


def _usage_headers(header: str | None, fault: Fault, business_id: str, account: str) -> dict[str, str]:
    if header is None:
        return {}
    headers: dict[str, str] = {}
    if header == "X-Business-Use-Case-Usage":
        headers[header] = json.dumps({business_id: [{
            "type": "ads_insights" if fault.code == 80000 else "ads_management", "call_count": 100,
            "total_cputime": 40, "total_time": 60, "estimated_time_to_regain_access": fault.regain_minutes,
        }]})
    elif header == "X-Ad-Account-Usage":
        headers[header] = json.dumps({"acc_id_util_pct": 100, "reset_time_duration": fault.regain_minutes * 60,
                                      "ads_api_access_tier": "development_access"})
    else:
        headers[header] = json.dumps({"call_count": 100, "total_cputime": 40, "total_time": 60})
    if fault.retry_after_seconds is not None:
        headers["Retry-After"] = str(fault.retry_after_seconds)
    return headers

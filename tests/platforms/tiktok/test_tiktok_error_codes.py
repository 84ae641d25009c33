"""TikTok's numeric codes → our error classes, as TikTok's own SDK names them
(tiktok/tiktok-business-api-sdk, `business_api_client/tiktok_business/tiktok_code.py`)."""

from __future__ import annotations

import pytest

from agent_brain.platforms.graph.errors import (
    InvalidParameterError,
    PermissionDeniedError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
)
from agent_brain.platforms.tiktok.errors import classify


@pytest.mark.parametrize(("code", "kind"), [
    (40100, ThrottledError),  # ERROR_CODE_REQUEST_TOO_FREQUENT
    (40132, ThrottledError),  # ERROR_CODE_REQUEST_FREQUENCY_LIMITED
    (40102, TokenExpiredError),  # ERROR_CODE_ACCESS_TOKEN_EXPIRE
    (40104, TokenExpiredError),  # ERROR_CODE_EMPTY_ACCESS_TOKEN
    (40105, TokenExpiredError),  # ERROR_CODE_INVALID_ACCESS_TOKEN
    (40001, PermissionDeniedError),  # ERROR_CODE_PERMISSION_ERROR
    (40003, PermissionDeniedError),  # ERROR_CODE_FORBIDDEN
    (40130, PermissionDeniedError),  # ERROR_CODE_SCOPE_NOT_AUTHORIZED
    (40301, PermissionDeniedError),  # ERROR_CODE_ADVERTISER_ROLE_ERROR
    (40002, InvalidParameterError),  # ERROR_CODE_PARAM_ERROR
    (40201, TransientError),  # ERROR_CODE_TASK_NOT_READY
    (50002, TransientError),  # ERROR_CODE_SYS_TIMEOUT
    (51004, TransientError),  # ERROR_CODE_LEGO_SERVICE_ERROR
])
def test_codes_classify_as_tiktok_documents_them(code: int, kind: type) -> None:
    error = classify(200, {"code": code, "message": "m", "request_id": "r1", "data": {}}, {})
    assert type(error) is kind
    assert error.code == code


@pytest.mark.parametrize("code", [0, 20001])  # OK, PARTIAL_OK
def test_success_codes_are_not_errors(code: int) -> None:
    assert classify(200, {"code": code, "message": "OK", "data": {}}, {}) is None

"""One error shape for every failure: `{"error": {"code", "message", ...}}`, the message in the
request's language (Accept-Language ru|en, default ru).

Routes raise `ApiError` (or let a store error through); the handlers installed by
`install_error_handlers` turn FastAPI's own errors, store errors and validation errors into it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent_brain.stores.errors import (
    ConversationBusyError,
    ConversationNotFoundError,
    IllegalPlanTransitionError,
    PlanExpiredError,
    PlanNotFoundError,
)
from web_api.i18n import PLAN_STATES, Language, language_of, message

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 422: "validation_error", 429: "rate_limited"}


class ApiError(Exception):
    """An HTTP error with a stable `code`. `text` overrides the message table (already localized)."""

    def __init__(self, status: int, code: str, *, text: str | None = None, key: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.text = text
        self.key = key or code
        self.headers = headers
        self.extra = extra


def error_body(code: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": text, **extra}}


def _json(status: int, code: str, text: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(code, text, **extra), status_code=status, headers=headers)


def _fields(errors: list[Any]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        location = loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else "body"
        field = ".".join(loc[1:] if loc and loc[0] == location else loc) or location
        out.append({"field": field, "location": location, "message": str(err.get("msg", ""))})
    return out


def validation_response(errors: list[Any], language: Language) -> JSONResponse:
    fields = _fields(errors)
    names = ", ".join(dict.fromkeys(f["field"] for f in fields)) or "body"
    return _json(422, "validation_error", message("validation_error", language, fields=names), fields=fields)


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        text = exc.text or message(exc.key, language_of(request))
        return _json(exc.status, exc.code, text, exc.headers, **exc.extra)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        if code in ("unauthorized", "not_found", "method_not_allowed"):
            text = message(code, language_of(request))
        else:
            text = exc.detail if isinstance(exc.detail, str) else code
        return _json(exc.status_code, code, text, exc.headers)

    async def request_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_response(list(exc.errors()), language_of(request))

    async def model_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ValidationError)
        return validation_response(list(exc.errors()), language_of(request))

    async def conversation_not_found(request: Request, exc: Exception) -> JSONResponse:
        return _json(404, "not_found", message("conversation_not_found", language_of(request)))

    async def plan_not_found(request: Request, exc: Exception) -> JSONResponse:
        return _json(404, "not_found", message("plan_not_found", language_of(request)))

    async def busy(request: Request, exc: Exception) -> JSONResponse:
        return _json(409, "busy", message("busy", language_of(request)))

    async def illegal_transition(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IllegalPlanTransitionError)
        language = language_of(request)
        if isinstance(exc, PlanExpiredError):
            return _json(409, "plan_expired", message("plan_expired", language), reason="expired")
        ru, en = PLAN_STATES.get(exc.current, (exc.current, exc.current))
        return _json(409, "illegal_transition", ru if language == "ru" else en,
                     reason=exc.current, current=exc.current, target=exc.target)

    async def internal(request: Request, exc: Exception) -> JSONResponse:
        # Starlette re-raises after this response, so the server logs the traceback once.
        return _json(500, "internal", message("internal", language_of(request)))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(ValidationError, model_validation)
    app.add_exception_handler(ConversationNotFoundError, conversation_not_found)
    app.add_exception_handler(PlanNotFoundError, plan_not_found)
    app.add_exception_handler(ConversationBusyError, busy)
    app.add_exception_handler(IllegalPlanTransitionError, illegal_transition)
    app.add_exception_handler(Exception, internal)

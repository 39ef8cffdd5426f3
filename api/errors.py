"""Every refusal of the API in one shape: {"error": {"code", "message", "details"}}, with
`details` naming the fields at fault where there are any."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)


class ErrorDetail(Schema):
    location: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] = []


class Error(Schema):
    error: ErrorBody


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: list[dict] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


class RateLimited(ApiError):
    def __init__(self, wait: int) -> None:
        super().__init__(429, "rate-limited", f"Too many requests: try again in {wait} seconds.")
        self.wait = wait


CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    411: "length-required",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    429: "rate-limited",
    500: "server-error",
}
# What any operation may answer besides its own successes; each is documented per operation.
COMMON = (400, 401, 404, 405, 413, 415, 422, 429, 500)


def responses(ok: dict, *also: int) -> dict:
    return {**ok, **dict.fromkeys((*COMMON, *also), Error)}


def error_response(
    status: int, message: str, *, code: str | None = None, details: list[dict] | None = None
) -> JsonResponse:
    body = {"code": code or CODES[status], "message": message, "details": details or []}
    response = JsonResponse({"error": body}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _location(loc: tuple | list) -> str:
    # ninja prefixes the parameter source ("query", "body", "path").
    return ".".join(str(part) for part in loc)


def install(api) -> None:
    """The API's exception handlers, each answering in the one shape."""

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = error_response(exc.status, exc.message, code=exc.code, details=exc.details)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.wait)
        return response

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(401, "Send a valid API token: Authorization: Bearer <token>.")

    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        details = [
            {"location": _location(e.get("loc", ())), "message": str(e.get("msg", ""))}
            for e in exc.errors
        ]
        if any(e.get("type") == "json_invalid" for e in exc.errors):
            return error_response(400, "The body is not valid JSON.", details=details)
        return error_response(422, "The request does not fit the schema.", details=details)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(404, "Not found, or not yours to see.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code if exc.status_code in CODES else 400
        return error_response(status, str(exc))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(500, "Something went wrong on our side; it has been logged.")

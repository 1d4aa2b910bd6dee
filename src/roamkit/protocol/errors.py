"""Typed OCPI errors and the handlers that turn every failure into an envelope.

Rule of thumb from 2.2.1 status_codes.asciidoc: invalid JSON is HTTP 400; a
valid JSON request that reached the OCPI layer gets a 2xx with an OCPI error
code (CHECKLIST A-221-5); 401/404/405 are the HTTP codes the spec prescribes
for auth, missing resources and credentials misuse. A framework default body
never leaves the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from roamkit.protocol.envelope import OcpiResponse, ocpi_response
from roamkit.protocol.status import StatusCode


class OcpiError(Exception):
    """An error answered as an OCPI envelope."""

    http_status: int = 200
    status_code: int = StatusCode.CLIENT_ERROR

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if http_status is not None:
            self.http_status = http_status
        self.headers = headers or {}


class InvalidParameters(OcpiError):
    status_code = StatusCode.INVALID_PARAMETERS


class NotEnoughInformation(OcpiError):
    status_code = StatusCode.NOT_ENOUGH_INFORMATION


class Unauthorized(OcpiError):
    http_status = 401
    status_code = StatusCode.CLIENT_ERROR

    def __init__(self, message: str = "Missing or unknown token") -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Token"})


class Forbidden(OcpiError):
    """The token is valid but may not touch this party's objects (answered 404 per
    2.2.1 transport_and_format.asciidoc#transport_and_format_errors)."""

    http_status = 404
    status_code = StatusCode.CLIENT_ERROR


class NotFound(OcpiError):
    http_status = 404
    status_code = StatusCode.CLIENT_ERROR


class MethodNotAllowed(OcpiError):
    http_status = 405
    status_code = StatusCode.CLIENT_ERROR


class ServerError(OcpiError):
    http_status = 500
    status_code = StatusCode.SERVER_ERROR


class PartnerApiError(OcpiError):
    """We could not use the partner's API (3001)."""

    status_code = StatusCode.UNABLE_TO_USE_CLIENT_API


class UnsupportedVersion(OcpiError):
    status_code = StatusCode.UNSUPPORTED_VERSION


class NoMatchingEndpoints(OcpiError):
    status_code = StatusCode.NO_MATCHING_ENDPOINTS


def error_response(exc: OcpiError) -> OcpiResponse:
    """The envelope answering an ``OcpiError`` (the app's handler and the authorize
    fast path both answer with this)."""
    return ocpi_response(
        status_code=exc.status_code,
        status_message=exc.message,
        http_status=exc.http_status,
        headers=exc.headers,
    )


def invalid_object(exc: ValidationError, what: str, limit: int = 8) -> InvalidParameters:
    """A 2001 that names the fields that failed, so a partner can fix its object."""
    errors = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:limit]
    )
    more = f" (+{exc.error_count() - limit} more)" if exc.error_count() > limit else ""
    return InvalidParameters(f"Invalid {what}: {errors}{more}")


def _describe_validation(exc: RequestValidationError) -> tuple[bool, bool, str]:
    """(json_invalid, body_only, message) for a request validation failure."""
    errors = exc.errors()
    json_invalid = any(e.get("type") == "json_invalid" for e in errors)
    body_only = all(e.get("loc", ("",))[0] == "body" for e in errors)
    parts = []
    for e in errors[:10]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{loc or 'body'}: {e.get('msg')}")
    more = f" (+{len(errors) - 10} more)" if len(errors) > 10 else ""
    return json_invalid, body_only, "; ".join(parts) + more


ExtraHeaders = Callable[[Request], Mapping[str, str]]
"""Headers an error answer of this request carries besides its own (the routing headers
of a functional module's answer: the protocol layer cannot tell which paths those are)."""


def with_headers(response: OcpiResponse, extra: Mapping[str, str]) -> OcpiResponse:
    """``response`` plus the ``extra`` headers it does not set itself."""
    for name, value in extra.items():
        if name not in response.headers:
            response.headers[name] = value
    return response


def install_error_handlers(app: FastAPI, extra_headers: ExtraHeaders | None = None) -> None:
    """Every error path of the app answers with an OCPI envelope."""

    def extra(request: Request) -> Mapping[str, str]:
        return extra_headers(request) if extra_headers is not None else {}

    @app.exception_handler(OcpiError)
    async def _ocpi_error(request: Request, exc: OcpiError) -> OcpiResponse:
        return with_headers(error_response(exc), extra(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> OcpiResponse:
        json_invalid, body_only, message = _describe_validation(exc)
        if json_invalid:
            return with_headers(
                ocpi_response(
                    status_code=StatusCode.INVALID_PARAMETERS,
                    status_message=f"Request body is not valid JSON: {message}",
                    http_status=400,
                ),
                extra(request),
            )
        # A well-formed JSON body that fails the object's schema has reached
        # the OCPI layer: 2001 without an HTTP error (status_codes.asciidoc).
        return with_headers(
            ocpi_response(
                status_code=StatusCode.INVALID_PARAMETERS,
                status_message=f"Invalid or missing parameters: {message}",
                http_status=200 if body_only else 400,
            ),
            extra(request),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> OcpiResponse:
        messages = {404: "Unknown endpoint", 405: "Method not allowed"}
        message = exc.detail if isinstance(exc.detail, str) else None
        if not message or message in ("Not Found", "Method Not Allowed"):
            message = messages.get(exc.status_code, "HTTP error")
        status = StatusCode.SERVER_ERROR if exc.status_code >= 500 else StatusCode.CLIENT_ERROR
        return ocpi_response(
            status_code=status,
            status_message=message,
            http_status=exc.status_code,
            headers=dict(exc.headers or {}),
        )


async def json_body(request: Request) -> object:
    """The request body as JSON; HTTP 400 when it is not JSON (status_codes.asciidoc)."""
    return parse_json(await request.body())


def parse_json(raw: bytes) -> object:
    """``json_body`` of bytes already read (the authorize fast path reads them itself)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise OcpiError(
            f"Request body is not valid JSON: {exc}",
            http_status=400,
            status_code=StatusCode.INVALID_PARAMETERS,
        ) from None

"""Commands on the wire, per version (2.2.1 mod_commands.asciidoc, 2.1.1 mod_commands.md),
with the converters of ``domain.v211.commands``: requests, the CPO's immediate
CommandResponse and the asynchronous result (2.1.1: a CommandResponse too)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import commands as conv211
from roamkit.models.v211 import commands as w211
from roamkit.protocol.errors import InvalidParameters, NotFound, invalid_object

Body = conv211.BodyCanonical

_BODIES_211: dict[str, type[Any]] = {
    "RESERVE_NOW": w211.ReserveNow,
    "START_SESSION": w211.StartSession,
    "STOP_SESSION": w211.StopSession,
    "UNLOCK_CONNECTOR": w211.UnlockConnector,
}


def command_type(version: str, raw: str) -> c.CommandType:
    """The ``{command}`` path segment; an unknown one is a URL that does not exist."""
    try:
        kind = c.CommandType(raw.upper())
    except ValueError:
        raise NotFound(f"Unknown command {raw!r}") from None
    if version == "2.1.1" and kind.value not in _BODIES_211:
        raise NotFound(f"Command {kind.value} does not exist in OCPI 2.1.1")
    return kind


def parse_request(version: str, kind: c.CommandType, body: Any, ctx: ConversionContext) -> Body:
    """A command request body → canonical; 2.1.1 tokens take the party from ``ctx``."""
    if not isinstance(body, dict):
        raise InvalidParameters("command body must be a JSON object")
    try:
        if version == "2.1.1":
            return conv211.to_canonical(_BODIES_211[kind.value].model_validate(body), ctx)
        return c.COMMAND_BODIES[kind].model_validate(body)  # type: ignore[return-value]
    except ValidationError as exc:
        raise invalid_object(exc, kind.value) from None


def request_to_wire(version: str, body: Body) -> dict[str, Any]:
    """Raises ``ConversionError`` for what 2.1.1 cannot express (CANCEL_RESERVATION, a
    reservation id that is no integer)."""
    if version == "2.1.1":
        return conv211.from_canonical(body).model_dump(mode="json", exclude_none=True)
    return body.model_dump(mode="json", exclude_none=True)


def response_to_wire(version: str, response: c.CommandResponse) -> dict[str, Any]:
    if version == "2.1.1":
        out = conv211.response_from_canonical(response)
        return out.model_dump(mode="json", exclude_none=True)
    return response.model_dump(mode="json", exclude_none=True)


def response_from_wire(version: str, data: Any, timeout: int) -> c.CommandResponse:
    """The CPO's answer; 2.1.1 has no ``timeout``, ``timeout`` is what we wait then."""
    if version == "2.1.1":
        ctx = ConversionContext(country_code="", party_id="", command_timeout=timeout)
        return conv211.response_to_canonical(w211.CommandResponse.model_validate(data), ctx)
    return c.CommandResponse.model_validate(data)


def result_to_wire(version: str, result: c.CommandResult) -> dict[str, Any]:
    if version == "2.1.1":
        return conv211.result_from_canonical(result).model_dump(mode="json", exclude_none=True)
    return result.model_dump(mode="json", exclude_none=True)


def parse_result(version: str, body: Any) -> c.CommandResult:
    """The result a CPO posts to our ``response_url``."""
    if not isinstance(body, dict):
        raise InvalidParameters("command result must be a JSON object")
    try:
        if version == "2.1.1":
            return conv211.result_to_canonical(w211.CommandResponse.model_validate(body))
        return c.CommandResult.model_validate(body)
    except ValidationError as exc:
        raise invalid_object(exc, "CommandResult") from None


__all__ = [
    "Body",
    "ConversionError",
    "command_type",
    "parse_request",
    "parse_result",
    "request_to_wire",
    "response_from_wire",
    "response_to_wire",
    "result_to_wire",
]

"""Commands: 2.1.1 (``mod_commands.md``) ⇄ canonical (2.2.1 ``mod_commands.asciidoc``).

2.1.1 uses one ``CommandResponse{result}`` both for the CPO's immediate answer
and for the asynchronous result posted to ``response_url``; 2.2.1 splits them
into ``CommandResponse{result, timeout, message}`` and
``CommandResult{result, message}``. Hence two pairs of functions:
``response_*`` (synchronous) and ``result_*`` (asynchronous).

2.1.1 → canonical:

- Request bodies: ``ReserveNow.reservation_id`` int → its decimal string; the
  embedded Token converts with ``tokens.to_canonical`` (owner ``ctx``, the eMSP
  sending the command). Everything else maps by name.
- ``response_to_canonical``: ``timeout`` = ``ctx.command_timeout`` (2.1.1 has
  none, CHECKLIST A-211-7); ``TIMEOUT`` (not a 2.2.1 response value) →
  ``REJECTED``: the only inexact trip of a synchronous answer.
- ``result_to_canonical``: ``UNKNOWN_SESSION`` (not a 2.2.1 result value) →
  ``REJECTED``: the only inexact trip of an asynchronous result.

What 2.1.1 cannot express (canonical → 2.1.1) and what we do:

- ``CANCEL_RESERVATION`` / ``CancelReservation``: raises ``ConversionError``
  (the caller answers NOT_SUPPORTED to the eMSP).
- ``ReserveNow.reservation_id`` that is not a plain decimal integer (digits,
  no leading zero, at most 18 digits): raises
  ``ConversionError`` (2.1.1 reservation ids are ``int``).
- ``authorization_reference`` (ReserveNow, StartSession): dropped.
- ``StartSession.connector_id``: dropped (2.1.1 starts on an EVSE); an EVSE
  with ``START_SESSION_CONNECTOR_REQUIRED`` may then refuse.
- ``CommandResponse.timeout`` and ``message``, ``CommandResult.message``: dropped.
- CommandResultType → CommandResponseType: ``ACCEPTED``, ``REJECTED``,
  ``NOT_SUPPORTED``, ``TIMEOUT`` kept; ``CANCELED_RESERVATION``,
  ``EVSE_OCCUPIED``, ``EVSE_INOPERATIVE``, ``FAILED`` and
  ``UNKNOWN_RESERVATION`` → ``REJECTED``.
- Token inside ReserveNow/StartSession: see ``tokens``.
"""

from __future__ import annotations

import re

from roamkit.domain import canonical as c
from roamkit.domain.context import ConversionContext, ConversionError
from roamkit.domain.v211 import tokens
from roamkit.domain.v211._common import drop, dump, value
from roamkit.models.v211 import commands as w

Body211 = w.ReserveNow | w.StartSession | w.StopSession | w.UnlockConnector
BodyCanonical = (
    c.ReserveNow | c.StartSession | c.StopSession | c.UnlockConnector | c.CancelReservation
)

_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_RESULT_TO_211: dict[str, w.CommandResponseType] = {
    "ACCEPTED": w.CommandResponseType.ACCEPTED,
    "REJECTED": w.CommandResponseType.REJECTED,
    "NOT_SUPPORTED": w.CommandResponseType.NOT_SUPPORTED,
    "TIMEOUT": w.CommandResponseType.TIMEOUT,
    "CANCELED_RESERVATION": w.CommandResponseType.REJECTED,
    "EVSE_OCCUPIED": w.CommandResponseType.REJECTED,
    "EVSE_INOPERATIVE": w.CommandResponseType.REJECTED,
    "FAILED": w.CommandResponseType.REJECTED,
    "UNKNOWN_RESERVATION": w.CommandResponseType.REJECTED,
}


def command_type_to_canonical(command: w.CommandType | str) -> c.CommandType:
    """2.1.1 ``§4.2`` CommandType → canonical (all four exist in 2.2.1)."""
    return c.CommandType(value(command))


def command_type_from_canonical(command: c.CommandType | str) -> w.CommandType:
    """Canonical CommandType → 2.1.1; ``CANCEL_RESERVATION`` raises ``ConversionError``."""
    try:
        return w.CommandType(value(command))
    except ValueError:
        raise ConversionError(f"command {value(command)} does not exist in 2.1.1") from None


def to_canonical(body: Body211, ctx: ConversionContext) -> BodyCanonical:
    """A 2.1.1 command request body (``mod_commands.md §3.2-3.5``) → canonical."""
    out = dump(body)
    if isinstance(body, w.ReserveNow | w.StartSession):
        out["token"] = tokens.to_canonical(body.token, ctx)
    if isinstance(body, w.ReserveNow):
        out["reservation_id"] = str(body.reservation_id)
    target = {
        w.ReserveNow: c.ReserveNow,
        w.StartSession: c.StartSession,
        w.StopSession: c.StopSession,
        w.UnlockConnector: c.UnlockConnector,
    }[type(body)]
    return target.model_validate(out)


def from_canonical(body: BodyCanonical, ctx: ConversionContext | None = None) -> Body211:
    """A canonical command request body → 2.1.1 (losses in the module docstring)."""
    if isinstance(body, c.CancelReservation):
        raise ConversionError("CANCEL_RESERVATION does not exist in 2.1.1")
    out = dump(body)
    drop(out, "authorization_reference")
    if isinstance(body, c.StartSession):
        drop(out, "connector_id")
    if isinstance(body, c.ReserveNow | c.StartSession):
        out["token"] = tokens.from_canonical(body.token, ctx)
    if isinstance(body, c.ReserveNow):
        if not _INT.fullmatch(body.reservation_id):
            raise ConversionError(f"reservation_id {body.reservation_id!r} is not a 2.1.1 int")
        out["reservation_id"] = int(body.reservation_id)
    target = {
        c.ReserveNow: w.ReserveNow,
        c.StartSession: w.StartSession,
        c.StopSession: w.StopSession,
        c.UnlockConnector: w.UnlockConnector,
    }[type(body)]
    return target.model_validate(out)


def response_to_canonical(response: w.CommandResponse, ctx: ConversionContext) -> c.CommandResponse:
    """The CPO's synchronous 2.1.1 answer (``§3.1``) → canonical CommandResponse."""
    plain = value(response.result)
    result = c.CommandResponseType.REJECTED if plain == "TIMEOUT" else c.CommandResponseType(plain)
    return c.CommandResponse(result=result, timeout=ctx.command_timeout)


def response_from_canonical(
    response: c.CommandResponse, ctx: ConversionContext | None = None
) -> w.CommandResponse:
    """Canonical CommandResponse → 2.1.1 (``timeout``/``message`` dropped)."""
    return w.CommandResponse(result=w.CommandResponseType(value(response.result)))


def result_to_canonical(
    response: w.CommandResponse, ctx: ConversionContext | None = None
) -> c.CommandResult:
    """The asynchronous 2.1.1 result posted to ``response_url`` → canonical CommandResult."""
    plain = value(response.result)
    if plain == "UNKNOWN_SESSION":
        return c.CommandResult(result=c.CommandResultType.REJECTED)
    return c.CommandResult(result=c.CommandResultType(plain))


def result_from_canonical(
    result: c.CommandResult, ctx: ConversionContext | None = None
) -> w.CommandResponse:
    """Canonical CommandResult → the 2.1.1 CommandResponse posted to ``response_url``."""
    return w.CommandResponse(result=_RESULT_TO_211[value(result.result)])

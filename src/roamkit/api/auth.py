"""Admin token check for the management API."""

from __future__ import annotations

import hmac

from fastapi import Request

from roamkit.protocol.errors import OcpiError, Unauthorized


async def require_admin(request: Request) -> None:
    check_admin(request.headers.get("authorization"), request.app.state.settings.admin_token)


def check_admin(authorization: str | None, expected: str | None) -> None:
    """The management API's token (``Bearer`` or ``Token``); raises when it is not."""
    if not expected:
        raise OcpiError("Management API disabled: set ROAMKIT_ADMIN_TOKEN", http_status=403)
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() not in ("bearer", "token") or not hmac.compare_digest(
        value.strip().encode(), expected.encode()
    ):
        raise Unauthorized("Missing or wrong admin token")

"""OCPI status codes of both versions (2.1.1 status_codes.md, 2.2.1 status_codes.asciidoc).

2004 and the 4xxx hub range exist only from 2.2; ``for_version`` maps them to
the nearest 2.1.1 code so a 2.1.1 partner never sees a code it cannot know.
"""

from __future__ import annotations

from enum import IntEnum


class StatusCode(IntEnum):
    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    UNABLE_TO_USE_CLIENT_API = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003
    HUB_ERROR = 4000
    HUB_UNKNOWN_RECEIVER = 4001
    HUB_TIMEOUT = 4002
    HUB_CONNECTION_PROBLEM = 4003

    @property
    def is_success(self) -> bool:
        return 1000 <= self.value < 2000


_NOT_IN_211 = {
    StatusCode.UNKNOWN_TOKEN: StatusCode.CLIENT_ERROR,  # CHECKLIST A-211-4
    StatusCode.HUB_ERROR: StatusCode.SERVER_ERROR,
    StatusCode.HUB_UNKNOWN_RECEIVER: StatusCode.SERVER_ERROR,
    StatusCode.HUB_TIMEOUT: StatusCode.SERVER_ERROR,
    StatusCode.HUB_CONNECTION_PROBLEM: StatusCode.SERVER_ERROR,
}


def for_version(code: int, version: str | None) -> int:
    """The status code to send to a partner on ``version``."""
    if version == "2.1.1":
        try:
            return int(_NOT_IN_211.get(StatusCode(code), code))
        except ValueError:
            return code
    return code

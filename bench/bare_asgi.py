"""The baseline for list_throughput: a plain ASGI callable that answers every HTTP request
with the same stored bytes (a page of roamkit's list), served by uvicorn exactly the way
``roamkit serve`` runs roamkit (one process, ``uvicorn.run(app, host, port, log_level,
proxy_headers=True)``).

    .venv/bin/python bench/bare_asgi.py --port P --body FILE --headers FILE.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]


def make_app(body: bytes, headers: list[tuple[bytes, bytes]]) -> Callable[..., Awaitable[None]]:
    start = {"type": "http.response.start", "status": 200, "headers": headers}
    payload = {"type": "http.response.body", "body": body}

    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send(start)
        await send(payload)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", required=True, help="file with the response body")
    parser.add_argument("--headers", required=True, help="JSON object of response headers")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    with open(args.body, "rb") as fh:
        body = fh.read()
    with open(args.headers, encoding="utf-8") as fh:
        extra: dict[str, str] = json.load(fh)
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    headers.append((b"content-length", str(len(body)).encode()))
    uvicorn.run(
        make_app(body, headers),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()

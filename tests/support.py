"""Test support: real roamkit nodes on loopback, each with its own database.

A node is a real uvicorn server on 127.0.0.1 (random free port) in a thread.
Databases: SQLite files in a temp dir, or, when ``ROAMKIT_TEST_DATABASE_URL``
points at PostgreSQL, a fresh database per node, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from roamkit.app import create_app
from roamkit.config import Settings

ADMIN_TOKEN = "test-admin-token"


def test_database_url() -> str | None:
    return os.environ.get("ROAMKIT_TEST_DATABASE_URL") or None


def is_postgres() -> bool:
    url = test_database_url()
    return bool(url and url.startswith("postgres"))


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        database=u.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(tmp_dir: Path, name: str) -> Iterator[str]:
    """A database URL nobody else uses, removed afterwards."""
    base = test_database_url()
    if not base or base.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_dir / (name + '.db')}"
        return
    dbname = f"rk_{name}_{uuid.uuid4().hex[:10]}".lower()
    asyncio.run(_pg_admin(base, f'CREATE DATABASE "{dbname}"'))
    try:
        yield make_url(base).set(database=dbname).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class Node:
    """A running roamkit node."""

    def __init__(
        self, settings: Settings, server: uvicorn.Server, thread: threading.Thread
    ) -> None:
        self.settings = settings
        self.server = server
        self.thread = thread
        self.url = settings.base_url
        self.versions_url = settings.versions_url
        self.http = httpx.Client(timeout=30)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **kwargs.pop("headers", {})}
        return self.http.request(method, self.url + path, headers=headers, **kwargs)

    def api_data(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.api(method, path, **kwargs)
        body = resp.json()
        assert resp.status_code < 300 and body["status_code"] == 1000, (resp.status_code, body)
        return body["data"]

    def ocpi(
        self, method: str, url_or_path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        url = url_or_path if url_or_path.startswith("http") else self.url + url_or_path
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Token {token}"
        return self.http.request(method, url, headers=headers, **kwargs)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.http.close()


@contextmanager
def run_node(
    tmp_dir: Path,
    name: str,
    app_hook: Callable[[FastAPI], None] | None = None,
    **overrides: Any,
) -> Iterator[Node]:
    """Start a node; ``overrides`` are Settings fields (roles, versions, party_id ...);
    ``app_hook`` may add test-only routes to the app before it starts."""
    with fresh_database(tmp_dir, name) as db_url:
        sock = free_socket()
        port = sock.getsockname()[1]
        values: dict[str, Any] = {
            "database_url": db_url,
            "base_url": f"http://127.0.0.1:{port}",
            "admin_token": ADMIN_TOKEN,
            "allow_insecure_urls": True,
            "business_name": f"{name} operator",
            "http_timeout": 10.0,
        }
        values.update(overrides)
        settings = Settings(**values)
        app = create_app(settings)
        if app_hook is not None:
            app_hook(app)
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"node {name} did not start")
            time.sleep(0.02)
        node = Node(settings, server, thread)
        try:
            yield node
        finally:
            node.stop()
            sock.close()

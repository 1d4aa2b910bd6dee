"""ASGI factory: ``create_app(settings)`` builds one roamkit node."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy.exc import IntegrityError

from roamkit import __version__
from roamkit.api.chargingprofiles import router as chargingprofiles_api
from roamkit.api.commands import router as commands_api
from roamkit.api.own_data import router as own_data_api
from roamkit.api.partners import router as partners_api
from roamkit.api.sessions import router as sessions_api
from roamkit.api.status_fastpath import StatusFastPath
from roamkit.api.sync import router as sync_api
from roamkit.api.tokens import router as tokens_api
from roamkit.config import Settings
from roamkit.gctools import freeze_startup_heap
from roamkit.modules import versions
from roamkit.modules.commands.ticker import CommandTicker
from roamkit.modules.listing import error_routing_headers
from roamkit.modules.registry import mounted
from roamkit.modules.sessions.ticker import SessionTicker
from roamkit.modules.tokens import fastpath as authorize_fast_path
from roamkit.modules.tokens.authorize import Authorizer
from roamkit.partners.client import PartnerClient
from roamkit.protocol.envelope import ocpi_response
from roamkit.protocol.errors import install_error_handlers
from roamkit.protocol.headers import RequestIdMiddleware
from roamkit.protocol.status import StatusCode
from roamkit.store.db import Database
from roamkit.sync.worker import PushWorker

log = logging.getLogger("roamkit")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        await db.migrate()
        http = httpx.AsyncClient(
            timeout=settings.http_timeout, headers={"User-Agent": f"roamkit/{__version__}"}
        )
        app.state.db = db
        app.state.partner_client = PartnerClient(http, settings.allow_insecure_urls)
        app.state.authorizer = Authorizer(db, app.state.partner_client, settings)
        worker = PushWorker(db, app.state.partner_client, settings)
        worker.start()
        ticker = SessionTicker(db, settings)
        if "CPO" in settings.roles:  # only a CPO has charging sessions to push
            ticker.start()
        deadlines = CommandTicker(db, settings)
        deadlines.start()
        freeze_startup_heap()
        log.info(
            "roamkit %s serving %s as %s, versions %s",
            __version__,
            settings.base_url,
            ",".join(settings.roles),
            ",".join(settings.versions),
        )
        try:
            yield
        finally:
            await deadlines.stop()
            await ticker.stop()
            await worker.stop()
            await http.aclose()
            await db.dispose()

    app = authorize_fast_path.FastPathApp(
        title="roamkit",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.add_middleware(StatusFastPath)  # inside RequestIdMiddleware: ids as for any route
    app.add_middleware(RequestIdMiddleware)
    authorize_fast_path.install(app, settings)  # outside RequestIdMiddleware: it does its own
    install_error_handlers(app, error_routing_headers)  # functional modules: routed
    app.add_exception_handler(IntegrityError, _concurrent_write)
    app.include_router(versions.router())
    for spec in sorted(mounted(settings), key=lambda s: not s.hot):
        app.include_router(spec.router(spec.version), prefix=f"/ocpi/{spec.version}/{spec.path}")
    app.include_router(partners_api)
    app.include_router(own_data_api)
    app.include_router(sync_api)
    app.include_router(tokens_api)
    app.include_router(sessions_api)
    app.include_router(commands_api)
    app.include_router(chargingprofiles_api)
    return app


async def _concurrent_write(_: Request, exc: Exception) -> Response:
    """Two requests created the same object at once (on PostgreSQL both saw no row; the
    unique key let one in): the other is answered 409 in an envelope, not 500, and the
    sender's retry finds the object and is answered as any repeat is."""
    return ocpi_response(
        status_code=StatusCode.SERVER_ERROR,
        status_message="A concurrent request wrote the same object; send it again",
        http_status=409,
    )


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory roamkit.app:app_from_env``."""
    return create_app(Settings())

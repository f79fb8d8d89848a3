"""The history service: read models built from events, and a user's own history over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from common.auth import AccessTokenValidator, TokenValidator, preload_signing_keys
from common.observability import ServiceMetrics, install_observability
from common.runtime import EventRuntime
from history.api.deps import InvalidQuery
from history.api.routes import router
from history.consumers import register_consumers
from history.repository import HistoryRepository, MongoHistoryRepository
from history.service import HistoryProjector, HistoryQueries, NotFound
from history.settings import HistorySettings


def create_app(
    settings: HistorySettings | None = None,
    *,
    validator: AccessTokenValidator | None = None,
    repository: HistoryRepository | None = None,
) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts.

    With a ``repository`` given (unit tests) there is no MongoDB client and no consumer.
    """
    settings = settings or HistorySettings()
    metrics = ServiceMetrics("history")
    runtime: EventRuntime | None = None
    if repository is None:
        runtime = EventRuntime(settings, metrics, database=settings.database)
        repository = MongoHistoryRepository.in_database(runtime.db)
        if settings.consume_events:
            register_consumers(runtime, HistoryProjector(repository))
    store = repository

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=5.0) as http:
            app.state.token_validator = validator or TokenValidator(
                settings.keycloak_issuer, settings.api_audience, http_client=http
            )
            await preload_signing_keys(app.state.token_validator)
            app.state.queries = HistoryQueries(store)
            await store.ensure_indexes()
            if runtime is not None and settings.consume_events:
                await runtime.start()
            try:
                yield
            finally:
                if runtime is not None:
                    await runtime.stop()

    app = FastAPI(
        title="Mocksy history",
        version="0.1.0",
        description="Every attempt kept: interviews, attempts, feedback, progress and insights.",
        lifespan=lifespan,
    )
    checks = runtime.readiness_checks() if runtime is not None else {}
    if not settings.consume_events:
        checks.pop("kafka", None)
    install_observability(
        app,
        metrics,
        checks=checks,
        max_body_bytes=settings.max_request_bytes,
        allowed_origins=settings.web_origins,
    )
    app.include_router(router)
    _map_errors(app)
    return app


def _map_errors(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        # Someone else's interview or session is reported exactly like one that does not exist.
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(InvalidQuery)
    async def invalid_query(_: Request, error: InvalidQuery) -> JSONResponse:
        return JSONResponse(
            {
                "detail": [
                    {"loc": ["query", error.field], "msg": error.message, "type": "value_error"}
                ]
            },
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

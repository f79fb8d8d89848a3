"""The scoring service: a SessionCompleted consumer that stores and announces feedback, and the
owner's read API, in one process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from common.auth import AccessTokenValidator, TokenValidator, preload_signing_keys
from common.observability import ServiceMetrics, install_observability
from common.runtime import EventRuntime
from scoring.api.routes import router
from scoring.consumers import register_consumers
from scoring.domain.rubric import RubricScorer
from scoring.judge import Judge, OpenAICompatibleJudge
from scoring.metrics import ScoringMetrics
from scoring.repository import FeedbackRepository, MongoFeedbackRepository
from scoring.scorer import SessionScorer
from scoring.service import FeedbackNotFound, ScoringService
from scoring.settings import ScoringSettings

# Seconds a client should wait before asking again for feedback that may still be in progress.
RETRY_AFTER_S = 5


def build_judge(
    settings: ScoringSettings, transport: httpx.AsyncBaseTransport | None = None
) -> OpenAICompatibleJudge | None:
    """The LLM judge the settings ask for, or None in offline mode."""
    if settings.judge == "offline" or not settings.llm_base_url or not settings.llm_model:
        return None
    return OpenAICompatibleJudge(
        settings.llm_base_url,
        settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
        output=settings.llm_output,
        max_prompt_chars=settings.llm_max_prompt_chars,
        transport=transport,
    )


def create_app(
    settings: ScoringSettings | None = None,
    *,
    validator: AccessTokenValidator | None = None,
    repository: FeedbackRepository | None = None,
    judge: Judge | None = None,
    llm_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts.

    With a ``repository`` given (component tests) there is no MongoDB client and no consumer;
    ``judge`` or ``llm_transport`` replace the LLM server.
    """
    settings = settings or ScoringSettings()
    base_metrics = ServiceMetrics("scoring")
    metrics = ScoringMetrics(base_metrics)
    owned_judge = None if judge is not None else build_judge(settings, llm_transport)
    scorer = SessionScorer(
        RubricScorer(clock=_utcnow),
        mode=settings.judge,
        judge=judge or owned_judge,
        blend_weight=settings.blend_weight,
        on_fallback=lambda reason: metrics.judge_fallbacks.labels(reason).inc(),
    )
    runtime: EventRuntime | None = None
    if repository is None:
        runtime = EventRuntime(
            settings,
            base_metrics,
            database=settings.database,
            outbox_poll_interval=settings.outbox_poll_s,
        )
        mongo_repository = MongoFeedbackRepository.in_database(runtime.db)
        runtime.relay_outbox(mongo_repository.outbox)
        repository = mongo_repository
    service = ScoringService(repository, scorer, metrics)
    consuming = runtime is not None and settings.consume_events
    if runtime is not None and consuming:
        register_consumers(runtime, service)
    store = repository

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=5.0) as http:
            app.state.token_validator = validator or TokenValidator(
                settings.keycloak_issuer, settings.api_audience, http_client=http
            )
            await preload_signing_keys(app.state.token_validator)
            app.state.scoring = service
            try:
                await store.ensure_indexes()
                if runtime is not None and consuming:
                    await runtime.start()
                yield
            finally:
                if runtime is not None:
                    await runtime.stop()
                if owned_judge is not None:
                    await owned_judge.aclose()

    app = FastAPI(
        title="Mocksy scoring",
        version="0.1.0",
        description="Explainable feedback on interview sessions: scored from SessionCompleted, "
        "announced by FeedbackReady, read by the session's owner.",
        lifespan=lifespan,
    )
    checks = runtime.readiness_checks() if runtime is not None else {}
    if not consuming:
        checks.pop("kafka", None)
    install_observability(
        app,
        base_metrics,
        checks=checks,
        max_body_bytes=settings.max_request_bytes,
        allowed_origins=settings.web_origins,
    )
    app.include_router(router)
    _map_errors(app)
    return app


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _map_errors(app: FastAPI) -> None:
    @app.exception_handler(FeedbackNotFound)
    async def not_found(_: Request, error: FeedbackNotFound) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error)},
            status_code=status.HTTP_404_NOT_FOUND,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

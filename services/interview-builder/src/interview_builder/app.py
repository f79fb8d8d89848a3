"""The interview-builder service: setup chats, interviews, retakes; publishes InterviewCreated."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from common.auth import AccessTokenValidator, TokenValidator, preload_signing_keys
from common.observability import install_observability
from common.runtime import EventRuntime
from interview_builder.api import interviews, setups
from interview_builder.domain.bank import load_bank
from interview_builder.domain.generation import InterviewGenerator
from interview_builder.domain.setup_parser import SetupParser
from interview_builder.domain.slots import SlotExtractor
from interview_builder.llm import (
    ChatCompletions,
    FallbackExtractor,
    FallbackQuestionSource,
    OpenAIQuestionWriter,
    OpenAISlotExtractor,
)
from interview_builder.metrics import BuilderMetrics
from interview_builder.repository import (
    INTERVIEWS,
    SETUPS,
    Database,
    MongoInterviewRepository,
    MongoSetupRepository,
)
from interview_builder.service import (
    Clock,
    Conflict,
    Interviews,
    InvalidInput,
    NotFound,
    QuestionSource,
    SetupChats,
    SetupIncomplete,
    utc_now,
)
from interview_builder.settings import BuilderSettings

logger = logging.getLogger("mocksy.builder")


def create_app(
    settings: BuilderSettings | None = None,
    *,
    validator: AccessTokenValidator | None = None,
    database: Database | None = None,
    extractor: SlotExtractor | None = None,
    questions: QuestionSource | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts.

    With a `database` given (component tests) there is no MongoDB client and no outbox relay;
    `extractor` and `questions` replace the configured setup-message reader and question source.
    """
    settings = settings or BuilderSettings()
    metrics = BuilderMetrics()
    runtime: EventRuntime | None = None
    if database is None:
        runtime = EventRuntime(
            settings,
            metrics,
            database=settings.database,
            outbox_poll_interval=settings.outbox_poll_interval_s,
        )
        runtime.relay_outbox(runtime.db[INTERVIEWS])
        store: Database = runtime.db
    else:
        store = database
    setup_repository = MongoSetupRepository(store[SETUPS])
    interview_repository = MongoInterviewRepository.in_database(store)
    ttl = timedelta(minutes=settings.setup_ttl_minutes)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=5.0))
            app.state.token_validator = validator or TokenValidator(
                settings.keycloak_issuer, settings.api_audience, http_client=http
            )
            await preload_signing_keys(app.state.token_validator)
            bank = InterviewGenerator(load_bank())
            llm = _llm_client(settings, stack)
            slot_extractor = extractor or _slot_extractor(settings, metrics, llm)
            question_source = questions or _question_source(settings, metrics, llm, bank)
            app.state.interviews = interview_service = Interviews(
                interview_repository,
                question_source,
                recent_interviews=settings.recent_interviews,
                metrics=metrics,
                clock=clock,
            )
            app.state.setup_chats = chats = SetupChats(
                setup_repository,
                interview_service,
                slot_extractor,
                ttl=ttl,
                max_messages=settings.setup_max_messages,
                metrics=metrics,
                clock=clock,
            )
            await setup_repository.ensure_indexes()
            await interview_repository.ensure_indexes()
            if runtime is not None:
                await runtime.start()
                stack.push_async_callback(runtime.stop)
            cleanup = asyncio.create_task(_forget_expired(chats, ttl), name="setup-cleanup")
            try:
                yield
            finally:
                cleanup.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await cleanup

    app = FastAPI(
        title="Mocksy interview-builder",
        version="0.1.0",
        description="Set up an interview by chat or directly; list, read, retake and delete yours.",
        lifespan=lifespan,
    )
    checks = runtime.readiness_checks() if runtime is not None else {}
    # The outbox exists so that interviews can be created while Kafka is down; a Kafka outage
    # must not take the API out of the load balancer.
    checks.pop("kafka", None)
    install_observability(
        app,
        metrics,
        checks=checks,
        max_body_bytes=settings.max_request_bytes,
        allowed_origins=settings.web_origins,
    )
    app.include_router(setups.router)
    app.include_router(interviews.router)
    _map_errors(app)
    return app


def _llm_client(settings: BuilderSettings, stack: contextlib.AsyncExitStack) -> httpx.Client | None:
    if not settings.llm_enabled:
        return None
    client = httpx.Client()
    stack.callback(client.close)
    logger.info("LLM at %s (model %s)", settings.llm_base_url, settings.llm_model)
    return client


def _chat(settings: BuilderSettings, client: httpx.Client, timeout: float) -> ChatCompletions:
    base_url, model = settings.llm_base_url, settings.llm_model
    if base_url is None or model is None:  # settings validation makes this unreachable
        raise RuntimeError("the LLM needs llm_base_url and llm_model")
    return ChatCompletions(
        base_url,
        model,
        api_key=settings.llm_api_key,
        timeout=timeout,
        client=client,
    )


def _slot_extractor(
    settings: BuilderSettings, metrics: BuilderMetrics, client: httpx.Client | None
) -> SlotExtractor:
    parser = SetupParser()
    if client is None:
        return parser
    return FallbackExtractor(
        OpenAISlotExtractor(_chat(settings, client, settings.llm_timeout_s)),
        parser,
        on_fallback=lambda reason: metrics.llm_fallbacks.labels("setup_message", reason).inc(),
    )


def _question_source(
    settings: BuilderSettings,
    metrics: BuilderMetrics,
    client: httpx.Client | None,
    bank: InterviewGenerator,
) -> QuestionSource:
    if client is None or not settings.llm_questions:
        return bank
    return FallbackQuestionSource(
        OpenAIQuestionWriter(_chat(settings, client, settings.llm_questions_timeout_s)),
        bank,
        on_fallback=lambda reason: metrics.llm_fallbacks.labels("questions", reason).inc(),
    )


async def _forget_expired(chats: SetupChats, ttl: timedelta) -> None:
    # FerretDB has no TTL indexes: expired chats are already invisible, this reclaims space.
    interval = min(ttl.total_seconds() / 2, 600.0)
    while True:
        await asyncio.sleep(interval)
        try:
            forgotten = await chats.forget_expired()
        except Exception as error:  # the database may be briefly away; try again next round
            logger.warning("could not delete expired setup chats: %r", error)
            continue
        if forgotten:
            logger.info("deleted %d expired setup chats", forgotten)


def _problem(loc: list[str | int], message: str, kind: str, **context: Any) -> dict[str, Any]:
    problem: dict[str, Any] = {"loc": loc, "msg": message, "type": kind}
    if context:
        problem["ctx"] = context
    return problem


def _map_errors(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        # Someone else's interview or setup is reported exactly like one that does not exist.
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, error: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, error: InvalidInput) -> JSONResponse:
        context = {"suggestions": error.suggestions} if error.suggestions else {}
        problem = _problem([error.source, error.field], error.message, "value_error", **context)
        return JSONResponse(
            {"detail": [problem]}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )

    @app.exception_handler(SetupIncomplete)
    async def incomplete(_: Request, error: SetupIncomplete) -> JSONResponse:
        problems = [
            _problem(
                ["setup", slot], f"{slot} is still missing; answer the chat's question", "missing"
            )
            for slot in error.missing
        ]
        return JSONResponse({"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

"""The sessions API of the voice agent, with its InterviewCreated consumer, the outbox relay of
SessionCompleted and the session sweeper, all in one process (``mocksy-voice serve``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from common.auth import AccessTokenValidator, TokenValidator, preload_signing_keys
from common.events import utcnow
from common.observability import ReadinessCheck, install_observability
from common.runtime import EventRuntime
from voice_agent.api.routes import router
from voice_agent.consumers import register_consumers
from voice_agent.livekit_rooms import LiveKitRooms, Rooms, RoomsUnavailable
from voice_agent.metrics import VoiceAgentMetrics
from voice_agent.repository import (
    InterviewStore,
    MongoInterviewStore,
    MongoSessionStore,
    SessionAlreadyFinished,
    SessionNotFound,
    SessionStore,
)
from voice_agent.service import (
    Clock,
    InterviewCatalog,
    InterviewNotFound,
    SessionEnded,
    SessionService,
    SessionSweeper,
    SweepPolicy,
)
from voice_agent.settings import VoiceAgentSettings


def sweep_policy(settings: VoiceAgentSettings) -> SweepPolicy:
    """The sweeper's time limits from the settings."""
    return SweepPolicy(
        grace_period=timedelta(seconds=settings.grace_period_s),
        worker_timeout=timedelta(seconds=settings.worker_timeout_s),
        start_timeout=timedelta(seconds=settings.start_timeout_s),
        redispatch_after=timedelta(seconds=settings.redispatch_after_s),
    )


def livekit_rooms(settings: VoiceAgentSettings) -> LiveKitRooms:
    """The LiveKit gateway for these settings; call inside a running event loop."""
    return LiveKitRooms(
        settings.livekit_http_url,
        settings.livekit_api_key,
        settings.livekit_api_secret.get_secret_value(),
        agent_name=settings.agent_name,
        token_ttl=timedelta(seconds=settings.token_ttl_s),
        empty_timeout_s=settings.room_empty_timeout_s,
        max_participants=settings.room_max_participants,
        timeout_s=settings.livekit_timeout_s,
    )


def create_app(
    settings: VoiceAgentSettings | None = None,
    *,
    validator: AccessTokenValidator | None = None,
    sessions: SessionStore | None = None,
    interviews: InterviewStore | None = None,
    rooms: Rooms | None = None,
    clock: Clock = utcnow,
    metrics: VoiceAgentMetrics | None = None,
) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts.

    With ``sessions`` and ``interviews`` given (unit tests) there is no MongoDB client, no
    Kafka consumer and no outbox relay; with ``rooms`` given, no LiveKit client.
    """
    settings = settings or VoiceAgentSettings()
    metrics = metrics or VoiceAgentMetrics()
    runtime: EventRuntime | None = None
    mongo_sessions: MongoSessionStore | None = None
    mongo_interviews: MongoInterviewStore | None = None
    if sessions is None or interviews is None:
        runtime = EventRuntime(settings, metrics, database=settings.database)
        mongo_sessions = MongoSessionStore(runtime.db["sessions"])
        mongo_interviews = MongoInterviewStore(runtime.db["interviews"])
        sessions = sessions or mongo_sessions
        interviews = interviews or mongo_interviews
        register_consumers(runtime, InterviewCatalog(interviews))
        runtime.relay_outbox(*mongo_sessions.outbox_collections)
    session_store, interview_store = sessions, interviews

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=5.0))
            app.state.token_validator = validator or TokenValidator(
                settings.keycloak_issuer, settings.api_audience, http_client=http
            )
            await preload_signing_keys(app.state.token_validator)
            gateway = rooms
            if gateway is None:
                owned = livekit_rooms(settings)
                stack.push_async_callback(owned.aclose)
                app.state.livekit = gateway = owned
            if mongo_sessions is not None and mongo_interviews is not None:
                await mongo_sessions.ensure_indexes()
                await mongo_interviews.ensure_indexes()
            if runtime is not None:
                await runtime.start()
                stack.push_async_callback(runtime.stop)
            app.state.sessions = SessionService(
                session_store,
                interview_store,
                gateway,
                livekit_url=settings.candidate_livekit_url,
                metrics=metrics,
                clock=clock,
            )
            sweeper = SessionSweeper(
                session_store, gateway, sweep_policy(settings), metrics=metrics, clock=clock
            )
            app.state.sweeper = sweeper
            if settings.sweep_interval_s > 0:
                stop = asyncio.Event()
                task = asyncio.create_task(
                    sweeper.run(settings.sweep_interval_s, stop), name="session-sweeper"
                )

                async def stop_sweeping() -> None:
                    stop.set()
                    await task

                stack.push_async_callback(stop_sweeping)
            yield

    app = FastAPI(
        title="Mocksy voice agent",
        version="0.1.0",
        description="Voice interview sessions: a LiveKit room per session, the interviewer "
        "dispatched into it, join tokens, and the transcript turn by turn.",
        lifespan=lifespan,
    )
    checks: dict[str, ReadinessCheck] = runtime.readiness_checks() if runtime else {}
    if rooms is None:

        async def livekit_ready() -> None:
            gateway: LiveKitRooms | None = getattr(app.state, "livekit", None)
            if gateway is None:
                raise ConnectionError("the LiveKit client has not started")
            await gateway.probe()

        checks["livekit"] = livekit_ready
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
    @app.exception_handler(InterviewNotFound)
    @app.exception_handler(SessionNotFound)
    async def not_found(_: Request, error: Exception) -> JSONResponse:
        # Someone else's interview or session is reported exactly like one that does not exist.
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(SessionEnded)
    @app.exception_handler(SessionAlreadyFinished)
    async def ended(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(RoomsUnavailable)
    async def livekit_down(_: Request, error: RoomsUnavailable) -> JSONResponse:
        return JSONResponse(
            {"detail": f"voice rooms are temporarily unavailable: {error}"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "10"},
        )

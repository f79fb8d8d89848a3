"""Structured logs with correlation ids, health and readiness probes, Prometheus metrics."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)
session_id_var: ContextVar[str | None] = ContextVar("session_id", default=None)

CORRELATION_HEADER: Final = "X-Correlation-ID"
_CONTEXT_VARS: Final = {
    "correlation_id": correlation_id_var,
    "user_id": user_id_var,
    "session_id": session_id_var,
}
_STD_RECORD_FIELDS: Final = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

ReadinessCheck = Callable[[], Awaitable[None]]

DATABASE_UNAVAILABLE: Final = "The database is unavailable; try again shortly."
# A MongoDB restart takes seconds; a client asking again sooner only adds load.
DATABASE_RETRY_AFTER_S: Final = 5


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line with the request's correlation, user and session ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in _CONTEXT_VARS.items():
            if (value := var.get()) is not None:
                entry[name] = value
        for key, value in vars(record).items():
            if key not in _STD_RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextLogFormatter(logging.Formatter):
    """Readable one-line logs for a terminal, ids appended when present."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{n}={v.get()}" for n, v in _CONTEXT_VARS.items() if v.get() is not None)
        return f"{line} [{ids}]" if ids else line


def configure_logging(service: str, *, level: str = "INFO", json_logs: bool = True) -> None:
    """Send every log record to stderr, as JSON lines in production or text in a terminal.

    Args:
        service: Name written into every JSON record.
        level: Root log level name.
        json_logs: JSON lines when true, readable text otherwise.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLogFormatter(service)
        if json_logs
        else TextLogFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every reconnect attempt at ERROR during a broker outage; one line a try is
    # enough at WARNING.
    logging.getLogger("aiokafka").setLevel(max(root.level, logging.WARNING))


class ServiceMetrics:
    """The HTTP metrics of one service, in its own registry."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service.replace("-", "_")
        self.registry = registry or CollectorRegistry()
        self.http_requests = Counter(
            f"mocksy_{self.service}_http_requests_total",
            "HTTP requests served, by route template, method and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            f"mocksy_{self.service}_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        )

    def name(self, thing: str) -> str:
        """A metric name following the ``mocksy_<service>_<thing>_<unit>`` convention."""
        return f"mocksy_{self.service}_{thing}"


class RequestContextMiddleware:
    """Gives each request a correlation id, times it, and refuses oversized bodies with 413."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        incoming = headers.get(CORRELATION_HEADER.lower(), "")
        correlation_id = incoming if 0 < len(incoming) <= 128 else uuid.uuid4().hex
        tokens = [correlation_id_var.set(correlation_id), user_id_var.set(None)]
        started = time.perf_counter()
        status_code = 500
        response_started = False

        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send, correlation_id)
            self._observe(scope, 413, started)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge(self.max_body_bytes)
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                status_code = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"].append(
                    (CORRELATION_HEADER.lower().encode(), correlation_id.encode())
                )
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send, correlation_id)
            status_code = 413
        except Exception:
            # Users get the correlation id, never a stack trace; the log has the details.
            logging.getLogger("mocksy.http").exception(
                "unhandled error on %s %s", scope.get("method"), scope.get("path")
            )
            if not response_started:
                response = JSONResponse(
                    {
                        "detail": "internal error; quote this correlation id",
                        "correlation_id": correlation_id,
                    },
                    status_code=500,
                    headers={CORRELATION_HEADER: correlation_id},
                )
                await response(scope, receive, send)
        finally:
            self._observe(scope, status_code, started)
            correlation_id_var.reset(tokens[0])
            user_id_var.reset(tokens[1])

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, cid: str) -> None:
        response = JSONResponse(
            {"detail": f"request body is larger than the limit of {self.max_body_bytes} bytes"},
            status_code=413,
            headers={CORRELATION_HEADER: cid},
        )
        await response(scope, receive, send)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "GET")
        self.metrics.http_requests.labels(method, template, str(status)).inc()
        self.metrics.http_latency.labels(method, template).observe(time.perf_counter() - started)


class _BodyTooLarge(HTTPException):
    # An HTTPException because FastAPI turns any other error while reading a body into
    # "400 There was an error parsing the body"; this one it passes on, so a streamed body
    # without Content-Length still gets the 413 naming the limit.
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes")


async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
    """503 with ``Retry-After`` for a request that found MongoDB unreachable (not a 500)."""
    logging.getLogger("mocksy.http").warning(
        "database unavailable on %s %s: %r", request.method, request.url.path, error
    )
    return JSONResponse(
        {"detail": DATABASE_UNAVAILABLE},
        status_code=503,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


def health_router(metrics: ServiceMetrics, checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    """``/healthz`` (the process answers), ``/readyz`` (dependencies answer) and ``/metrics``.

    Args:
        metrics: The service's metrics; their registry is what ``/metrics`` serves.
        checks: Named readiness checks; each raises when its dependency is not usable.
    """
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: every dependency answers."""
        failing: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
            except Exception as error:  # a probe reports any failure, it never raises
                failing[name] = str(error) or type(error).__name__
        if failing:
            return JSONResponse({"status": "unavailable", "failing": failing}, status_code=503)
        return JSONResponse({"status": "ready", "checks": sorted(checks)})

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        """Prometheus metrics of this service."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(
    app: FastAPI,
    metrics: ServiceMetrics,
    *,
    checks: Mapping[str, ReadinessCheck] | None = None,
    max_body_bytes: int = 256 * 1024,
    allowed_origins: Sequence[str] = (),
) -> None:
    """Add the request-context middleware (ids, timing, 413, safe 500s), the 503 for an
    unreachable database, and operations routes.

    Args:
        app: The service's FastAPI application.
        metrics: Its metrics holder.
        checks: Readiness checks for ``/readyz``.
        max_body_bytes: Larger request bodies get 413.
        allowed_origins: Browser origins that may call the API (CORS); none when empty.
    """
    app.add_middleware(RequestContextMiddleware, metrics=metrics, max_body_bytes=max_body_bytes)
    if allowed_origins:
        # Added last so it is the outermost layer: 413s and 500s carry the CORS headers too,
        # otherwise the browser hides their message behind a CORS error.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(allowed_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", CORRELATION_HEADER],
            expose_headers=[CORRELATION_HEADER, "Retry-After"],
            max_age=600,
        )
    # Covers ServerSelectionTimeoutError and AutoReconnect: the database is down or restarting,
    # which the caller should retry, not report as a bug.
    app.add_exception_handler(ConnectionFailure, database_unavailable)
    app.include_router(health_router(metrics, checks or {}))

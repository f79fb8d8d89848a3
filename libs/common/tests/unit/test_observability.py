"""Health, readiness, metrics, correlation ids, 413 and safe 500s."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pymongo.errors import AutoReconnect, OperationFailure, ServerSelectionTimeoutError

from common.observability import (
    JsonLogFormatter,
    ServiceMetrics,
    correlation_id_var,
    install_observability,
)


def make_app(ready: bool = True) -> TestClient:
    app = FastAPI()

    async def mongo() -> None:
        if not ready:
            raise ConnectionError("mongo did not answer ping")

    install_observability(
        app, ServiceMetrics("history"), checks={"mongo": mongo}, max_body_bytes=2000
    )

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, object]:
        body = await request.body()
        return {"bytes": len(body), "correlation_id": correlation_id_var.get()}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/database/{failure}")
    async def database(failure: str) -> None:
        if failure == "down":
            raise ServerSelectionTimeoutError("127.0.0.1:27117: [Errno 111] Connection refused")
        if failure == "restarting":
            raise AutoReconnect("connection closed")
        raise OperationFailure("unknown operator: $bogus")

    return TestClient(app, raise_server_exceptions=False)


def test_health_and_readiness() -> None:
    assert make_app().get("/healthz").json() == {"status": "ok"}
    assert make_app().get("/readyz").status_code == 200
    down = make_app(ready=False).get("/readyz")
    assert down.status_code == 503
    assert down.json()["failing"] == {"mongo": "mongo did not answer ping"}


def test_correlation_id_is_kept_or_made() -> None:
    client = make_app()
    given = client.post("/echo", content=b"hi", headers={"X-Correlation-ID": "abc-123"})
    assert given.json()["correlation_id"] == "abc-123"
    assert given.headers["x-correlation-id"] == "abc-123"
    made = client.post("/echo", content=b"hi")
    assert len(made.headers["x-correlation-id"]) == 32


def test_oversized_body_gets_413_naming_the_limit() -> None:
    client = make_app()
    response = client.post("/echo", content=b"x" * 5000)
    assert response.status_code == 413
    assert "2000 bytes" in response.json()["detail"]
    assert client.post("/echo", content=b"x" * 1500).status_code == 200


def test_chunked_oversized_body_gets_413() -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 500

    response = make_app().post("/echo", content=chunks())
    assert response.status_code == 413


def test_unhandled_error_is_a_500_without_internals(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        response = make_app().get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert response.json()["correlation_id"] == response.headers["x-correlation-id"]
    assert "secret internals" in caplog.text


@pytest.mark.parametrize("failure", ["down", "restarting"])
def test_an_unreachable_database_is_a_503_to_retry_not_a_500(failure: str) -> None:
    client = make_app()
    response = client.get(f"/database/{failure}")
    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; try again shortly."}
    assert response.headers["Retry-After"] == "5"
    assert "Connection refused" not in response.text
    assert 'status="503"' in client.get("/metrics").text


def test_a_database_that_answers_with_an_error_is_still_a_500() -> None:
    response = make_app().get("/database/refused-query")
    assert response.status_code == 500
    assert "bogus" not in response.text


def test_metrics_count_requests_by_route_template() -> None:
    client = make_app()
    client.get("/healthz")
    text = client.get("/metrics").text
    assert (
        'mocksy_history_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    )


def test_json_log_lines_carry_the_correlation_id() -> None:
    token = correlation_id_var.set("cid-9")
    try:
        record = logging.makeLogRecord({"msg": "scored %s", "args": ("s-1",), "levelname": "INFO"})
        record.session_id_hint = "x"
        line = json.loads(JsonLogFormatter("scoring").format(record))
    finally:
        correlation_id_var.reset(token)
    assert line["message"] == "scored s-1"
    assert line["correlation_id"] == "cid-9"
    assert line["service"] == "scoring"
    assert line["session_id_hint"] == "x"


def make_browser_facing_app() -> TestClient:
    app = FastAPI()
    install_observability(
        app,
        ServiceMetrics("history"),
        max_body_bytes=2000,
        allowed_origins=["http://127.0.0.1:5173"],
    )

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    return TestClient(app, raise_server_exceptions=False)


def test_the_web_app_origin_may_call_with_a_bearer_token() -> None:
    client = make_browser_facing_app()
    preflight = client.options(
        "/echo",
        headers={
            "Origin": "http://127.0.0.1:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


def test_another_origin_gets_no_cors_grant() -> None:
    response = make_browser_facing_app().post(
        "/echo", content=b"x", headers={"Origin": "http://evil.example"}
    )
    assert "access-control-allow-origin" not in response.headers


def test_a_413_still_reaches_the_browser_with_its_message() -> None:
    response = make_browser_facing_app().post(
        "/echo", content=b"x" * 3000, headers={"Origin": "http://127.0.0.1:5173"}
    )
    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
    assert "2000 bytes" in response.json()["detail"]


def test_no_cors_headers_unless_origins_are_given() -> None:
    response = make_app().get("/healthz", headers={"Origin": "http://127.0.0.1:5173"})
    assert "access-control-allow-origin" not in response.headers

"""Every service's OpenAPI fuzzed in-process: no 5xx and every response matches its schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import response_schema_conformance

from common.testing.identity import FakeIdentityProvider
from tests.resilience.apps import (
    USER,
    auth_app,
    builder_app,
    history_app,
    scoring_app,
    voice_agent_app,
)

REALM = FakeIdentityProvider()
# Long enough to outlive the whole run; minted once because signing costs a millisecond or two.
TOKEN = REALM.token(sub=USER, expires_in=3600)
CHECKS = [not_a_server_error, response_schema_conformance]
# 2 cores shared with others: enough examples to reach the validation edges of every field.
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _schema(app: FastAPI) -> BaseSchema:
    # Prometheus text and the probes are not JSON APIs; fuzzing them finds nothing.
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(
        path=["/metrics", "/healthz", "/readyz"]
    )


auth_schema = _schema(auth_app(REALM))
builder_schema = _schema(builder_app(REALM))
voice_agent_schema = _schema(voice_agent_app(REALM))
scoring_schema = _schema(scoring_app(REALM))
history_schema = _schema(history_app(REALM))


def _call(case: Case[Any]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)


@auth_schema.parametrize()
@FUZZ
def test_auth_api(case: Any) -> None:
    _call(case)


@builder_schema.parametrize()
@FUZZ
def test_interview_builder_api(case: Any) -> None:
    _call(case)


@voice_agent_schema.parametrize()
@FUZZ
def test_voice_agent_api(case: Any) -> None:
    _call(case)


@scoring_schema.parametrize()
@FUZZ
def test_scoring_api(case: Any) -> None:
    _call(case)


@history_schema.parametrize()
@FUZZ
def test_history_api(case: Any) -> None:
    _call(case)

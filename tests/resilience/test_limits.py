"""Size limits every service documents and enforces: 413 over the body limit, maxLength on text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from common.settings import BaseServiceSettings
from common.testing.identity import FakeIdentityProvider
from tests.resilience.apps import APPS, USER, AppFactory
from tests.resilience.openapi import request_strings, unbounded_strings

LIMIT = BaseServiceSettings().max_request_bytes

# One endpoint per service that takes a body (or, for read-only services, any route): the limit
# is enforced before routing, so the route only has to exist.
ENDPOINTS = {
    "auth": ("POST", "/auth/login"),
    "interview-builder": ("POST", "/setup"),
    "voice-agent": ("POST", "/interviews/some-interview/sessions"),
    "scoring": ("GET", "/feedback/some-session"),
    "history": ("GET", "/history/progress"),
}


@pytest.fixture(params=sorted(APPS))
def service(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def realm() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
async def client(service: str, realm: FakeIdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    factory: AppFactory = APPS[service]
    async with LifespanManager(factory(realm)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        headers = {"Authorization": f"Bearer {realm.token(sub=USER)}"}
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{service}", headers=headers
        ) as http:
            yield http


def _json_of(size: int) -> bytes:
    padding = size - len(b'{"text": ""}')
    return b'{"text": "' + b"x" * padding + b'"}'


async def test_a_body_over_the_limit_gets_413_naming_the_limit(
    service: str, client: httpx.AsyncClient
) -> None:
    method, path = ENDPOINTS[service]

    response = await client.request(
        method, path, content=_json_of(LIMIT + 1), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413, response.text
    assert f"limit of {LIMIT} bytes" in response.json()["detail"]


# Only routes that read a body can count it; the others never pull it off the connection.
BODY_READERS = {"auth": ("POST", "/auth/login"), "interview-builder": ("POST", "/setup")}


def test_only_the_body_readers_take_request_bodies() -> None:
    realm = FakeIdentityProvider()
    taking = {
        name
        for name, factory in APPS.items()
        for operations in factory(realm).openapi()["paths"].values()
        for operation in operations.values()
        if "requestBody" in operation
    }

    assert taking == set(BODY_READERS), "add the new body-taking service to BODY_READERS"


@pytest.mark.parametrize("service", sorted(BODY_READERS))
async def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(
    service: str, client: httpx.AsyncClient
) -> None:
    method, path = BODY_READERS[service]

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the service has to count what arrives.
        body = _json_of(LIMIT + 64 * 1024)
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    response = await client.request(
        method, path, content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413, response.text
    assert f"limit of {LIMIT} bytes" in response.json()["detail"]


async def test_a_body_under_the_limit_reaches_the_endpoint(
    service: str, client: httpx.AsyncClient
) -> None:
    method, path = ENDPOINTS[service]

    response = await client.request(
        method, path, content=_json_of(LIMIT - 1024), headers={"Content-Type": "application/json"}
    )

    # Whatever the endpoint makes of it (validation, not found, success), it was not refused
    # for its size.
    assert response.status_code != 413
    assert response.status_code < 500, response.text


def _documents() -> Iterator[tuple[str, dict[str, object]]]:
    realm = FakeIdentityProvider()
    for name, factory in sorted(APPS.items()):
        yield name, factory(realm).openapi()


@pytest.mark.parametrize(("service_name", "document"), list(_documents()))
def test_every_text_field_a_client_sends_has_a_documented_maximum(
    service_name: str, document: dict[str, object]
) -> None:
    strings = list(request_strings(document))

    assert strings, f"{service_name}: no request strings found; the walk is broken"
    assert unbounded_strings(document) == [], (
        f"{service_name}: request strings without maxLength (add max_length to the model or "
        f"the Path/Query parameter): {unbounded_strings(document)}"
    )

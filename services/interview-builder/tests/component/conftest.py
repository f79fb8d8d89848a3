"""Fixtures of the API component tests: the real app and repositories over in-memory
collections, with tokens from a fake Keycloak realm."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager

from common.testing.identity import FakeIdentityProvider
from interview_builder.app import create_app
from interview_builder.domain.slots import SlotExtractor
from interview_builder.service import QuestionSource
from interview_builder.settings import BuilderSettings
from interview_builder.testing import InMemoryDatabase, MovableClock

StartApi = Callable[..., Awaitable[httpx.AsyncClient]]
Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def realm() -> FakeIdentityProvider:
    return FakeIdentityProvider()


@pytest.fixture
def database() -> InMemoryDatabase:
    return InMemoryDatabase()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def settings() -> BuilderSettings:
    return BuilderSettings(
        setup_ttl_minutes=30, setup_max_messages=12, recent_interviews=3, llm_base_url=None
    )


@pytest.fixture
async def start_api(
    realm: FakeIdentityProvider,
    database: InMemoryDatabase,
    clock: MovableClock,
    settings: BuilderSettings,
) -> AsyncIterator[StartApi]:
    """Starts the API (optionally with its own slot extractor or question source)."""
    managers: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []

    async def start(
        extractor: SlotExtractor | None = None, questions: QuestionSource | None = None
    ) -> httpx.AsyncClient:
        app = create_app(
            settings,
            validator=realm.validator(),
            database=database,
            extractor=extractor,
            questions=questions,
            clock=clock,
        )
        manager = LifespanManager(app)
        await manager.__aenter__()
        managers.append(manager)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://builder"
        )
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.aclose()
    for manager in reversed(managers):
        await manager.__aexit__(None, None, None)


@pytest.fixture
async def api(start_api: StartApi) -> httpx.AsyncClient:
    return await start_api()


@pytest.fixture
def as_user(realm: FakeIdentityProvider) -> Headers:
    def headers(user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {realm.token(sub=user_id)}"}

    return headers

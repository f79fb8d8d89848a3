"""The interview-builder API on the real stack: Keycloak tokens, FerretDB/MongoDB and Kafka.

The outage test stops the shared stack's Kafka (``deploy/local/stack down kafka``) and always
starts it again, even when the test fails.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from keycloak import KeycloakAdmin, KeycloakOpenID

from common.events import INTERVIEW_CREATED, InterviewCreated
from common.mongo import create_client
from interview_builder.app import create_app
from interview_builder.settings import BuilderSettings
from tests.integration.servers import REPO, Servers

PASSWORD = "practice-makes-perfect"
STACK = REPO / "deploy" / "local" / "stack"


@dataclass(frozen=True)
class Candidate:
    """A real Keycloak user and an access token from a password grant."""

    user_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
async def candidates(servers: Servers) -> AsyncIterator[Callable[[], Awaitable[Candidate]]]:
    """Creates realm users on demand and deletes them afterwards."""
    admin = KeycloakAdmin(
        server_url=servers.keycloak_url + "/",
        username=servers.keycloak_admin_username,
        password=servers.keycloak_admin_password,
        realm_name=servers.keycloak_realm,
        user_realm_name="master",
    )
    openid = KeycloakOpenID(
        server_url=servers.keycloak_url + "/",
        realm_name=servers.keycloak_realm,
        client_id=servers.auth_client_id,
        client_secret_key=servers.auth_client_secret,
    )
    created: list[str] = []

    async def candidate() -> Candidate:
        email = f"builder-{uuid.uuid4().hex[:10]}@example.com"
        user_id = await admin.a_create_user(
            {
                "username": email,
                "email": email,
                "enabled": True,
                "emailVerified": True,
                "firstName": "Mock",
                "lastName": "Candidate",
                "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
            }
        )
        created.append(user_id)
        tokens = await openid.a_token(username=email, password=PASSWORD)
        return Candidate(user_id=user_id, token=tokens["access_token"])

    yield candidate
    for user_id in created:
        await admin.a_delete_user(user_id)


@pytest.fixture
def settings(servers: Servers) -> BuilderSettings:
    return BuilderSettings.model_validate(
        {
            "kafka_bootstrap_servers": servers.kafka_bootstrap_servers,
            "mongodb_uri": servers.mongodb_uri,
            "keycloak_url": servers.keycloak_url,
            "keycloak_realm": servers.keycloak_realm,
            "database": f"interview_builder_it_{uuid.uuid4().hex[:10]}",
            "outbox_poll_interval_s": 0.2,
            "llm_base_url": None,
        }
    )


@pytest.fixture
async def builder(settings: BuilderSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The service in this process, with its outbox relay, on a database of its own."""
    app = create_app(settings)
    try:
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://builder") as client:
                yield client
    finally:
        mongo = create_client(settings.mongodb_uri, "mocksy-builder-tests")
        await mongo.drop_database(settings.database)
        await mongo.close()


async def read_interview_events(
    servers: Servers, user_id: str, expected: int, *, within: float = 60, settle: float = 0
) -> list[dict[str, Any]]:
    """Every InterviewCreated of `user_id`, read by a consumer group of its own.

    Waits until `expected` distinct events arrived, then keeps reading for `settle` seconds so
    that duplicates would show up too.
    """
    consumer = AIOKafkaConsumer(
        INTERVIEW_CREATED,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=f"it-builder-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[dict[str, Any]] = []

    async def poll() -> None:
        batch = await consumer.getmany(timeout_ms=500)
        for records in batch.values():
            for record in records:
                value = json.loads(record.value)
                if value["data"]["user_id"] == user_id:
                    assert record.key == user_id.encode()
                    found.append(value)

    try:
        async with asyncio.timeout(within):
            while len({event["event_id"] for event in found}) < expected:
                await poll()
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            await poll()
    finally:
        await consumer.stop()
    return found


async def test_setup_chat_to_interview_created_on_kafka(
    builder: httpx.AsyncClient,
    candidates: Callable[[], Awaitable[Candidate]],
    servers: Servers,
) -> None:
    ada, bob = await candidates(), await candidates()

    started = await builder.post(
        "/setup", json={"text": "I'm a mid level backend dev"}, headers=ada.headers
    )
    assert started.status_code == 201, started.text
    setup_id = started.json()["setup_id"]
    assert started.json()["asking"] == "interview_type"
    for text in ("mixed please", "python and postgres", "make it 4 questions", "yes"):
        reply = await builder.post(
            f"/setup/{setup_id}/messages", json={"text": text}, headers=ada.headers
        )
        assert reply.status_code == 200, reply.text
    assert reply.json()["done"] is True

    assert (
        await builder.post(f"/setup/{setup_id}/confirm", headers=bob.headers)
    ).status_code == 404
    confirmed = await builder.post(f"/setup/{setup_id}/confirm", headers=ada.headers)
    assert confirmed.status_code == 201, confirmed.text
    interview = confirmed.json()
    assert interview["tech_stack"] == ["python", "postgresql"]
    assert interview["question_count"] == 4

    path = f"/interviews/{interview['id']}"
    assert (await builder.get(path, headers=bob.headers)).status_code == 404
    assert (await builder.get(path, headers=ada.headers)).json() == interview
    listed = await builder.get(
        "/interviews", params={"tech": "postgres", "interview_type": "mixed"}, headers=ada.headers
    )
    assert [item["id"] for item in listed.json()["items"]] == [interview["id"]]

    retake = await builder.post(f"{path}/retake", json={"questions": "same"}, headers=ada.headers)
    assert retake.status_code == 201, retake.text

    events = await read_interview_events(servers, ada.user_id, expected=2)
    by_source = {
        event["data"]["source"]: InterviewCreated.model_validate(event) for event in events
    }
    created = by_source["setup_chat"].data
    assert created.id == interview["id"]
    assert created.user_id == ada.user_id
    assert (created.role, created.interview_type, created.level) == ("backend", "mixed", "mid")
    assert created.tech_stack == ["python", "postgresql"]
    assert [q.model_dump(mode="json") for q in created.questions] == interview["questions"]
    assert created.created_at == datetime.fromisoformat(interview["created_at"])
    repeated = by_source["retake"].data
    assert repeated.parent_interview_id == interview["id"]
    assert repeated.questions == created.questions

    assert (await builder.delete(path, headers=ada.headers)).status_code == 204
    remaining = await builder.get("/interviews", headers=ada.headers)
    assert [item["id"] for item in remaining.json()["items"]] == [retake.json()["id"]]


def _stack(*args: str) -> None:
    subprocess.run([str(STACK), *args], check=True, capture_output=True, timeout=300)


@pytest.mark.slow
async def test_interviews_created_while_kafka_is_down_are_published_once_it_is_back(
    builder: httpx.AsyncClient,
    candidates: Callable[[], Awaitable[Candidate]],
    servers: Servers,
    settings: BuilderSettings,
) -> None:
    ada = await candidates()
    body = {"role": "frontend", "interview_type": "technical", "level": "junior"}
    warm_up = await builder.post("/interviews", json=body, headers=ada.headers)
    assert warm_up.status_code == 201
    # The relay is connected: the first event went through before the outage.
    await read_interview_events(servers, ada.user_id, expected=1)

    created = [warm_up.json()["id"]]
    try:
        await asyncio.to_thread(_stack, "down", "kafka")
        for count in range(1, 6):
            began = time.monotonic()
            response = await builder.post(
                "/interviews", json={**body, "question_count": count}, headers=ada.headers
            )
            assert response.status_code == 201, response.text
            assert time.monotonic() - began < 2, "creating an interview waited for Kafka"
            created.append(response.json()["id"])

        mongo = create_client(settings.mongodb_uri, "mocksy-builder-tests")
        try:
            pending = await mongo[settings.database]["interviews"].count_documents(
                {"outbox.event_id": {"$gt": ""}}
            )
        finally:
            await mongo.close()
        assert pending == 5
    finally:
        # Always bring Kafka back: other engineers share this stack.
        await asyncio.to_thread(_stack, "up", "kafka")

    events = await read_interview_events(
        servers, ada.user_id, expected=len(created), within=120, settle=5
    )

    copies = Counter(event["event_id"] for event in events)
    duplicates = {event_id: n for event_id, n in copies.items() if n > 1}
    assert duplicates == {}
    assert sorted(event["data"]["id"] for event in events) == sorted(created)
    counts = sorted(len(event["data"]["questions"]) for event in events)
    assert counts == [1, 2, 3, 4, 5, 5]

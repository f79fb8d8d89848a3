"""The five services in this process, wired to the real Kafka, MongoDB-compatible server,
Keycloak and LiveKit, each with a database, consumer groups and an interviewer name of its own.

Consumer groups are pinned to the current end of their topics before the apps start, so each
service handles only what this run produces, not every event other runs left on the topics.
Nothing here stops or resets a server.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from auth.app import create_app as create_auth
from auth.settings import AuthSettings
from common.events import FEEDBACK_READY, INTERVIEW_CREATED, SESSION_COMPLETED
from common.mongo import open_client
from history.app import create_app as create_history
from history.settings import HistorySettings
from interview_builder.app import create_app as create_builder
from interview_builder.settings import BuilderSettings
from scoring.app import create_app as create_scoring
from scoring.settings import ScoringSettings
from tests.integration.servers import Servers
from voice_agent.app import create_app as create_voice_agent
from voice_agent.repository import MongoSessionStore
from voice_agent.settings import VoiceAgentSettings

WAIT_S = 90.0

# The consumer groups each service runs (``mocksy-<service>.<name>``) and the topic each reads.
CONSUMER_GROUPS: dict[str, dict[str, str]] = {
    "voice-agent": {"interview-created": INTERVIEW_CREATED},
    "scoring": {"session-completed": SESSION_COMPLETED},
    "history": {
        "interview-created": INTERVIEW_CREATED,
        "session-completed": SESSION_COMPLETED,
        "feedback-ready": FEEDBACK_READY,
    },
}


@dataclass(frozen=True)
class Fleet:
    """HTTP clients of the five running apps, and what the tests need to play the worker."""

    apis: dict[str, httpx.AsyncClient]
    apps: dict[str, FastAPI]
    voice_settings: VoiceAgentSettings
    sessions: MongoSessionStore

    @property
    def auth(self) -> httpx.AsyncClient:
        return self.apis["auth"]

    @property
    def builder(self) -> httpx.AsyncClient:
        return self.apis["interview-builder"]

    @property
    def voice(self) -> httpx.AsyncClient:
        return self.apis["voice-agent"]

    @property
    def scoring(self) -> httpx.AsyncClient:
        return self.apis["scoring"]

    @property
    def history(self) -> httpx.AsyncClient:
        return self.apis["history"]


async def pin_to_the_end(servers: Servers, groups: dict[str, str]) -> None:
    """Commit the current end offsets of each topic for its group (group id → topic)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(sorted(set(groups.values())))
    finally:
        await admin.close()
    partitions = {
        topic["topic"]: [
            TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"]
        ]
        for topic in described
    }
    for group_id, topic in groups.items():
        if not partitions.get(topic):
            continue  # a topic nobody created yet has no backlog either
        consumer = AIOKafkaConsumer(
            bootstrap_servers=servers.kafka_bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            consumer.assign(partitions[topic])
            ends = await consumer.end_offsets(partitions[topic])
            await consumer.commit({tp: OffsetAndMetadata(end, "") for tp, end in ends.items()})
        finally:
            await consumer.stop()


def _addresses(servers: Servers) -> dict[str, Any]:
    return {
        "kafka_bootstrap_servers": servers.kafka_bootstrap_servers,
        "mongodb_uri": servers.mongodb_uri,
        "keycloak_url": servers.keycloak_url,
        "keycloak_realm": servers.keycloak_realm,
    }


@asynccontextmanager
async def running_fleet(servers: Servers) -> AsyncIterator[Fleet]:
    """All five apps started (lifespans run), with their databases dropped afterwards."""
    run = uuid.uuid4().hex[:8]
    shared = _addresses(servers)
    names = {service: f"{service}-access-{run}" for service in CONSUMER_GROUPS}
    databases = {
        "interview-builder": f"builder_access_{run}",
        "voice-agent": f"voice_access_{run}",
        "scoring": f"scoring_access_{run}",
        "history": f"history_access_{run}",
    }
    await pin_to_the_end(
        servers,
        {
            f"mocksy-{names[service]}.{name}": topic
            for service, consumers in CONSUMER_GROUPS.items()
            for name, topic in consumers.items()
        },
    )
    voice_settings = VoiceAgentSettings.model_validate(
        shared
        | {
            "service_name": names["voice-agent"],
            "database": databases["voice-agent"],
            "livekit_url": servers.livekit_url,
            "livekit_api_key": servers.livekit_api_key,
            "livekit_api_secret": servers.livekit_api_secret,
            # No worker registers under this name, so no interviewer on the stack joins.
            "agent_name": f"access-interviewer-{run}",
            "sweep_interval_s": 0,
        }
    )
    apps: dict[str, FastAPI] = {
        "auth": create_auth(
            AuthSettings.model_validate(
                shared
                | {
                    "service_name": f"auth-access-{run}",
                    "client_id": servers.auth_client_id,
                    "client_secret": servers.auth_client_secret,
                }
            )
        ),
        "interview-builder": create_builder(
            BuilderSettings.model_validate(
                shared
                | {
                    "service_name": f"interview-builder-access-{run}",
                    "database": databases["interview-builder"],
                    "outbox_poll_interval_s": 0.2,
                    "llm_base_url": None,
                }
            )
        ),
        "voice-agent": create_voice_agent(voice_settings),
        "scoring": create_scoring(
            ScoringSettings.model_validate(
                shared
                | {
                    "service_name": names["scoring"],
                    "database": databases["scoring"],
                    "outbox_poll_s": 0.1,
                }
            )
        ),
        "history": create_history(
            HistorySettings.model_validate(
                shared | {"service_name": names["history"], "database": databases["history"]}
            )
        ),
    }
    async with AsyncExitStack() as stack:
        mongo = await stack.enter_async_context(
            open_client(servers.mongodb_uri, f"access-tests-{run}")
        )

        async def drop_databases() -> None:
            for database in databases.values():
                await mongo.drop_database(database)

        stack.push_async_callback(drop_databases)
        apis: dict[str, httpx.AsyncClient] = {}
        for service, app in apps.items():
            manager = await stack.enter_async_context(
                LifespanManager(app, startup_timeout=60, shutdown_timeout=30)
            )
            apis[service] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app),
                    base_url=f"http://{service}",
                    timeout=30,
                )
            )
        sessions = MongoSessionStore(mongo[databases["voice-agent"]]["sessions"])
        yield Fleet(apis, apps, voice_settings, sessions)


async def eventually(
    call: Callable[[], Awaitable[httpx.Response]],
    ready: Callable[[httpx.Response], bool],
    *,
    what: str,
    within: float = WAIT_S,
) -> httpx.Response:
    """Repeat ``call`` until ``ready`` holds: consumers and relays work in the background."""
    last: httpx.Response | None = None
    try:
        async with asyncio.timeout(within):
            while True:
                last = await call()
                if ready(last):
                    return last
                await asyncio.sleep(0.3)
    except TimeoutError:
        seen = f"{last.status_code} {last.text[:300]}" if last is not None else "no response"
        raise AssertionError(f"{what} did not happen within {within:.0f} s; last: {seen}") from None

"""The MongoDB-compatible server (FerretDB) stopped and started again under load: the builder,
history, scoring and voice-agent (sessions) APIs answer 503 with a clear message and
``Retry-After`` while it is down (never a 500, never a hang), ``/readyz`` says not ready, and
every service is back by itself once the server is — scoring even scores a session that ended
during the outage, and the voice agent starts new sessions again.

The apps run in this process with real MongoDB clients, real Keycloak tokens and real Kafka.
The test stops the stack's FerretDB (``deploy/local/stack down ferretdb``): run it only against
a stack of your own (see ``tests/resilience/faults.py``).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from common.events import INTERVIEW_CREATED, SESSION_COMPLETED, SessionCompleted
from common.messaging import EventPublisher, create_broker
from common.mongo import open_client
from history.app import create_app as create_history
from history.settings import HistorySettings
from interview_builder.app import create_app as create_builder
from interview_builder.settings import BuilderSettings
from scoring.app import create_app as create_scoring
from scoring.settings import ScoringSettings
from tests.integration.accounts import Candidate, new_candidate, realm_admin
from tests.integration.servers import REPO, Servers
from tests.resilience.faults import eventually, pin_group_to_end, stack_of
from voice_agent.app import create_app as create_voice_agent
from voice_agent.settings import VoiceAgentSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

UNAVAILABLE = {"detail": "The database is unavailable; try again shortly."}
# A request may wait for server selection (5 s) and no longer; this bound is 3x that.
REQUEST_BOUND_S = 15.0
RECOVER_WITHIN_S = 90.0
TEMPLATE = REPO / "services" / "scoring" / "tests" / "fixtures" / "mixed_session.json"
INTERVIEW = {"role": "backend", "interview_type": "technical", "level": "mid", "question_count": 2}


@dataclass(frozen=True)
class Probe:
    """One request of the background load, as the caller saw it."""

    service: str
    phase: str
    status: int | str
    detail: Any = None
    retry_after: str | None = None


@dataclass
class Load:
    """Requests to each API, one after another per service, for as long as the drill runs."""

    calls: dict[str, Callable[[], Awaitable[httpx.Response]]]
    phase: str = "before"
    probes: list[Probe] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._drive(name, stop) for name in self.calls))

    async def _drive(self, service: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            phase = self.phase
            try:
                async with asyncio.timeout(REQUEST_BOUND_S):
                    response = await self.calls[service]()
            except TimeoutError:
                self.probes.append(Probe(service, phase, "hang"))
                continue
            detail = response.json().get("detail") if response.status_code >= 400 else None
            self.probes.append(
                Probe(
                    service,
                    phase,
                    response.status_code,
                    detail,
                    response.headers.get("Retry-After"),
                )
            )
            await asyncio.sleep(0.2)

    def statuses(self, phase: str) -> Counter[str]:
        return Counter(f"{p.service} {p.status}" for p in self.probes if p.phase == phase)


def completed_session(user_id: str, session_id: str) -> SessionCompleted:
    document: dict[str, Any] = json.loads(TEMPLATE.read_text())
    document.update(session_id=session_id, user_id=user_id, interview_id=f"iv-{session_id}")
    return SessionCompleted.model_validate({"data": document})


@dataclass(frozen=True)
class Apps:
    builder: httpx.AsyncClient
    history: httpx.AsyncClient
    scoring: httpx.AsyncClient
    voice: httpx.AsyncClient
    publisher: EventPublisher
    ada: Candidate


@pytest.fixture
async def apps(servers: Servers) -> AsyncIterator[Apps]:
    run = uuid.uuid4().hex[:8]
    shared = {
        "kafka_bootstrap_servers": servers.kafka_bootstrap_servers,
        "mongodb_uri": servers.mongodb_uri,
        "keycloak_url": servers.keycloak_url,
        "keycloak_realm": servers.keycloak_realm,
    }
    databases = {
        name: f"{name}_mongo_restart_{run}" for name in ("builder", "history", "scoring", "voice")
    }
    scoring_service = f"scoring-mongo-restart-{run}"
    voice_service = f"voice-mongo-restart-{run}"
    await pin_group_to_end(
        servers, SESSION_COMPLETED, f"mocksy-{scoring_service}.session-completed"
    )
    await pin_group_to_end(servers, INTERVIEW_CREATED, f"mocksy-{voice_service}.interview-created")
    built: dict[str, FastAPI] = {
        "builder": create_builder(
            BuilderSettings.model_validate(
                {**shared, "database": databases["builder"], "llm_base_url": None}
            )
        ),
        "history": create_history(
            HistorySettings.model_validate(
                {**shared, "database": databases["history"], "consume_events": False}
            )
        ),
        "scoring": create_scoring(
            ScoringSettings.model_validate(
                {
                    **shared,
                    "service_name": scoring_service,
                    "database": databases["scoring"],
                    "outbox_poll_s": 0.2,
                }
            )
        ),
        "voice": create_voice_agent(
            VoiceAgentSettings.model_validate(
                {
                    **shared,
                    "service_name": voice_service,
                    "database": databases["voice"],
                    "livekit_url": servers.livekit_url,
                    "livekit_api_key": servers.livekit_api_key,
                    "livekit_api_secret": servers.livekit_api_secret,
                    # No worker registers under this name: no interviewer joins the rooms.
                    "agent_name": f"mongo-restart-interviewer-{run}",
                    # The sweeper runs through the outage as in production.
                    "sweep_interval_s": 1,
                }
            )
        ),
    }
    admin = realm_admin(servers)
    ada = await new_candidate(servers, admin, "mongo-restart")
    broker = create_broker(servers.kafka_bootstrap_servers, service=f"resilience-{run}")
    try:
        async with AsyncExitStack() as stack:
            clients: dict[str, httpx.AsyncClient] = {}
            for name, app in built.items():
                manager = await stack.enter_async_context(
                    LifespanManager(app, startup_timeout=60, shutdown_timeout=30)
                )
                clients[name] = await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{name}"
                    )
                )
            await stack.enter_async_context(broker)
            await broker.start()
            yield Apps(
                clients["builder"],
                clients["history"],
                clients["scoring"],
                clients["voice"],
                EventPublisher(broker),
                ada,
            )
    finally:
        await admin.a_delete_user(ada.user_id)
        async with open_client(servers.mongodb_uri, "resilience-mongo-restart") as mongo:
            for database in databases.values():
                await mongo.drop_database(database)


async def test_a_database_restart_gives_503s_then_every_service_recovers_by_itself(
    servers: Servers, apps: Apps
) -> None:
    stack = stack_of(servers)
    ada = apps.ada
    run = uuid.uuid4().hex[:8]
    before = completed_session(ada.user_id, f"restart-{run}-before")
    during = completed_session(ada.user_id, f"restart-{run}-during")
    created = await apps.builder.post("/interviews", json=INTERVIEW, headers=ada.headers)
    assert created.status_code == 201, created.text
    interview_id = created.json()["id"]
    await apps.publisher.publish(before)

    async def new_session() -> httpx.Response:
        return await apps.voice.post(f"/interviews/{interview_id}/sessions", headers=ada.headers)

    started: list[httpx.Response] = []

    async def session_started() -> bool:
        started.append(await new_session())
        return started[-1].status_code == 201

    # The voice agent learns the interview from the builder's InterviewCreated.
    await eventually(
        session_started, within=RECOVER_WITHIN_S, what="a voice session of the new interview"
    )
    session_id = started[-1].json()["session_id"]

    async def ok(client: httpx.AsyncClient, path: str) -> bool:
        return (await client.get(path, headers=ada.headers)).status_code == 200

    await eventually(
        lambda: ok(apps.scoring, f"/feedback/{before.data.session_id}"),
        within=RECOVER_WITHIN_S,
        what="feedback on the session that ended before the outage",
    )

    requests: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
        "builder": lambda: apps.builder.get("/interviews", headers=ada.headers),
        "history": lambda: apps.history.get("/history/progress", headers=ada.headers),
        "scoring": lambda: apps.scoring.get(
            f"/feedback/{before.data.session_id}", headers=ada.headers
        ),
        "voice": lambda: apps.voice.get(f"/sessions/{session_id}", headers=ada.headers),
    }
    load = Load(requests)
    stop = asyncio.Event()
    background = asyncio.create_task(load.run(stop))
    down_for_s = 0.0
    try:
        await asyncio.sleep(1)
        load.phase = "stopping"
        await asyncio.to_thread(stack.down, "ferretdb")
        went_down = time.monotonic()
        load.phase = "down"
        try:
            await apps.publisher.publish(during)
            # Each API, and a write, while the database is down: 503, the message, Retry-After.
            during_outage: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
                "builder": lambda: apps.builder.post(
                    "/interviews", json=INTERVIEW, headers=ada.headers
                ),
                "history": lambda: apps.history.get("/history/interviews", headers=ada.headers),
                "scoring": requests["scoring"],
                "voice": lambda: apps.voice.post(
                    f"/sessions/{session_id}/resume", headers=ada.headers
                ),
            }
            clients = {
                "builder": apps.builder,
                "history": apps.history,
                "scoring": apps.scoring,
                "voice": apps.voice,
            }
            for name, call in during_outage.items():
                async with asyncio.timeout(REQUEST_BOUND_S):
                    answer = await call()
                assert answer.status_code == 503, f"{name}: {answer.status_code} {answer.text}"
                assert answer.json() == UNAVAILABLE
                assert answer.headers["Retry-After"] == "5"
                ready = await clients[name].get("/readyz")
                assert ready.status_code == 503, f"{name} /readyz: {ready.text}"
                assert "mongo" in ready.json()["failing"]
            await asyncio.sleep(3)
        finally:
            load.phase = "starting"
            await asyncio.to_thread(stack.up, "ferretdb")
            down_for_s = time.monotonic() - went_down
        load.phase = "after"
        came_back = time.monotonic()

        # Back without restarting anything: readiness, reads, writes, and the consumer.
        for client in (apps.builder, apps.history, apps.scoring, apps.voice):
            await eventually(
                lambda c=client: _ready(c), within=RECOVER_WITHIN_S, what=f"{client.base_url} ready"
            )
        recovered_s = time.monotonic() - came_back
        again = await apps.builder.post("/interviews", json=INTERVIEW, headers=ada.headers)
        assert again.status_code == 201, again.text
        await eventually(
            lambda: ok(apps.scoring, f"/feedback/{during.data.session_id}"),
            within=RECOVER_WITHIN_S,
            what="feedback on the session that ended during the outage",
        )
        assert await ok(apps.history, "/history/progress")
        assert (await new_session()).status_code == 201
        assert await ok(apps.voice, f"/sessions/{session_id}")
        await asyncio.sleep(2)
    finally:
        stop.set()
        await background

    every = Counter(str(p.status) for p in load.probes)
    # Nothing but answers or "try again": no 500, no hang, no other error.
    assert set(every) <= {"200", "503"}, every
    refused = [p for p in load.probes if p.status == 503]
    assert refused, "the load saw no 503 while the database was down"
    assert {p.detail for p in refused} == {UNAVAILABLE["detail"]}
    assert {p.retry_after for p in refused} == {"5"}
    assert {str(p.status) for p in load.probes if p.phase == "before"} == {"200"}
    last = {p.service: p.status for p in load.probes}
    assert last == {"builder": 200, "history": 200, "scoring": 200, "voice": 200}
    print(
        f"\nFerretDB restart drill: down {down_for_s:.1f}s, all four APIs ready again "
        f"{recovered_s:.1f}s after it was back; requests by phase: "
        + "; ".join(
            f"{phase}: {dict(sorted(load.statuses(phase).items()))}"
            for phase in ("before", "stopping", "down", "starting", "after")
        )
    )


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200

"""The voice agent's sessions API against the real Kafka, MongoDB-compatible server, Keycloak and
LiveKit: an interview arrives by InterviewCreated, a session gets a room with the interviewer
dispatched, the candidate joins with the token, turns are stored, and SessionCompleted reaches
Kafka with the transcript intact. No worker runs here: the dispatches name an agent only this
test knows, so a worker running elsewhere on the stack never takes these sessions."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from keycloak import KeycloakAdmin, KeycloakOpenID
from livekit import api, rtc

from common.events import (
    SESSION_COMPLETED,
    Interview,
    InterviewCreated,
    Question,
    SessionCompleted,
    Turn,
)
from common.messaging import EventPublisher, create_broker
from common.mongo import open_client
from tests.integration.servers import Servers
from voice_agent.app import create_app
from voice_agent.repository import MongoInterviewStore, MongoSessionStore
from voice_agent.settings import VoiceAgentSettings

PASSWORD = "practice-makes-perfect"


@dataclass(frozen=True)
class Candidate:
    user_id: str
    headers: dict[str, str]


@dataclass(frozen=True)
class VoiceStack:
    client: httpx.AsyncClient
    app: FastAPI
    settings: VoiceAgentSettings
    sessions: MongoSessionStore
    interviews: MongoInterviewStore
    livekit: api.LiveKitAPI


def http_url(servers: Servers) -> str:
    return servers.livekit_url.replace("ws://", "http://").replace("wss://", "https://")


@pytest.fixture
async def candidates(servers: Servers) -> AsyncIterator[list[Candidate]]:
    """Two real Keycloak users with access tokens from the password grant."""
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
    created: list[Candidate] = []
    try:
        for first, last in (("Grace", "Hopper"), ("Eve", "Stranger")):
            email = f"voice-{uuid.uuid4().hex[:10]}@example.com"
            user_id = await admin.a_create_user(
                {
                    "username": email,
                    "email": email,
                    "firstName": first,
                    "lastName": last,
                    "enabled": True,
                    "emailVerified": True,
                    "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
                },
                exist_ok=False,
            )
            tokens = await openid.a_token(username=email, password=PASSWORD)
            created.append(
                Candidate(user_id, {"Authorization": f"Bearer {tokens['access_token']}"})
            )
        yield created
    finally:
        for candidate in created:
            await admin.a_delete_user(candidate.user_id)


@pytest.fixture
async def voice(servers: Servers) -> AsyncIterator[VoiceStack]:
    """The voice agent's app in-process, plus independent clients to check what it did."""
    settings = VoiceAgentSettings.model_validate(
        {
            "kafka_bootstrap_servers": servers.kafka_bootstrap_servers,
            "mongodb_uri": servers.mongodb_uri,
            "keycloak_url": servers.keycloak_url,
            "keycloak_realm": servers.keycloak_realm,
            "livekit_url": servers.livekit_url,
            "livekit_api_key": servers.livekit_api_key,
            "livekit_api_secret": servers.livekit_api_secret,
            "agent_name": f"it-interviewer-{uuid.uuid4().hex[:8]}",
            # The test sweeps by hand, with its own idea of how old a heartbeat is.
            "sweep_interval_s": 0,
        }
    )
    app = create_app(settings)
    livekit = api.LiveKitAPI(http_url(servers), servers.livekit_api_key, servers.livekit_api_secret)
    async with open_client(servers.mongodb_uri, "it-voice-sessions") as mongo:
        db = mongo[settings.database]
        async with LifespanManager(app, startup_timeout=30) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://voice") as client:
                try:
                    yield VoiceStack(
                        client,
                        app,
                        settings,
                        MongoSessionStore(db["sessions"]),
                        MongoInterviewStore(db["interviews"]),
                        livekit,
                    )
                finally:
                    await livekit.aclose()


def new_interview(user_id: str) -> Interview:
    return Interview(
        id=f"it-iv-{uuid.uuid4().hex[:12]}",
        user_id=user_id,
        # Whole seconds: BSON keeps milliseconds, and the copy is compared with the original.
        created_at=datetime.now(UTC).replace(microsecond=0),
        source="api",
        role="backend",
        interview_type="mixed",
        level="mid",
        tech_stack=["python", "k8s"],
        questions=[
            Question(
                question_id="q-cache",
                text="When would you put a cache in front of a database?",
                kind="technical",
                topic="system design",
                key_points=["Reduces latency for repeated reads", "Handles invalidation"],
            ),
            Question(
                question_id="q-conflict",
                text="Tell me about a time you disagreed with a teammate.",
                kind="behavioral",
                topic="teamwork",
                key_points=["Describes the situation", "Shares the result"],
            ),
        ],
    )


async def publish(servers: Servers, event: InterviewCreated) -> None:
    broker = create_broker(servers.kafka_bootstrap_servers, service="it-interview-builder")
    async with broker:
        await broker.start()
        await EventPublisher(broker).publish(event)


async def wait_for_copy(interviews: MongoInterviewStore, interview_id: str) -> Interview:
    # Polled: the copy is written by the app's consumer, which signals nothing to the test.
    async with asyncio.timeout(60):
        while True:
            copy = await interviews.get(interview_id)
            if copy is not None:
                return copy
            await asyncio.sleep(0.25)


async def read_completed(
    servers: Servers, session_id: str, within: float = 60
) -> list[dict[str, Any]]:
    """Every SessionCompleted of ``session_id``, read by a consumer group of its own."""
    consumer = AIOKafkaConsumer(
        SESSION_COMPLETED,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=f"it-voice-reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(within):
            while not found:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        value = json.loads(record.value)
                        if value["data"]["session_id"] == session_id:
                            found.append(value)
        # Anything published twice would have arrived by now too.
        for records in (await consumer.getmany(timeout_ms=2_000)).values():
            found.extend(
                v for r in records if (v := json.loads(r.value))["data"]["session_id"] == session_id
            )
    finally:
        await consumer.stop()
    return found


async def interviewer_dispatches(voice: VoiceStack, room: str) -> list[api.AgentDispatch]:
    # LiveKit also lists the automatic dispatch every room gets, for workers without a name.
    dispatches = await voice.livekit.agent_dispatch.list_dispatch(room)
    return [d for d in dispatches if d.agent_name == voice.settings.agent_name]


def turn(n: int, speaker: str, kind: str, question_id: str | None) -> Turn:
    return Turn.model_validate(
        {
            "speaker": speaker,
            "text": f"{speaker} line {n}",
            "start_ms": n * 4_000,
            "end_ms": n * 4_000 + 3_000,
            "question_id": question_id,
            "kind": kind,
            "stt_confidence": 0.82 if speaker == "candidate" else None,
        }
    )


async def test_a_session_from_interview_created_to_session_completed(
    servers: Servers, voice: VoiceStack, candidates: list[Candidate]
) -> None:
    grace, eve = candidates
    interview = new_interview(grace.user_id)
    path = f"/interviews/{interview.id}/sessions"

    early = await voice.client.post(path, headers=grace.headers)
    assert early.status_code == 404
    assert "may still be on its way" in early.json()["detail"]

    await publish(servers, InterviewCreated(data=interview))
    assert await wait_for_copy(voice.interviews, interview.id) == interview

    assert (await voice.client.post(path, headers=eve.headers)).status_code == 404
    started = await voice.client.post(path, headers=grace.headers)
    assert started.status_code == 201, started.text
    body = started.json()
    session_id, room_name = body["session_id"], body["room"]
    assert body["livekit_url"] == servers.livekit_url
    try:
        # A room per session, with the interviewer dispatched to it by name and session.
        rooms = await voice.livekit.room.list_rooms(api.ListRoomsRequest(names=[room_name]))
        assert [(r.name, r.max_participants) for r in rooms.rooms] == [(room_name, 3)]
        (dispatch,) = await interviewer_dispatches(voice, room_name)
        assert json.loads(dispatch.metadata) == {"session_id": session_id}

        # The candidate joins with the token: in that room, as themself, microphone only.
        candidate = rtc.Room()
        await candidate.connect(body["livekit_url"], body["token"])
        try:
            assert candidate.name == room_name
            assert candidate.local_participant.identity == grace.user_id
            permissions = candidate.local_participant.permissions
            assert list(permissions.can_publish_sources) == [rtc.TrackSource.SOURCE_MICROPHONE]
            assert permissions.can_publish_data
            microphone = rtc.LocalAudioTrack.create_audio_track("mic", rtc.AudioSource(48_000, 1))
            await candidate.local_participant.publish_track(
                microphone, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
            )
            listed = await voice.livekit.room.list_participants(
                api.ListParticipantsRequest(room=room_name)
            )
            assert [p.identity for p in listed.participants] == [grace.user_id]
        finally:
            await candidate.disconnect()

        # Another user cannot see or resume it.
        assert (
            await voice.client.get(f"/sessions/{session_id}", headers=eve.headers)
        ).status_code == 404
        assert (
            await voice.client.post(f"/sessions/{session_id}/resume", headers=eve.headers)
        ).status_code == 404

        # The worker's part, through the same store it uses: turns as they happen, then the end.
        now = datetime.now(UTC)
        assert await voice.sessions.activate(session_id, "it-worker", now)
        turns = [
            turn(0, "interviewer", "greeting", None),
            turn(1, "interviewer", "question", "q-cache"),
            turn(2, "candidate", "answer", "q-cache"),
            turn(3, "interviewer", "follow_up", "q-cache"),
            turn(4, "candidate", "answer", "q-cache"),
        ]
        for index, line in enumerate(turns):
            assert await voice.sessions.append_turn(session_id, line, line.question_id, index=index)
        assert not await voice.sessions.append_turn(session_id, turns[-1], "q-cache", index=4)

        shown = (await voice.client.get(f"/sessions/{session_id}", headers=grace.headers)).json()
        assert shown["state"] == "active"
        assert shown["current_question"]["question_id"] == "q-cache"
        assert [Turn.model_validate(t) for t in shown["turns"]] == turns

        assert await voice.sessions.finish(session_id, "completed", datetime.now(UTC))
        assert not await voice.sessions.finish(session_id, "failed", datetime.now(UTC))

        (published,) = await read_completed(servers, session_id)
        event = SessionCompleted.model_validate(published)
        assert event.data.outcome == "completed"
        assert event.data.user_id == grace.user_id
        assert event.data.interview_id == interview.id
        assert event.data.turns == turns
        assert event.data.interview.questions == interview.questions
        assert event.data.interview.tech_stack == ["python", "kubernetes"]

        ended = await voice.client.post(f"/sessions/{session_id}/resume", headers=grace.headers)
        assert ended.status_code == 409
    finally:
        await voice.livekit.room.delete_room(api.DeleteRoomRequest(room=room_name))


async def test_a_dead_worker_leaves_an_interrupted_session_that_resumes_with_a_new_dispatch(
    servers: Servers, voice: VoiceStack, candidates: list[Candidate]
) -> None:
    grace, _ = candidates
    interview = new_interview(grace.user_id)
    await publish(servers, InterviewCreated(data=interview))
    await wait_for_copy(voice.interviews, interview.id)
    started = await voice.client.post(f"/interviews/{interview.id}/sessions", headers=grace.headers)
    assert started.status_code == 201, started.text
    session_id, room_name = started.json()["session_id"], started.json()["room"]
    try:
        # A worker took it, spoke two turns and went silent a minute ago (killed).
        silent_since = datetime.now(UTC) - timedelta(seconds=60)
        await voice.sessions.activate(session_id, "it-worker-killed", silent_since)
        turns = [
            turn(0, "interviewer", "question", "q-cache"),
            turn(1, "candidate", "answer", "q-cache"),
        ]
        for index, line in enumerate(turns):
            await voice.sessions.append_turn(session_id, line, "q-cache", index=index)

        report = await voice.app.state.sweeper.sweep_once()
        assert session_id in report.interrupted

        shown = (await voice.client.get(f"/sessions/{session_id}", headers=grace.headers)).json()
        assert shown["state"] == "interrupted"
        assert [Turn.model_validate(t) for t in shown["turns"]] == turns

        resumed = await voice.client.post(f"/sessions/{session_id}/resume", headers=grace.headers)
        assert resumed.status_code == 200, resumed.text

        # A fresh token: its life starts at the resume (two tokens minted within the same
        # second are byte-identical, so compare expiries rather than the strings).
        def expiry(token: str) -> int:
            return int(pyjwt.decode(token, options={"verify_signature": False})["exp"])

        assert expiry(resumed.json()["token"]) >= expiry(started.json()["token"])
        dispatches = await interviewer_dispatches(voice, room_name)
        assert len(dispatches) == 2
        assert {json.loads(d.metadata)["session_id"] for d in dispatches} == {session_id}

        # The candidate can use the new token.
        candidate = rtc.Room()
        await candidate.connect(resumed.json()["livekit_url"], resumed.json()["token"])
        assert candidate.local_participant.identity == grace.user_id
        await candidate.disconnect()
    finally:
        await voice.sessions.finish(session_id, "ended_early", datetime.now(UTC))
        await voice.livekit.room.delete_room(api.DeleteRoomRequest(room=room_name))


async def test_a_worker_taken_for_dead_that_heartbeats_again_gets_its_session_back(
    servers: Servers, voice: VoiceStack, candidates: list[Candidate]
) -> None:
    grace, _ = candidates
    interview = new_interview(grace.user_id)
    await publish(servers, InterviewCreated(data=interview))
    await wait_for_copy(voice.interviews, interview.id)
    started = await voice.client.post(f"/interviews/{interview.id}/sessions", headers=grace.headers)
    session_id, room_name = started.json()["session_id"], started.json()["room"]
    try:
        await voice.sessions.activate(
            session_id, "it-worker-slow", datetime.now(UTC) - timedelta(seconds=60)
        )
        assert session_id in (await voice.app.state.sweeper.sweep_once()).interrupted

        assert await voice.sessions.heartbeat(session_id, "it-worker-slow", datetime.now(UTC))
        assert not await voice.sessions.heartbeat(session_id, "it-worker-other", datetime.now(UTC))

        shown = (await voice.client.get(f"/sessions/{session_id}", headers=grace.headers)).json()
        assert shown["state"] == "active"
    finally:
        await voice.sessions.finish(session_id, "failed", datetime.now(UTC))
        await voice.livekit.room.delete_room(api.DeleteRoomRequest(room=room_name))

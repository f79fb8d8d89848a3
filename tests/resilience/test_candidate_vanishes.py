"""A candidate who vanishes mid-interview (their process SIGKILLed: no goodbye reaches LiveKit)
and never comes back: the interviewer waits ``candidate_away_s`` in the room for them to rejoin,
then leaves; the session is ``interrupted`` with its transcript intact, the worker's slot is
free again, and a resume later is taken by that same worker.

Same harness as the worker kill drill (its ``drill`` fixture: the sessions API and a real
``mocksy-voice worker start`` as subprocesses on the real LiveKit, Kafka, Keycloak and
MongoDB-compatible server, with names of their own), with a short away time and one slot.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from livekit import api, rtc

from common.events import Interview
from tests.integration.voice_questions import QUESTIONS
from tests.resilience.faults import eventually
from tests.resilience.test_voice_worker_kill import (  # noqa: F401  (fixtures used by name)
    Drill,
    announce,
    drill,
    ready,
    start_session,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

AWAY_S = 8.0
# LiveKit notices a client that vanished without a goodbye by its own timeouts.
DROP_NOTICED_WITHIN_S = 120.0
# What livekit-agents logs as a worker's load crosses its threshold (one slot: 1.0, then 0.0).
FULL = "worker is at full capacity, marking as unavailable"
AVAILABLE = "worker is below capacity, marking as available"
CANDIDATE = Path(__file__).with_name("vanishing_candidate.py")


async def participants(livekit: api.LiveKitAPI, room: str) -> dict[str, int]:
    """Who is in ``room`` now: identity to kind (``api.ParticipantInfo.Kind``); nobody once
    LiveKit has closed the empty room."""
    try:
        listed = await livekit.room.list_participants(api.ListParticipantsRequest(room=room))
    except api.TwirpError as error:
        if error.code == api.TwirpErrorCode.NOT_FOUND:
            return {}
        raise
    return {p.identity: p.kind for p in listed.participants}


async def interviews_held(metrics_port: str) -> float:
    """What the worker's ``mocksy_voice_agent_worker_sessions`` gauge says now."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
    for line in text.splitlines():
        if line.startswith("mocksy_voice_agent_worker_sessions"):
            return float(line.split()[-1])
    return 0.0


def available_again(log: str) -> bool:
    """Whether livekit-agents' last word on the worker's capacity in ``log`` is "available"."""
    full = log.rfind(FULL)
    return full >= 0 and log.rfind(AVAILABLE) > full


async def test_an_interviewer_waits_for_a_vanished_candidate_then_frees_its_slot(
    drill: Drill,  # noqa: F811
) -> None:
    drill.api.start()
    worker = drill.worker(
        MOCKSY_VOICE_CANDIDATE_AWAY_S=str(AWAY_S),
        # One slot: the resume below is only taken if the vanished candidate's was freed.
        MOCKSY_VOICE_MAX_SESSIONS="1",
    )
    worker.start()
    await ready(drill, drill.api)
    await ready(drill, worker)
    interview = Interview(
        id=f"away-iv-{drill.run}",
        user_id=drill.grace.user_id,
        created_at=datetime.now(UTC).replace(microsecond=0),
        source="api",
        role="backend",
        interview_type="technical",
        level="mid",
        tech_stack=["python"],
        questions=QUESTIONS,
    )
    await announce(drill, interview)
    joined = await start_session(drill, interview)
    session_id, room = joined["session_id"], joined["room"]
    livekit = api.LiveKitAPI(
        drill.servers.livekit_url.replace("ws", "http", 1),
        drill.servers.livekit_api_key,
        drill.servers.livekit_api_secret,
    )
    candidate = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CANDIDATE),
        joined["livekit_url"],
        joined["token"],
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert candidate.stdout is not None
        line = await asyncio.wait_for(candidate.stdout.readline(), 60)
        assert line.strip() == b"joined", line

        # The interviewer is in the room and has asked the first question.
        async def asked() -> bool:
            turns = (await drill.session(session_id))["turns"]
            return any(t["kind"] == "question" for t in turns)

        await eventually(asked, within=120, what="the first question asked")
        in_room = await participants(livekit, room)
        assert in_room.get(drill.grace.user_id) == api.ParticipantInfo.Kind.STANDARD
        assert api.ParticipantInfo.Kind.AGENT in in_room.values()
        first = await drill.sessions.get(session_id)
        assert first is not None
        assert first.state == "active"
        metrics_port = worker.env["MOCKSY_VOICE_WORKER_METRICS_PORT"]
        assert await interviews_held(metrics_port) == 1

        candidate.kill()
        await candidate.wait()
        killed_at = time.monotonic()

        async def candidate_gone() -> bool:
            return drill.grace.user_id not in await participants(livekit, room)

        await eventually(
            candidate_gone, every=0.25, within=DROP_NOTICED_WITHIN_S, what="LiveKit noticing"
        )
        gone_at = time.monotonic()
        # Meanwhile the interviewer stays, waiting for the candidate to rejoin...
        assert api.ParticipantInfo.Kind.AGENT in (await participants(livekit, room)).values()
        assert (await drill.session(session_id))["state"] == "active"

        async def interviewer_left() -> bool:
            return not await participants(livekit, room)

        # ...then gives up, leaves the room and frees its slot.
        await eventually(interviewer_left, every=0.25, within=AWAY_S + 30, what="it leaving")
        waited_s = time.monotonic() - gone_at
        assert waited_s >= AWAY_S - 1.0, f"left {waited_s:.1f} s after the candidate"

        async def interrupted() -> bool:
            return (await drill.session(session_id))["state"] == "interrupted"

        await eventually(interrupted, within=30, what="the session interrupted")
        after = await drill.sessions.get(session_id)
        assert after is not None
        # What was stored stays (a prompt to the silent candidate may have come after it).
        assert after.turns[: len(first.turns)] == first.turns

        async def slot_free() -> bool:
            return await interviews_held(metrics_port) == 0

        await eventually(slot_free, within=30, what="the worker's interview count back to 0")
        assert worker.process is not None
        assert worker.process.poll() is None, "the worker itself goes on"
        # ...and tells LiveKit it takes interviews again (a dispatch before that is dropped).
        await eventually(
            lambda: available_again(worker.log.read_text(errors="replace")),
            within=30,
            what="the worker available again",
        )
    finally:
        if candidate.returncode is None:
            candidate.kill()
            await candidate.wait()

    # The candidate comes back later: the same worker (one slot) takes the resumed session.
    async with httpx.AsyncClient(base_url=drill.api_url, timeout=30) as http:
        resumed = await http.post(f"/sessions/{session_id}/resume", headers=drill.grace.headers)
    assert resumed.status_code == 200, resumed.text
    back = rtc.Room()
    await back.connect(resumed.json()["livekit_url"], resumed.json()["token"])
    try:

        async def active_again() -> bool:
            record = await drill.sessions.get(session_id)
            return record is not None and record.state == "active"

        await eventually(active_again, within=120, what="the resumed session taken")
        assert api.ParticipantInfo.Kind.AGENT in (await participants(livekit, room)).values()
        again = await drill.sessions.get(session_id)
        assert again is not None
        assert again.worker_id == first.worker_id
    finally:
        await back.disconnect()
        await livekit.aclose()
    print(
        f"vanished candidate: LiveKit noticed {gone_at - killed_at:.1f} s after the kill; the "
        f"interviewer left {waited_s:.1f} s after that (away time {AWAY_S:.0f} s); the same "
        f"worker took the resume"
    )

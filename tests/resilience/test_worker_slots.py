"""A voice worker's slots, on the real stack: freed when a candidate vanishes, and waited for
when every one is taken.

- A candidate who vanishes mid-interview (their process SIGKILLed: no goodbye reaches LiveKit)
  and does not come back: the interviewer waits ``candidate_away_s`` in the room for them to
  rejoin, then leaves; the session is ``interrupted`` with its transcript intact, the worker's
  slot is free again, and the resume is taken by that same one-slot worker.
- A candidate who starts an interview while the only worker is full: LiveKit drops the
  dispatch, the candidate waits in an empty room, and the sessions API's sweeper dispatches the
  interviewer again until the worker has a free slot and takes it.

Same harness as the worker kill drill (its ``drill`` fixture: the sessions API and a real
``mocksy-voice worker start`` as subprocesses on the real LiveKit, Kafka, Keycloak and
MongoDB-compatible server, with names of their own; ``redispatch_after_s`` 3 s), with one slot.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx
import pytest
from livekit import api, rtc

from tests.resilience.faults import ServiceProcess, eventually
from tests.resilience.test_voice_worker_kill import (  # noqa: F401  (fixtures used by name)
    Drill,
    announced_interview,
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


async def metric(base_url: str, name: str) -> float | None:
    """The value of the unlabelled sample ``name`` on ``base_url``/metrics (None: not there)."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"{base_url}/metrics")).text
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[-1])
    return None


async def interviews_held(metrics_port: str) -> float:
    """What the worker's ``mocksy_voice_agent_worker_sessions`` gauge says now (no sample: 0,
    as when no job process is alive to report one)."""
    url = f"http://127.0.0.1:{metrics_port}"
    return await metric(url, "mocksy_voice_agent_worker_sessions") or 0.0


def capacity(log: str) -> str | None:
    """livekit-agents' last word on the worker's capacity in ``log``: "full", "available" or
    None (nothing said yet)."""
    full, available = log.rfind(FULL), log.rfind(AVAILABLE)
    if full < 0 and available < 0:
        return None
    return "full" if full > available else "available"


def livekit_api(drill: Drill) -> api.LiveKitAPI:  # noqa: F811
    return api.LiveKitAPI(
        drill.servers.livekit_url.replace("ws", "http", 1),
        drill.servers.livekit_api_key,
        drill.servers.livekit_api_secret,
    )


async def one_slot_worker(drill: Drill, **settings: str) -> ServiceProcess:  # noqa: F811
    """The sessions API and one worker with one slot, both ready."""
    drill.api.start()
    worker = drill.worker(MOCKSY_VOICE_MAX_SESSIONS="1", **settings)
    worker.start()
    await ready(drill, drill.api)
    await ready(drill, worker)
    return worker


async def state_of(drill: Drill, session_id: str) -> str | None:  # noqa: F811
    record = await drill.sessions.get(session_id)
    return None if record is None else record.state


async def test_an_interviewer_waits_for_a_vanished_candidate_then_frees_its_slot(
    drill: Drill,  # noqa: F811
) -> None:
    # One slot: the resume below is only taken if the vanished candidate's was freed.
    worker = await one_slot_worker(drill, MOCKSY_VOICE_CANDIDATE_AWAY_S=str(AWAY_S))
    interview = await announced_interview(drill, "away")
    joined = await start_session(drill, interview)
    session_id, room = joined["session_id"], joined["room"]
    livekit = livekit_api(drill)
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
    finally:
        if candidate.returncode is None:
            candidate.kill()
            await candidate.wait()

    # The candidate comes back: the same worker (one slot) takes the resumed session. (Should
    # the resume reach LiveKit before the worker has told it of its free slot, the dispatch is
    # dropped and the sweeper sends another.)
    async with httpx.AsyncClient(base_url=drill.api_url, timeout=30) as http:
        resumed = await http.post(f"/sessions/{session_id}/resume", headers=drill.grace.headers)
    assert resumed.status_code == 200, resumed.text
    back = rtc.Room()
    await back.connect(resumed.json()["livekit_url"], resumed.json()["token"])
    try:

        async def active_again() -> bool:
            return await state_of(drill, session_id) == "active"

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


async def test_a_candidate_who_starts_while_every_worker_is_full_gets_the_next_free_one(
    drill: Drill,  # noqa: F811
) -> None:
    worker = await one_slot_worker(drill)
    first_interview = await announced_interview(drill, "full-a")
    second_interview = await announced_interview(drill, "full-b")
    livekit = livekit_api(drill)
    first, second = rtc.Room(), rtc.Room()
    try:
        # The first interview takes the worker's only slot.
        a = await start_session(drill, first_interview)
        await first.connect(a["livekit_url"], a["token"])

        async def first_taken() -> bool:
            log = worker.log.read_text(errors="replace")
            return await state_of(drill, a["session_id"]) == "active" and capacity(log) == "full"

        await eventually(first_taken, within=120, what="the first session taken, the worker full")

        # The second is dispatched to nobody: LiveKit drops it, and the sweeper's tries too.
        b = await start_session(drill, second_interview)
        await second.connect(b["livekit_url"], b["token"])
        waiting_from = time.monotonic()
        await asyncio.sleep(10)  # over three of the sweeper's tries
        assert await state_of(drill, b["session_id"]) == "created"
        assert list((await participants(livekit, b["room"])).values()) == [
            api.ParticipantInfo.Kind.STANDARD
        ]

        # The first candidate leaves: the slot frees and the waiting candidate gets it.
        await first.disconnect()
        freed_at = time.monotonic()

        async def second_taken() -> bool:
            return await state_of(drill, b["session_id"]) == "active"

        await eventually(second_taken, within=60, what="the waiting session taken")
        arrived_s = time.monotonic() - freed_at
        assert api.ParticipantInfo.Kind.AGENT in (await participants(livekit, b["room"])).values()
        assert await state_of(drill, a["session_id"]) == "interrupted"
        tries = await metric(drill.api_url, "mocksy_voice_agent_interviewers_redispatched_total")
        assert tries is not None
        assert tries >= 1
    finally:
        await first.disconnect()
        await second.disconnect()
        await livekit.aclose()
    print(
        f"workers full: the second candidate waited {time.monotonic() - waiting_from:.1f} s in "
        f"an empty room; the interviewer arrived {arrived_s:.1f} s after the slot freed, "
        f"after {tries:.0f} dispatch(es) again"
    )

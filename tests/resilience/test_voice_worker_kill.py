"""A real interviewer worker (``mocksy-voice worker start``) killed with SIGKILL mid-interview:
the session becomes ``interrupted`` with the turns so far intact, a second worker takes it on
``resume`` at the question that has no answer yet, and the interview finishes with one
continuous transcript in ``SessionCompleted``.

The sessions API (``mocksy-voice serve``) and the workers run as subprocesses against the real
LiveKit, Kafka, Keycloak and MongoDB-compatible server, with a database, topics
(``MOCKSY_TOPIC_PREFIX``) and an interviewer agent name of their own, and shorter heartbeat
limits so the sweeper notices the dead worker within seconds. A synthetic candidate
(``ScriptedCandidate``: Piper voice, pocketsphinx ear) speaks the answers into the room.
Nothing is stopped but the test's own processes: it can run on the shared stack.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from common.events import (
    INTERVIEW_CREATED,
    SESSION_COMPLETED,
    Interview,
    InterviewCreated,
    SessionCompleted,
    Turn,
)
from common.messaging import EventPublisher, create_broker, record_headers
from common.mongo import open_client
from tests.integration.accounts import Candidate, new_candidate, realm_admin
from tests.integration.servers import Servers
from tests.integration.voice_questions import KEYWORDS, QUESTIONS
from tests.resilience.faults import ServiceProcess, eventually, free_port, stack_environment
from voice_agent.repository import MongoSessionStore
from voice_agent.speech import PiperTTS, SphinxSTT, build_language_model
from voice_agent.worker.candidate import ScriptedCandidate

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

# Printed by livekit-agents once the LiveKit server accepted the worker (dispatches before that
# are dropped).
WORKER_REGISTERED = "registered worker"
READY_WITHIN_S = 240.0
# The sweeper calls a worker dead after WORKER_TIMEOUT_S without a heartbeat.
HEARTBEAT_S = 1.0
WORKER_TIMEOUT_S = 6.0
INTERRUPTED_WITHIN_S = 60.0
# Job processes check on their worker every second.
ORPHANS_END_WITHIN_S = 30.0
INTERVIEW_WITHIN_S = 180.0

ANSWERS = {
    "q-dupes": "I would use a hash set because lookups take constant time. A value that is "
    "already in the set is a duplicate, so the time complexity is linear.",
    "q-cache": "I would put a cache in front of the database to reduce latency for repeated "
    "reads, and for cache invalidation I would delete the key when the data changes.",
}
# Said to anything else (the greeting, a follow-up, a question the candidate's ear misheard on
# a loaded machine): an answer of sorts, never "that's all", which before an answer ends the
# interview early.
ANYTHING = "I would start simple, measure it, and then improve the slowest part."


def answering(questions: Sequence[str]) -> Callable[[str], str | None]:
    """Each of ``questions`` answered once when heard, ANYTHING to any other line, and the
    closing line ends the conversation."""
    answered: set[str] = set()

    def respond(heard: str) -> str | None:
        words = set(re.findall(r"[a-z']+", heard.lower()))
        if {"feedback", "luck"} & words:
            return None
        for qid in questions:
            if qid not in answered and KEYWORDS[qid] & words:
                answered.add(qid)
                return ANSWERS[qid]
        return ANYTHING

    return respond


def interviewer_ear() -> SphinxSTT:
    """The candidate's ear, biased to what this interviewer says."""
    lines = [q.text for q in QUESTIONS] + [
        "That's the end of our interview. Thank you for your time, you'll get your feedback "
        "shortly. Good luck!",
        "Thanks, that was a clear answer. Here's the next question.",
        "Let's start with the first one.",
        "Welcome back, let's pick up where we left off.",
    ]
    ear = SphinxSTT(build_language_model(extra_sentences=lines))
    ear.prewarm()
    return ear


@dataclass
class Drill:
    """The voice API and a way to start workers, all with this run's names."""

    servers: Servers
    run: str
    env: dict[str, str]
    logs: Path
    api: ServiceProcess
    api_url: str
    prefix: str
    sessions: MongoSessionStore
    grace: Candidate
    workers: list[ServiceProcess]

    def worker(self, **settings: str) -> ServiceProcess:
        """A new worker process (not started), on ports of its own, with ``settings`` (more
        environment variables) on top of the run's."""
        n = len(self.workers) + 1
        process = ServiceProcess(
            ("mocksy-voice", "worker", "start"),
            {
                **self.env,
                "MOCKSY_VOICE_WORKER_HTTP_PORT": str(free_port()),
                "MOCKSY_VOICE_WORKER_METRICS_PORT": str(free_port()),
                **settings,
            },
            self.logs / f"worker-{n}.log",
        )
        self.workers.append(process)
        return process

    async def session(self, session_id: str) -> dict[str, Any]:
        """GET /sessions/{id} as the candidate sees it."""
        async with httpx.AsyncClient(base_url=self.api_url, timeout=30) as http:
            answer = await http.get(f"/sessions/{session_id}", headers=self.grace.headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


async def topics(servers: Servers, names: list[str], *, delete: bool = False) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    try:
        if delete:
            await admin.delete_topics(names)
        else:
            await admin.create_topics(
                [NewTopic(name, num_partitions=1, replication_factor=1) for name in names]
            )
    finally:
        await admin.close()


@pytest.fixture
async def drill(servers: Servers, tmp_path: Path) -> AsyncIterator[Drill]:
    run = uuid.uuid4().hex[:8]
    prefix = f"kill.{run}."
    port = free_port()
    database = f"voice_kill_{run}"
    env = {
        **stack_environment(servers),
        "LIVEKIT_URL": servers.livekit_url,
        "LIVEKIT_API_KEY": servers.livekit_api_key,
        "LIVEKIT_API_SECRET": servers.livekit_api_secret,
        "MOCKSY_TOPIC_PREFIX": prefix,
        "MOCKSY_VOICE_SERVICE_NAME": f"voice-kill-{run}",
        "MOCKSY_VOICE_DATABASE": database,
        "MOCKSY_VOICE_HTTP_PORT": str(port),
        # Only this run's workers take this run's sessions.
        "MOCKSY_VOICE_AGENT_NAME": f"kill-interviewer-{run}",
        "MOCKSY_VOICE_HEARTBEAT_INTERVAL_S": str(HEARTBEAT_S),
        "MOCKSY_VOICE_WORKER_TIMEOUT_S": str(WORKER_TIMEOUT_S),
        "MOCKSY_VOICE_SWEEP_INTERVAL_S": "1",
        # A candidate left in a room without an interviewer gets one dispatched again soon.
        "MOCKSY_VOICE_REDISPATCH_AFTER_S": "3",
        "MOCKSY_VOICE_DRAIN_TIMEOUT_S": "5",
        "PYTHONUNBUFFERED": "1",
    }
    names = [prefix + INTERVIEW_CREATED, prefix + SESSION_COMPLETED]
    await topics(servers, names)
    admin = realm_admin(servers)
    grace = await new_candidate(servers, admin, "worker-kill")
    api = ServiceProcess(("mocksy-voice", "serve"), env, tmp_path / "voice-api.log")
    async with open_client(servers.mongodb_uri, f"resilience-worker-kill-{run}") as mongo:
        drill = Drill(
            servers,
            run,
            env,
            tmp_path,
            api,
            f"http://127.0.0.1:{port}",
            prefix,
            MongoSessionStore(mongo[database]["sessions"]),
            grace,
            [],
        )
        try:
            yield drill
        finally:
            for process in (*drill.workers, api):
                process.stop()
                if process.process is not None:
                    # A killed worker's job processes, should any outlive it (same group).
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.process.pid, signal.SIGKILL)
            await mongo.drop_database(database)
            await admin.a_delete_user(grace.user_id)
            await topics(servers, names, delete=True)


async def ready(drill: Drill, process: ServiceProcess) -> None:
    """Until the API answers /readyz, or a worker has registered with LiveKit."""

    async def check() -> bool:
        if process.process is not None and process.process.poll() is not None:
            pytest.fail(f"{process.command} exited:\n{process.output()}", pytrace=False)
        if process is not drill.api:
            return WORKER_REGISTERED in process.log.read_text(errors="replace")
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                return (await http.get(f"{drill.api_url}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(check, within=READY_WITHIN_S, what=f"{' '.join(process.command)} ready")


async def announce(drill: Drill, interview: Interview) -> None:
    """InterviewCreated on this run's topic, as the interview builder publishes it."""
    event = InterviewCreated(data=interview)
    broker = create_broker(drill.servers.kafka_bootstrap_servers, service=f"kill-{drill.run}")
    async with broker:
        await broker.start()
        await EventPublisher(broker).publish_record(
            drill.prefix + event.topic,
            event.key,
            event.to_record_value(),
            record_headers(event.event_type, event.correlation_id),
        )


async def announced_interview(drill: Drill, name: str) -> Interview:
    """A new interview of QUESTIONS for the drill's candidate, announced on the run's topic."""
    interview = Interview(
        id=f"{name}-{drill.run}",
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
    return interview


async def start_session(drill: Drill, interview: Interview) -> dict[str, str]:
    """POST /interviews/{id}/sessions, once the API's copy of the interview has arrived."""
    answer: httpx.Response | None = None

    async def started() -> bool:
        nonlocal answer
        async with httpx.AsyncClient(base_url=drill.api_url, timeout=30) as http:
            answer = await http.post(
                f"/interviews/{interview.id}/sessions", headers=drill.grace.headers
            )
        return answer.status_code == 201

    await eventually(started, within=60, what="a session of the announced interview")
    assert answer is not None
    body: dict[str, str] = answer.json()
    return body


async def completed_events(drill: Drill, session_id: str) -> list[dict[str, Any]]:
    """Every SessionCompleted of ``session_id`` on this run's topic (read from the start)."""
    reader = AIOKafkaConsumer(
        drill.prefix + SESSION_COMPLETED,
        bootstrap_servers=drill.servers.kafka_bootstrap_servers,
        group_id=f"kill-reader-{drill.run}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(60):
            while not found:
                for batch in (await reader.getmany(timeout_ms=500)).values():
                    for record in batch:
                        value: dict[str, Any] = json.loads(record.value)
                        if value["data"]["session_id"] == session_id:
                            found.append(value)
        for batch in (await reader.getmany(timeout_ms=3000)).values():
            found += [json.loads(r.value) for r in batch]
    finally:
        await reader.stop()
    return [v for v in found if v["data"]["session_id"] == session_id]


def worker_children(group: int) -> set[int]:
    """The job processes of the worker that led process group ``group``: the processes of the
    group forked by another one of it (multiprocessing's fork server forks the jobs)."""
    members = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after it
            pid, rest = stat.read_text().split(" (", 1)
        except OSError:
            continue  # ended meanwhile
        fields = rest.rsplit(") ", 1)[1].split()
        if int(fields[2]) == group:
            members[int(pid)] = int(fields[1])
    return {pid for pid, parent in members.items() if parent in members}


async def test_a_worker_killed_mid_interview_leaves_a_resumable_session_finished_by_another(
    drill: Drill,
) -> None:
    drill.api.start()
    first_worker = drill.worker()
    first_worker.start()
    ear_ready = asyncio.create_task(asyncio.to_thread(interviewer_ear))
    await ready(drill, drill.api)
    await ready(drill, first_worker)
    ear = await ear_ready

    interview = await announced_interview(drill, "kill-iv")
    joined = await start_session(drill, interview)
    session_id = joined["session_id"]

    # First worker: the candidate answers the first question; the worker dies right after.
    # (On a loaded machine its ear may miss the question: whatever it says then is the answer.)
    candidate = ScriptedCandidate(PiperTTS(), ear, answering(["q-dupes"]))
    await candidate.join(joined["livekit_url"], joined["token"])
    talking = asyncio.create_task(candidate.interview(within_s=INTERVIEW_WITHIN_S))

    async def first_answer_stored() -> bool:
        if talking.done():
            talking.result()  # re-raises what ended the conversation early
            pytest.fail("the conversation ended before the first answer was stored")
        turns = (await drill.session(session_id))["turns"]
        return any(t["kind"] == "answer" and t["question_id"] == "q-dupes" for t in turns)

    await eventually(
        first_answer_stored, within=INTERVIEW_WITHIN_S, what="the first answer in the transcript"
    )
    record = await drill.sessions.get(session_id)
    assert record is not None
    assert record.state == "active"
    first_worker_id = record.worker_id
    assert first_worker.process is not None
    group = first_worker.process.pid
    job_processes = worker_children(group)
    assert job_processes, "the worker runs its interviews in job processes of its own"
    status = first_worker.kill()
    killed_at = time.monotonic()
    talking.cancel()
    await candidate.leave()
    assert status == -signal.SIGKILL
    # Whatever the worker had stored when it died is what the transcript keeps.
    at_kill = [Turn.model_validate(t) for t in (await drill.session(session_id))["turns"]]

    async def interrupted() -> bool:
        return (await drill.session(session_id))["state"] == "interrupted"

    await eventually(interrupted, within=INTERRUPTED_WITHIN_S, what="the session interrupted")
    interrupted_s = time.monotonic() - killed_at
    view = await drill.session(session_id)
    before = [Turn.model_validate(t) for t in view["turns"]]
    assert before == at_kill
    assert any(t.kind == "answer" and t.question_id == "q-dupes" for t in before)
    # Its job processes notice the worker is gone and exit (before, they all stayed, the one
    # with the interview in the room, so a resume dispatched nobody).
    await eventually(
        lambda: not (worker_children(group) & job_processes),
        within=ORPHANS_END_WITHIN_S,
        what="the killed worker's job processes ended",
    )
    orphans_s = time.monotonic() - killed_at

    # A second worker; the candidate resumes and finishes the interview with it.
    second_worker = drill.worker()
    second_worker.start()
    await ready(drill, second_worker)
    async with httpx.AsyncClient(base_url=drill.api_url, timeout=30) as http:
        resumed = await http.post(f"/sessions/{session_id}/resume", headers=drill.grace.headers)
    assert resumed.status_code == 200, resumed.text
    rejoined = resumed.json()
    candidate = ScriptedCandidate(PiperTTS(), ear, answering(["q-cache"]))
    await candidate.join(rejoined["livekit_url"], rejoined["token"])
    resumed_at = time.monotonic()
    talking = asyncio.create_task(candidate.interview(within_s=INTERVIEW_WITHIN_S))

    async def completed() -> bool:
        # The session's state says when the interview is over: the candidate's own ear may
        # mishear the closing line on a loaded machine and keep waiting for another question.
        if (await drill.session(session_id))["state"] == "completed":
            return True
        if talking.done() and talking.exception() is not None:
            heard = [h.text for h in candidate.heard]
            pytest.fail(f"the resumed conversation broke off ({talking.exception()!r}): {heard}")
        return False

    try:
        await eventually(
            completed, within=INTERVIEW_WITHIN_S + 30, what="the resumed session completed"
        )
    finally:
        talking.cancel()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await talking
        await candidate.leave()
    finished_s = time.monotonic() - resumed_at
    after = [Turn.model_validate(t) for t in (await drill.session(session_id))["turns"]]
    record = await drill.sessions.get(session_id)
    assert record is not None
    assert record.worker_id is not None
    assert record.worker_id != first_worker_id

    # Nothing stored before the kill was lost or rewritten, and the new worker went on at the
    # question without an answer: an answered question is never asked again (a follow-up on it
    # may come first), the unanswered one is answered now, and the interview closes.
    assert after[: len(before)] == before
    resumed = after[len(before) :]
    answered_before = {t.question_id for t in before if t.kind == "answer"}
    assert answered_before == {"q-dupes"}
    assert not [t for t in resumed if t.kind == "question" and t.question_id in answered_before]
    assert any(t.kind == "question" and t.question_id == "q-cache" for t in after)
    assert any(t.kind == "answer" and t.question_id == "q-cache" for t in resumed)
    assert [t.kind for t in after if t.speaker == "interviewer"][-1] == "closing"
    print(f"\nheard after resuming: {[h.text for h in candidate.heard]}")

    events = await completed_events(drill, session_id)
    assert len({e["event_id"] for e in events}) == 1
    announced = SessionCompleted.model_validate(events[0])
    assert announced.data.outcome == "completed"
    assert list(announced.data.turns) == after
    print(
        f"worker SIGKILL drill: killed with {len(before)} turns stored (first answer in); "
        f"interrupted {interrupted_s:.1f}s later (worker timeout {WORKER_TIMEOUT_S:.0f}s); "
        f"its {len(job_processes)} job process(es) gone by {orphans_s:.1f}s after the kill; "
        f"resumed on a second worker and "
        f"completed {finished_s:.1f}s after rejoining; {len(after)} turns in one "
        f"SessionCompleted ({len(events)} record(s))"
    )

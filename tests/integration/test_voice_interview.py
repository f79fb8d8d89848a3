"""A whole voice interview on the real stack: the interviewer worker with the offline speech stack
against the real LiveKit server, a scripted candidate speaking Piper audio into the room, the
transcript stored turn by turn in the MongoDB-compatible server, and SessionCompleted on Kafka.

The session is made through the sessions API (Keycloak user, InterviewCreated from Kafka), which
dispatches the interviewer under an agent name only this test's worker registers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
from collections.abc import AsyncIterator, Callable

import pytest
from livekit.agents import AgentServer, JobExecutorType

from common.events import InterviewCreated, Question, SessionCompleted
from tests.integration.servers import Servers
from tests.integration.test_voice_sessions import (  # noqa: F401  (fixtures used by name)
    Candidate,
    VoiceStack,
    candidates,
    new_interview,
    publish,
    read_completed,
    voice,
    wait_for_copy,
)
from tests.integration.voice_questions import KEYWORDS, QUESTIONS
from voice_agent.domain import BackchannelRules
from voice_agent.speech import PiperTTS, SphinxSTT, build_language_model, word_error_rate
from voice_agent.worker.candidate import ScriptedCandidate
from voice_agent.worker.main import build_server
from voice_agent.worker.settings import InterviewerSettings

logger = logging.getLogger(__name__)

ANSWERS: dict[str, list[str]] = {
    "q-dupes": [
        "I would use a hash set because lookups take constant time. I put each value in the "
        "set, and a value that is already in the set is a duplicate, so the time complexity "
        "is linear."
    ],
    # A long answer with three pauses to think in the middle of a sentence: none ends it, and
    # each is long enough, far enough into the answer and from the last clip to get a clip.
    "q-cache": [
        "I would put a cache in front of the database to reduce latency for repeated reads and "
        "then",
        "the same data is read from memory instead of from the database, so",
        "the database does less work and the reads are faster, and",
        "for cache invalidation I would delete the key when the data changes.",
    ],
}
# Said to any follow-up: after an answer it means "that is my answer", and the interview moves on.
ENOUGH = "That's all I have on that question."


def answering(
    questions: list[Question],
) -> tuple[Callable[[str], str | list[str] | None], list[str]]:
    """A script: each question answered once, ENOUGH to anything else, stop at the closing."""
    said: list[str] = []
    answered: set[str] = set()

    def respond(heard: str) -> str | list[str] | None:
        words = set(re.findall(r"[a-z']+", heard.lower()))
        if {"feedback", "luck"} & words:
            return None  # the closing line
        for question in questions:
            qid = question.question_id
            if qid not in answered and len(KEYWORDS[qid] & words) >= 1:
                answered.add(qid)
                said.append(" ".join(ANSWERS[qid]))
                return ANSWERS[qid]
        said.append(ENOUGH)
        return ENOUGH

    return respond, said


def interviewer_ear(questions: list[Question]) -> SphinxSTT:
    """The candidate's ear: it knows what an interviewer says in this interview."""
    lines = [q.text for q in questions] + [
        "That's the end of our interview. Thank you for your time, you'll get your feedback "
        "shortly. Good luck!",
        "Thanks, that was a clear answer. Here's the next question.",
        "Let's start with the first one.",
        "Welcome back, let's pick up where we left off.",
    ]
    ear = SphinxSTT(build_language_model(extra_sentences=lines))
    ear.prewarm()
    return ear


async def start_session(
    servers: Servers,
    voice: VoiceStack,  # noqa: F811
    candidate: Candidate,
) -> dict[str, str]:
    """Publish an interview of QUESTIONS for ``candidate`` and start a session of it through the
    sessions API: its answer (session_id, livekit_url, token)."""
    interview = new_interview(candidate.user_id).model_copy(update={"questions": QUESTIONS})
    path = f"/interviews/{interview.id}/sessions"
    # Unknown until InterviewCreated reaches the service's own copy.
    assert (await voice.client.post(path, headers=candidate.headers)).status_code == 404
    await publish(servers, InterviewCreated(data=interview))
    await wait_for_copy(voice.interviews, interview.id)
    started = await voice.client.post(path, headers=candidate.headers)
    assert started.status_code == 201, started.text
    body: dict[str, str] = started.json()
    return body


@pytest.fixture
async def worker(servers: Servers, voice: VoiceStack) -> AsyncIterator[AgentServer]:  # noqa: F811
    """The interviewer worker in this process (jobs in threads), registered for this test only."""
    settings = InterviewerSettings.model_validate(
        {
            "mongodb_uri": servers.mongodb_uri,
            "livekit_url": servers.livekit_url,
            "livekit_api_key": servers.livekit_api_key,
            "livekit_api_secret": servers.livekit_api_secret,
            "agent_name": voice.settings.agent_name,
            # Two: a resumed session's job may arrive while the dropped one is still ending.
            "max_sessions": 2,
            "worker_metrics_port": None,
        }
    )
    server = build_server(settings, executor=JobExecutorType.THREAD, http_port=0)
    registered = asyncio.Event()
    server.on("worker_registered", lambda *_: registered.set())
    running = asyncio.create_task(server.run(devmode=True))
    try:
        # LiveKit drops a dispatch that no registered worker can take: register first.
        async with asyncio.timeout(60):
            await registered.wait()
        yield server
    finally:
        await server.aclose()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await running


async def test_a_spoken_interview_from_join_to_session_completed(
    servers: Servers,
    voice: VoiceStack,  # noqa: F811
    candidates: list[Candidate],  # noqa: F811
    worker: AgentServer,
) -> None:
    body = await start_session(servers, voice, candidates[0])
    session_id = body["session_id"]

    respond, said = answering(QUESTIONS)
    ear = await asyncio.to_thread(interviewer_ear, QUESTIONS)
    candidate = ScriptedCandidate(PiperTTS(), ear, respond)
    await asyncio.sleep(3)  # the interviewer waits for the candidate to arrive
    await candidate.join(body["livekit_url"], body["token"])
    try:
        await candidate.interview(within_s=180)
    except TimeoutError:
        stored = await voice.sessions.get(session_id)
        pytest.fail(
            f"the interview did not end in time; heard {[h.text for h in candidate.heard]}, "
            f"stored {[(t.kind, t.text) for t in stored.turns] if stored else None}"
        )
    finally:
        await candidate.leave()

    # Polled: the worker finishes the session on its own after the closing line.
    async with asyncio.timeout(30):
        while True:
            record = await voice.sessions.get(session_id)
            if record is not None and record.finished:
                break
            await asyncio.sleep(0.5)
    assert record.state == "completed"
    # The greeting was not spoken to an empty room: the candidate heard it.
    assert {"interview", "start", "first"} & set(candidate.heard[0].text.split())
    kinds = [t.kind for t in record.turns if t.speaker == "interviewer"]
    assert kinds[0] == "greeting"
    assert kinds[-1] == "closing"
    assert kinds.count("question") == 2
    # The interviewer listened through the pause and said "mhm" (or the like) on its own track.
    backchannels = [t for t in record.turns if t.kind == "backchannel"]
    print(f"back-channels: {[t.text for t in backchannels]}")
    assert backchannels
    # ...and the candidate heard them on the background track inside the pause, never in the
    # silence after an answer (from its last word to the interviewer's reply).
    for clip in candidate.backchannels:
        print(f"back-channel heard at {clip.started_at:.2f}-{clip.ended_at:.2f}")
    for exchange in candidate.exchanges:
        after = exchange.finished_speaking_at
        reply = exchange.reply_started_at or float("inf")
        late = [c for c in candidate.backchannels if after < c.started_at < reply]
        assert not late, f"back-channel after the answer {exchange.answer[:40]!r} ended"
    # Each pause inside the long answer gets one. The answer is made so that no rule holds a
    # clip back: the first pause comes after the quiet start, a pause and the part after it
    # outlast the minimum gap, and there are no more pauses than the cap.
    rules = BackchannelRules()
    pauses = [
        (a, b)
        for a, b in itertools.pairwise(candidate.spoken)
        if (a.text, b.text) in itertools.pairwise(ANSWERS["q-cache"])
    ]
    assert len(pauses) == len(ANSWERS["q-cache"]) - 1 <= rules.max_per_answer
    assert pauses[0][0].ended_at - pauses[0][0].started_at >= rules.quiet_start_ms / 1000
    assert all(b.ended_at - a.ended_at >= rules.min_gap_ms / 1000 for a, b in pauses[:-1])
    for a, b in pauses:
        clips = [c for c in candidate.backchannels if a.ended_at < c.started_at < b.started_at]
        print(
            f"pause after {a.text[-30:]!r}: clips at "
            f"{[round(c.started_at - a.ended_at, 2) for c in clips]} s"
        )
        assert len(clips) == 1, f"{len(clips)} back-channels in the pause after {a.text!r}"

    heard = [t for t in record.turns if t.speaker == "candidate"]
    assert len(heard) == len(said)
    rates = []
    for spoken, turn in zip(said, heard, strict=True):
        rate = word_error_rate(spoken, turn.text)
        rates.append(rate)
        print(f"WER {rate:.2f} conf {turn.stt_confidence}: said {spoken!r} / stored {turn.text!r}")
    mean = sum(rates) / len(rates)
    print(f"candidate turns: {len(rates)}, mean WER {mean:.3f}")
    assert mean <= 0.35
    for exchange in candidate.exchanges:
        print(f"heard a reply {exchange.reply_delay_s:.2f}s after: {exchange.answer[:40]!r}")
    assert all(e.reply_delay_s is not None for e in candidate.exchanges)

    events = await read_completed(servers, session_id)
    # Delivery is at-least-once (another `serve` on the shared stack may relay the same outbox
    # entry): one announcement is one event id, however often it arrives.
    assert len({e["event_id"] for e in events}) == 1
    completed = SessionCompleted.model_validate(events[0])
    assert completed.data.outcome == "completed"
    assert [t.text for t in completed.data.turns] == [t.text for t in record.turns]


async def wait_for_state(voice: VoiceStack, session_id: str, states: set[str]) -> None:  # noqa: F811
    # Polled: the worker changes the state on its own.
    record = None
    try:
        async with asyncio.timeout(30):
            while True:
                record = await voice.sessions.get(session_id)
                if record is not None and record.state in states:
                    return
                await asyncio.sleep(0.5)
    except TimeoutError:
        turns = [] if record is None else [(t.speaker, t.kind, t.text) for t in record.turns]
        state = None if record is None else record.state
        pytest.fail(f"session never became {states} (still {state!r}); turns: {turns}")


async def test_a_dropped_candidate_resumes_where_they_left_off(
    servers: Servers,
    voice: VoiceStack,  # noqa: F811
    candidates: list[Candidate],  # noqa: F811
    worker: AgentServer,
) -> None:
    grace = candidates[0]
    started = await start_session(servers, voice, grace)
    session_id = started["session_id"]
    ear = await asyncio.to_thread(interviewer_ear, QUESTIONS)

    # First visit: answer the first question, then drop as soon as the second one is asked.
    # The candidate's own ear may mishear a line, so the drop follows what the session stored,
    # and nothing that could end the interview is said to a line it did not recognise.
    answered_first: list[str] = []

    def until_second_question(heard: str) -> str | list[str] | None:
        words = set(re.findall(r"[a-z']+", heard.lower()))
        if answered_first and KEYWORDS["q-cache"] & words:
            return None
        if not answered_first:
            if KEYWORDS["q-dupes"] & words:
                answered_first.append("q-dupes")
                return ANSWERS["q-dupes"]
            return []  # the greeting before the question, or a line misheard: keep listening
        return ENOUGH  # a follow-up on the first answer

    async def second_question_asked() -> None:
        while True:
            record = await voice.sessions.get(session_id)
            if record is not None and any(
                t.kind == "question" and t.question_id == "q-cache" for t in record.turns
            ):
                return
            await asyncio.sleep(0.2)

    first = ScriptedCandidate(PiperTTS(), ear, until_second_question)
    await first.join(started["livekit_url"], started["token"])
    visit = asyncio.create_task(first.interview(within_s=120))
    asked = asyncio.create_task(second_question_asked())
    try:
        await asyncio.wait({visit, asked}, return_when=asyncio.FIRST_COMPLETED)
        if visit.done():
            visit.result()  # the candidate's own reason to stop, or its error
    finally:
        for task in (visit, asked):
            task.cancel()
        await asyncio.gather(visit, asked, return_exceptions=True)
        await first.leave()
    await wait_for_state(voice, session_id, {"interrupted"})
    before = await voice.sessions.get(session_id)
    assert before is not None
    print(f"heard before the drop: {[h.text for h in first.heard]}")
    print(f"stored before the drop: {[(t.kind, t.question_id) for t in before.turns]}")
    assert [t.kind for t in before.turns if t.speaker == "interviewer"][-1] == "question"

    # Back again: the interviewer welcomes them back and asks the second question again.
    resumed = await voice.client.post(f"/sessions/{session_id}/resume", headers=grace.headers)
    assert resumed.status_code == 200, resumed.text
    respond, said = answering(QUESTIONS)
    second = ScriptedCandidate(PiperTTS(), ear, respond)
    await second.join(resumed.json()["livekit_url"], resumed.json()["token"])
    try:
        await second.interview(within_s=120)
    finally:
        await second.leave()
    print(f"heard after resuming: {[h.text for h in second.heard]}")
    assert "welcome" in second.heard[0].text.split()
    await wait_for_state(voice, session_id, {"completed"})
    after = await voice.sessions.get(session_id)
    assert after is not None
    assert after.turns[: len(before.turns)] == before.turns  # nothing stored was lost
    questions = [t.question_id for t in after.turns if t.kind == "question"]
    assert questions == ["q-dupes", "q-cache"]
    # Whatever the scripted candidate made of the audio (its own recognizer decides which
    # answer to read), what it said after the resume is filed under the resumed question.
    assert said, "the candidate said nothing after resuming"
    resumed_answers = [
        t
        for t in after.turns[len(before.turns) :]
        if t.speaker == "candidate" and t.kind == "answer"
    ]
    assert resumed_answers
    # The interviewer picks up at the first question without a stored answer: usually the
    # second one, but the first again when the drop came before its answer was heard.
    answered_before = {t.question_id for t in before.turns if t.kind == "answer"}
    unanswered = {q.question_id for q in QUESTIONS} - answered_before
    assert "q-cache" in unanswered
    assert {t.question_id for t in resumed_answers} == unanswered

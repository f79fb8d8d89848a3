"""The whole journey, as a candidate and an integration meet Mocksy, through public APIs only.

Every service runs as its own process (``mocksy_services``). A candidate signs up through the
auth API, sets up an interview by chatting with the builder, starts a voice session, and a
synthetic candidate (Piper voice, pocketsphinx ear) takes the interview over the real LiveKit
server. An outside consumer group reads ``FeedbackReady`` from Kafka, the history API shows
the feedback and the progress, and a retake of the same interview adds a second point.

The services use topics of their own (``mocksy_services``), so the outside consumer reads this
run's events only; it still deduplicates on ``event_id`` and commits after handling, as
docs/examples/feedback_consumer.py does.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from common.events import Feedback, FeedbackReady
from mocksy_practice.api import InterviewPlan, MocksyClient, ServiceUrls
from tests.integration.mocksy_services import MocksyServices
from tests.integration.servers import Servers
from voice_agent.speech import PiperTTS, SphinxSTT, build_language_model
from voice_agent.worker.candidate import ScriptedCandidate

PASSWORD = "journey-Password-1"
# Said to a follow-up: after an answer it means "that is my answer", and the interview moves on.
ENOUGH = "That's all I have on that question."
INTERVIEWER_LINES = [
    "That's the end of our interview. Thank you for your time, you'll get your feedback "
    "shortly. Good luck!",
    "Thanks, that was a clear answer. Here's the next question.",
    "Let's start with the first one.",
    "Take your time — would you like me to repeat the question?",
    "No rush. Say 'repeat' to hear the question again, or 'skip' to move on.",
]


def client_for(services: MocksyServices) -> MocksyClient:
    """The API client ``mocksy practice`` uses, pointed at this run's services."""
    return MocksyClient(
        ServiceUrls(
            auth=services.auth_url,
            builder=services.builder_url,
            voice=services.voice_url,
            scoring=services.scoring_url,
            history=services.history_url,
        )
    )


class Stages:
    """Times each stage of the journey; a failing stage prints the services' log tails."""

    def __init__(self, services: MocksyServices) -> None:
        self.services = services
        self.seconds: dict[str, float] = {}

    @asynccontextmanager
    async def stage(self, name: str) -> AsyncIterator[None]:
        started = time.monotonic()
        try:
            yield
        except BaseException:
            print(f"\nstage failed: {name}\n{self.services.log_tails(30)}")
            raise
        self.seconds[name] = time.monotonic() - started
        print(f"stage {name}: {self.seconds[name]:.1f} s")

    def report(self) -> str:
        total = sum(self.seconds.values())
        rows = "\n".join(f"  {name:<46} {s:6.1f} s" for name, s in self.seconds.items())
        return f"journey stages:\n{rows}\n  {'total':<46} {total:6.1f} s"


class FeedbackSubscriber:
    """An outside integration: its own consumer group on the FeedbackReady topic."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"it-journey-integration-{uuid.uuid4().hex[:8]}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self.events: dict[str, list[dict[str, Any]]] = {}
        self._seen: set[str] = set()
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join the group and read in the background."""
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for record in self._consumer:
            event = json.loads(record.value)
            if event["event_id"] not in self._seen:  # at-least-once: duplicates are skipped
                self._seen.add(event["event_id"])
                self.events.setdefault(event["data"]["session_id"], []).append(event)
                self._arrived.set()
            await self._consumer.commit()

    async def feedback_of(self, session_id: str, within_s: float) -> FeedbackReady:
        """The FeedbackReady of ``session_id``, once it has arrived."""
        async with asyncio.timeout(within_s):
            while session_id not in self.events:
                self._arrived.clear()
                await self._arrived.wait()
        return FeedbackReady.model_validate(self.events[session_id][0])

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()


def answer_to(question: dict[str, Any]) -> str:
    """A spoken answer that covers the question's key points."""
    points = " ".join(f"{p.rstrip('.')}." for p in question["key_points"])
    return f"I would start from the basics. {points} That is how I would do it in production."


# Stored interviewer lines after which the candidate is expected to speak.
AWAITING_ANSWER = {"question", "follow_up", "other"}
FINISHED = {"completed", "ended_early", "failed"}


@dataclass
class Candidate:
    """Answers from what the sessions API says was asked; speaks through a ScriptedCandidate.

    The stored transcript decides when and what to say: a line is stored once the interviewer
    has finished saying it, and it says which question is open. The candidate's own ear (Piper
    audio heard through pocketsphinx) only records what came through the room.
    """

    api: MocksyClient
    plan: InterviewPlan
    session_id: str
    voice: ScriptedCandidate
    answered: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    view: dict[str, Any] = field(default_factory=dict)

    async def take_part(self) -> None:
        """Answer each line that wants an answer, until the session is over."""
        questions = {q["question_id"]: q for q in self.plan.questions}
        acted_on = -1  # index of the last stored line the candidate replied to
        replied_at = 0.0
        while True:
            self.view = await self.api.session(self.session_id)
            if self.view["state"] in FINISHED:
                return
            turns = self.view["turns"]
            index, line = next(
                ((i, t) for i, t in reversed(list(enumerate(turns))) if t["kind"] != "backchannel"),
                (-1, None),
            )
            # Lines stored before the last reply was heard ("take your time" while it was being
            # said) are stale; a reply the interviewer never stored stops counting after a while.
            heard_all = sum(t["speaker"] == "candidate" for t in turns) >= len(self.said)
            wants_answer = (
                line is not None
                and line["speaker"] == "interviewer"
                and line["kind"] in AWAITING_ANSWER
                and index > acted_on
                and (heard_all or time.monotonic() - replied_at > 20)
            )
            if wants_answer:
                acted_on = index
                qid = (self.view.get("current_question") or {}).get("question_id")
                if qid in questions and qid not in self.answered:
                    self.answered.append(qid)
                    reply = answer_to(questions[qid])
                else:
                    reply = ENOUGH  # "that is my answer": the interview moves on
                await asyncio.sleep(0.5)  # the line's last audio is still on its way
                await self.voice.say(reply)
                self.said.append(reply)
                replied_at = time.monotonic()
            await asyncio.sleep(0.3)


def listening_only(heard: str) -> list[str]:
    """The ScriptedCandidate's script: listen, and leave the answering to ``Candidate``."""
    return []


async def take_interview(
    api: MocksyClient, plan: InterviewPlan, ear: SphinxSTT
) -> tuple[str, list[str]]:
    """Start a session, join it as the synthetic candidate and answer until the closing."""
    join = await api.start_session(plan.interview_id)
    voice = ScriptedCandidate(PiperTTS(), ear, listening_only)
    candidate = Candidate(api, plan, join.session_id, voice)
    await voice.join(join.livekit_url, join.token)
    listening = asyncio.create_task(voice.interview(within_s=600))
    try:
        async with asyncio.timeout(300):
            await candidate.take_part()
    except TimeoutError:
        pytest.fail(
            f"the interview did not end in time; heard {[h.text for h in voice.heard]}, "
            f"stored {[(t['kind'], t['text']) for t in candidate.view.get('turns', [])]}"
        )
    finally:
        listening.cancel()
        with suppress(asyncio.CancelledError, TimeoutError):
            await listening
        await voice.leave()
    turns = candidate.view["turns"]
    print(f"heard: {[h.text for h in voice.heard]}")
    print(f"stored: {[(t['speaker'], t['kind'], t['text'][:60]) for t in turns]}")
    assert candidate.view["state"] == "completed", candidate.view["state"]
    # The greeting came through the room: the candidate's ear heard the interviewer.
    assert voice.heard
    return join.session_id, candidate.answered


def ear_for(plan: InterviewPlan) -> SphinxSTT:
    """The candidate's ear: it knows what an interviewer says in this interview."""
    lines = [q["text"] for q in plan.questions] + INTERVIEWER_LINES
    # Follow-ups ask about key points the answer missed, in the question's or a template's words.
    for question in plan.questions:
        lines += question.get("follow_ups", [])
        lines += [f"Could you tell me a bit about {p.rstrip('.')}?" for p in question["key_points"]]
    ear = SphinxSTT(build_language_model(extra_sentences=lines))
    ear.prewarm()
    return ear


async def points_in_progress(api: MocksyClient) -> int:
    """How many graded attempts the progress series holds."""
    progress = await api.progress()
    return len(progress["all"]["overall"]["points"])


async def test_sign_up_set_up_interview_feedback_and_a_retake(
    servers: Servers,
    mocksy_services: MocksyServices,
) -> None:
    stages = Stages(mocksy_services)
    subscriber = FeedbackSubscriber(
        servers.kafka_bootstrap_servers, mocksy_services.topic(FeedbackReady)
    )
    email = f"journey-{uuid.uuid4().hex[:10]}@example.com"
    async with client_for(mocksy_services) as api:
        async with stages.stage("sign up and sign in (auth API)"):
            user_id = await api.register(email, PASSWORD, "Journey Candidate")
            await api.sign_in(email, PASSWORD)
            assert (await api.me())["user_id"] == user_id

        async with stages.stage("set up the interview by chat (builder API)"):
            reply = await api.start_setup("I'd like to practise for a backend role")
            assert reply.slots["role"] == "backend"
            for text in ("mid level", "technical please", "python"):
                reply = await api.send_setup_message(reply.setup_id, text)
            assert reply.missing == []
            # A correction after the summary, then the candidate accepts.
            reply = await api.send_setup_message(
                reply.setup_id, "actually make it senior, and 2 questions"
            )
            assert (reply.slots["level"], reply.slots["question_count"]) == ("senior", 2)
            assert not reply.done
            reply = await api.send_setup_message(reply.setup_id, "yes, sounds good")
            assert reply.done, reply.reply
            plan = await api.confirm_setup(reply.setup_id)
            assert (plan.role, plan.level, plan.interview_type) == (
                "backend",
                "senior",
                "technical",
            )
            assert plan.tech_stack == ["python"]
            assert len(plan.questions) == 2

        async with stages.stage("outside consumer joins FeedbackReady (Kafka)"):
            await subscriber.start()
        try:
            ear = await asyncio.to_thread(ear_for, plan)
            attempts: list[tuple[str, Feedback]] = []
            for attempt in (1, 2):
                async with stages.stage(f"attempt {attempt}: spoken interview (LiveKit)"):
                    session_id, answered = await take_interview(api, plan, ear)
                    assert answered == [q["question_id"] for q in plan.questions]
                async with stages.stage(f"attempt {attempt}: FeedbackReady read from Kafka"):
                    event = await subscriber.feedback_of(session_id, within_s=120)
                    assert event.data.user_id == user_id
                    assert event.data.interview_id == plan.interview_id
                async with stages.stage(f"attempt {attempt}: feedback in history API"):
                    feedback = await api.wait_for_feedback(session_id, within_s=120)
                    assert feedback.feedback_id == event.data.feedback_id
                    assert feedback.gradable, feedback.warnings
                    assert feedback.overall_score is not None
                    assert {q.question_id for q in feedback.questions} == set(answered)
                    # Progress is a read model of its own: it catches up on its own.
                    async with asyncio.timeout(60):
                        while True:
                            if await points_in_progress(api) >= attempt:
                                break
                            await asyncio.sleep(0.5)
                attempts.append((session_id, feedback))
        finally:
            await subscriber.stop()

        async with stages.stage("history after the retake"):
            listed = await api.attempts(plan.interview_id)
            assert {item["session_id"] for item in listed["items"]} == {s for s, _ in attempts}
            progress = await api.progress()
            points = progress["all"]["overall"]["points"]
            assert [p["score"] for p in points] == [f.overall_score for _, f in attempts]
    print(stages.report())
    for session_id, feedback in attempts:
        print(f"session {session_id}: overall {feedback.overall_score}/100")

"""The three LLM paths of Mocksy, each run the way its service wires it, against any
OpenAI-compatible server: the interview builder's setup-message reader (through its API), the
interviewer's follow-up re-wording, and the scoring judge."""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from common.events import Feedback, Question, Transcript
from common.testing.identity import FakeIdentityProvider
from interview_builder.app import create_app as create_builder
from interview_builder.llm import ChatCompletions, LLMCallError, OpenAISlotExtractor
from interview_builder.settings import BuilderSettings
from interview_builder.testing import InMemoryDatabase
from scoring.app import build_judge
from scoring.domain.rubric import RubricScorer
from scoring.scorer import SessionScorer
from scoring.settings import ScoringSettings
from voice_agent.domain import FollowUpReason, FollowUpRequest, RuleBasedPhraser
from voice_agent.worker.providers import follow_up_rewriter
from voice_agent.worker.settings import InterviewerSettings

SESSION = Path(__file__).resolve().parents[2] / "services/scoring/tests/fixtures/mixed_session.json"
SETUP_MESSAGE = "I'm a senior backend engineer, give me a technical interview on python and redis"
_FALLBACKS = re.compile(
    r'^mocksy_interview_builder_llm_fallbacks_total\{reason="(\w+)",task="setup_message"\} '
    r"([0-9.]+)$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class SetupReading:
    """What the builder's API answered to one setup message, and the fallbacks it counted."""

    status: int
    slots: dict[str, object]
    fallback_reasons: list[str]


async def read_setup_message(
    base_url: str, model: str, *, timeout_s: float, text: str = SETUP_MESSAGE
) -> SetupReading:
    """Start a setup chat with ``text`` on a builder whose LLM is at ``base_url``."""
    realm = FakeIdentityProvider()
    settings = BuilderSettings(llm_base_url=base_url, llm_model=model, llm_timeout_s=timeout_s)
    app = create_builder(settings, validator=realm.validator(), database=InMemoryDatabase())
    headers = {"Authorization": f"Bearer {realm.token(sub='user-llm-paths')}"}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://builder") as api:
            started = await api.post("/setup", json={"text": text}, headers=headers)
            metrics = (await api.get("/metrics")).text
    reasons = [reason for reason, count in _FALLBACKS.findall(metrics) if float(count) > 0]
    return SetupReading(started.status_code, started.json().get("slots", {}), reasons)


async def prime_setup_prompt(base_url: str, model: str) -> None:
    """Have the server evaluate the builder's setup prompt once, however long that takes."""
    chat = ChatCompletions(base_url, model, timeout=600.0)
    try:
        with contextlib.suppress(LLMCallError):  # only the server's prompt cache matters
            await asyncio.to_thread(OpenAISlotExtractor(chat).parse, "hello")
    finally:
        await asyncio.to_thread(chat.close)


INDEX_QUESTION = Question(
    question_id="q-index",
    text="How does a database index speed up queries, and when would you not add one?",
    kind="technical",
    topic="database indexing",
    key_points=[
        "Explains that an index avoids a full table scan",
        "Mentions B-tree lookups in logarithmic time",
        "Explains the cost of indexes on writes and storage",
    ],
)
FOLLOW_UP = FollowUpRequest(
    question=INDEX_QUESTION,
    reason=FollowUpReason.MISSED_KEY_POINT,
    key_point="Explains the cost of indexes on writes and storage",
    prepared=None,
    answer_so_far="An index lets the database find the rows without reading the whole table.",
    number=1,
    variant=0,
)


@dataclass(frozen=True)
class FollowUpWording:
    """The policy's own line for ``FOLLOW_UP`` and the line the interviewer would speak."""

    policy_line: str
    spoken: str


async def word_follow_up(base_url: str, model: str, *, timeout_s: float | None) -> FollowUpWording:
    """Re-word the policy's follow-up with the worker's LLM settings pointing at ``base_url``.

    ``timeout_s`` None keeps the worker's own budget for a spoken reply.
    """
    settings = InterviewerSettings(
        livekit_api_key="devkey",
        livekit_api_secret="unused-by-this-test",
        speech="openai",
        # The worker re-words follow-ups only with OpenAI-compatible speech; STT and TTS are
        # not used here.
        openai_stt_base_url=base_url,
        openai_tts_base_url=base_url,
        openai_llm_base_url=base_url,
        openai_llm_model=model,
    )
    rewriter = follow_up_rewriter(settings)
    assert rewriter is not None, "an LLM model is configured, so the worker re-words follow-ups"
    if timeout_s is not None:
        rewriter.timeout_s = timeout_s
    line = RuleBasedPhraser().phrase(FOLLOW_UP)
    try:
        return FollowUpWording(line, await rewriter.reword(FOLLOW_UP, line))
    finally:
        await rewriter.model.aclose()


def sample_session() -> Transcript:
    """A graded mixed interview (two questions answered, one follow-up)."""
    return Transcript.model_validate_json(SESSION.read_text())


@dataclass(frozen=True)
class Judgement:
    """The feedback the scoring service would publish, and the judge failures it counted."""

    feedback: Feedback
    fallback_reasons: list[str]


def _judge_settings(base_url: str, model: str, timeout_s: float) -> ScoringSettings:
    return ScoringSettings(
        judge="llm", llm_base_url=base_url, llm_model=model, llm_timeout_s=timeout_s
    )


async def judge_session(base_url: str, model: str, *, timeout_s: float) -> Judgement:
    """Score the sample session with the scoring service's LLM judge at ``base_url``."""
    judge = build_judge(_judge_settings(base_url, model, timeout_s))
    assert judge is not None
    reasons: list[str] = []
    scorer = SessionScorer(RubricScorer(), mode="llm", judge=judge, on_fallback=reasons.append)
    try:
        return Judgement(await scorer.score(sample_session()), reasons)
    finally:
        await judge.aclose()

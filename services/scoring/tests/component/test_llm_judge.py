"""The LLM judge against an OpenAI-compatible server written here with httpx.MockTransport.

The server answers like a real one (a forced function call, or JSON content), or badly:
garbage, a timeout, HTTP 500, a wrong schema, quotes the candidate never said. Every bad answer
must end in the offline rubric's feedback with a warning saying what happened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from common.events import CATEGORIES, Feedback, Transcript
from scoring.domain.rubric import RubricScorer
from scoring.judge import OpenAICompatibleJudge, judge_json_schema
from scoring.scorer import SessionScorer
from scoring.settings import JudgeMode, StructuredOutput
from services.scoring.tests.conftest import InterviewKit

BASE_URL = "http://llm.test/v1"
MODEL = "judge-model"

# Quotes as an LLM writes them: case and punctuation changed, the words the candidate's own.
REAL_QUOTES = {
    "technical_knowledge": ["a b-tree index keeps keys sorted, so a lookup is logarithmic"],
    "problem_solving": ["First I'd measure the latency with tracing"],
    "communication": ["The trade-off is freshness against speed"],
    "cultural_fit": ["we agreed on a compromise"],
    "confidence": ["I'd skip it on tiny tables"],
}
INVENTED_QUOTES: dict[str, list[str]] = {
    name: ["I have ten years of Kubernetes experience"] for name in CATEGORIES
}


def judgement(scores: dict[str, int], quotes: dict[str, list[str]]) -> dict[str, Any]:
    """A judgement that satisfies the schema."""
    return {
        "categories": {
            name: {
                "score": scores[name],
                "rationale": f"The judge's view of {name.replace('_', ' ')}.",
                "evidence": quotes.get(name, []),
            }
            for name in CATEGORIES
        },
        "strengths": ["Names concrete trade-offs."],
        "improvements": ["Say how you would measure the result."],
        "final_assessment": "A solid mid-level performance.",
    }


def completion_with_call(arguments: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call-1",
                            "type": "function",
                            "function": {
                                "name": "submit_interview_feedback",
                                "arguments": arguments
                                if isinstance(arguments, str)
                                else json.dumps(arguments),
                            },
                        }
                    ],
                },
            }
        ],
    }


def completion_with_content(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
    }


Reply = Callable[[dict[str, Any]], httpx.Response]


@dataclass
class LlmServer:
    """An OpenAI-compatible chat completions endpoint; ``reply`` decides what it answers."""

    reply: Reply
    requests: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/v1/chat/completions" or request.method != "POST":
            return httpx.Response(404, json={"error": {"message": "not found"}})
        body = json.loads(request.content)
        self.requests.append(body)
        return self.reply(body)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def answers(payload: dict[str, Any]) -> Reply:
    return lambda _: httpx.Response(200, json=payload)


def valid(scores: int = 90, quotes: dict[str, list[str]] = REAL_QUOTES) -> Reply:
    return answers(completion_with_call(judgement(dict.fromkeys(CATEGORIES, scores), quotes)))


def scorer_for(
    server: LlmServer,
    mode: JudgeMode,
    *,
    blend_weight: float = 0.5,
    output: StructuredOutput = "tool_call",
    fallbacks: list[str] | None = None,
) -> SessionScorer:
    judge = OpenAICompatibleJudge(
        BASE_URL, MODEL, timeout_s=2.0, output=output, transport=server.transport()
    )
    return SessionScorer(
        RubricScorer(),
        mode=mode,
        judge=judge,
        blend_weight=blend_weight,
        on_fallback=(fallbacks.append if fallbacks is not None else None),
    )


@pytest.fixture
def transcript(kit: InterviewKit) -> Transcript:
    return kit.answered().build()


@pytest.fixture
def offline(transcript: Transcript) -> Feedback:
    return RubricScorer().score(transcript)


async def test_llm_mode_replaces_category_scores_and_quotes_the_transcript_verbatim(
    transcript: Transcript, offline: Feedback
) -> None:
    server = LlmServer(valid(scores=90))
    feedback = await scorer_for(server, "llm").score(transcript)

    assert feedback.scorer.engine == "llm-judge"
    assert feedback.scorer.version == f"llm-judge/1/{MODEL}"
    assert {c: s.score for c, s in feedback.categories.items()} == dict.fromkeys(CATEGORIES, 90)
    assert feedback.overall_score == 90
    # The stored quote is the candidate's own text, not the judge's re-punctuated copy.
    assert feedback.categories["technical_knowledge"].evidence == [
        "A B-tree index keeps keys sorted, so a lookup is logarithmic"
    ]
    assert feedback.final_assessment == "A solid mid-level performance."
    assert feedback.questions == offline.questions
    assert feedback.speech == offline.speech
    assert feedback.feedback_id != offline.feedback_id
    [request] = server.requests
    assert request["model"] == MODEL
    assert request["tool_choice"]["function"]["name"] == "submit_interview_feedback"
    assert "ten years" not in request["messages"][1]["content"]
    assert (
        "Candidate: Without an index the database has to scan" in request["messages"][1]["content"]
    )


async def test_blend_is_the_weighted_mean_of_judge_and_rubric(
    transcript: Transcript, offline: Feedback
) -> None:
    feedback = await scorer_for(LlmServer(valid(scores=20)), "blend", blend_weight=0.25).score(
        transcript
    )

    assert feedback.scorer.engine == "blend"
    for name in CATEGORIES:
        expected = round(0.25 * 20 + 0.75 * offline.categories[name].score)
        assert feedback.categories[name].score == expected, name
        assert "LLM judge:" in feedback.categories[name].rationale
    assert feedback.overall_score is not None
    assert offline.overall_score is not None
    assert feedback.overall_score < offline.overall_score
    assert feedback.strengths == offline.strengths


@pytest.mark.parametrize(
    ("reply", "reason", "says"),
    [
        (lambda _: httpx.Response(500, json={"error": "boom"}), "http_error", "server returned"),
        (
            answers(completion_with_content("Great candidate, 9/10!")),
            "invalid_json",
            "not answer in JSON",
        ),
        (lambda _: httpx.Response(200, text="<html>gateway</html>"), "invalid_json", "JSON"),
        (
            answers(completion_with_call({"categories": {}, "final_assessment": "ok"})),
            "schema_mismatch",
            "schema",
        ),
        (
            answers(completion_with_call(judgement(dict.fromkeys(CATEGORIES, 150), REAL_QUOTES))),
            "schema_mismatch",
            "schema",
        ),
        (valid(quotes=INVENTED_QUOTES), "invented_evidence", "quotes do not occur"),
        (valid(quotes={}), "no_evidence", "quoted nothing"),
    ],
    ids=["http-500", "prose", "html", "empty-schema", "score-out-of-range", "invented", "none"],
)
async def test_a_bad_answer_falls_back_to_the_offline_rubric_with_a_warning(
    transcript: Transcript, offline: Feedback, reply: Reply, reason: str, says: str
) -> None:
    fallbacks: list[str] = []
    server = LlmServer(reply)
    feedback = await scorer_for(server, "blend", fallbacks=fallbacks).score(transcript)

    assert len(server.requests) == 1
    assert fallbacks == [reason]
    assert feedback.scorer.engine == "offline-rubric"
    assert feedback.categories == offline.categories
    assert feedback.overall_score == offline.overall_score
    assert feedback.warnings[:-1] == offline.warnings
    assert "LLM judge could not be used" in feedback.warnings[-1]
    assert says in feedback.warnings[-1]


async def test_a_server_that_never_answers_falls_back_after_the_timeout(
    transcript: Transcript, offline: Feedback
) -> None:
    def hang(_: dict[str, Any]) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    fallbacks: list[str] = []
    feedback = await scorer_for(LlmServer(hang), "llm", fallbacks=fallbacks).score(transcript)

    assert fallbacks == ["timeout"]
    assert feedback.scorer.engine == "offline-rubric"
    assert feedback.overall_score == offline.overall_score
    assert "did not answer in time" in feedback.warnings[-1]


async def test_an_unreachable_server_falls_back(transcript: Transcript) -> None:
    def refuse(_: dict[str, Any]) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    feedback = await scorer_for(LlmServer(refuse), "llm").score(transcript)
    assert feedback.scorer.engine == "offline-rubric"


async def test_invented_quotes_are_dropped_and_the_real_ones_kept(
    transcript: Transcript, offline: Feedback
) -> None:
    mixed = {
        **REAL_QUOTES,
        "confidence": ["I led a team of forty engineers at Google"],
        "communication": [*REAL_QUOTES["communication"], "I am the best communicator here"],
    }
    feedback = await scorer_for(LlmServer(valid(quotes=mixed)), "llm").score(transcript)

    assert feedback.scorer.engine == "llm-judge"
    assert feedback.categories["communication"].evidence == [
        "The trade-off is freshness against speed"
    ]
    # A category left without a real quote keeps the rubric's quotes rather than none.
    rubric_quotes = offline.categories["confidence"].evidence
    assert rubric_quotes
    assert feedback.categories["confidence"].evidence == rubric_quotes
    assert "quoted 2 passage(s) the candidate did not say" in feedback.warnings[-1]


async def test_a_thin_transcript_is_never_sent_to_the_llm(kit: InterviewKit) -> None:
    builder = kit.interview()
    builder.ask(kit.index).answer(kit.index, "I am not sure.")
    server = LlmServer(valid())
    feedback = await scorer_for(server, "llm").score(builder.build())

    assert server.requests == []
    assert feedback.gradable is False
    assert feedback.scorer.engine == "offline-rubric"


async def test_json_schema_mode_asks_for_the_schema_and_reads_the_content(
    transcript: Transcript,
) -> None:
    content = json.dumps(judgement(dict.fromkeys(CATEGORIES, 70), REAL_QUOTES))
    server = LlmServer(answers(completion_with_content(content)))
    feedback = await scorer_for(server, "llm", output="json_schema").score(transcript)

    assert feedback.scorer.engine == "llm-judge"
    assert feedback.overall_score == 70
    [request] = server.requests
    assert "tools" not in request
    assert request["response_format"]["json_schema"]["schema"] == judge_json_schema()


def test_the_schema_sent_to_the_server_has_no_references() -> None:
    schema = judge_json_schema()
    assert "$ref" not in json.dumps(schema)
    assert schema["required"] == ["categories", "strengths", "improvements", "final_assessment"]
    assert schema["properties"]["categories"]["required"] == list(CATEGORIES)
    assert schema["additionalProperties"] is False


async def test_offline_mode_never_calls_the_llm(transcript: Transcript, offline: Feedback) -> None:
    server = LlmServer(valid())
    feedback = await scorer_for(server, "offline").score(transcript)
    assert server.requests == []
    assert feedback == offline


async def test_length_bounds_left_out_of_the_grammar_still_hold_for_the_answer(
    transcript: Transcript, offline: Feedback
) -> None:
    # llama.cpp cannot turn bounds of hundreds of characters into a grammar, so the schema
    # the server sees has none; an over-long answer is still refused.
    assert "maxLength" not in json.dumps(judge_json_schema())
    answer = judgement(dict.fromkeys(CATEGORIES, 80), REAL_QUOTES)
    answer["strengths"] = ["Names concrete trade-offs. " * 20]
    fallbacks: list[str] = []
    server = LlmServer(answers(completion_with_call(answer)))
    feedback = await scorer_for(server, "llm", fallbacks=fallbacks).score(transcript)

    assert fallbacks == ["schema_mismatch"]
    assert feedback.scorer.engine == offline.scorer.engine

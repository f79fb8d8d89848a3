"""Questions written by an LLM: checked against the setup, and the bank when they do not fit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from interview_builder.domain.bank import load_bank
from interview_builder.domain.generation import InterviewGenerator
from interview_builder.domain.slots import SetupSlots
from interview_builder.llm import (
    QUESTIONS_FUNCTION,
    ChatCompletions,
    FallbackQuestionSource,
    LLMCallError,
    OpenAIQuestionWriter,
    WrittenInterview,
)

MIXED = SetupSlots(
    role="backend",
    interview_type="mixed",
    level="senior",
    question_count=4,
    tech_stack=["python", "kafka"],
)


def written(text: str, kind: str = "technical", technology: str | None = None) -> dict[str, Any]:
    return {
        "text": text,
        "kind": kind,
        "topic": "topic of " + text[:20],
        "technology": technology,
        "key_points": ["names the trade-off", "gives an example", "measures the outcome"],
        "follow_ups": ["What would you do differently?"],
    }


GOOD = [
    written("How does the GIL affect a CPU-bound Python service?", technology="python"),
    written("Tell me about a time you disagreed with a design decision.", "behavioral"),
    written("How do Kafka consumer groups share partitions?", technology="Kafka"),
    written("Describe a project you owned from start to finish.", "behavioral"),
]


class WritingServer:
    """A chat-completions endpoint that answers with the given questions."""

    def __init__(self, reply: Callable[[httpx.Request], httpx.Response]) -> None:
        self.reply = reply
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return self.reply(request)


def answering(questions: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    call = {"name": QUESTIONS_FUNCTION, "arguments": json.dumps({"questions": questions})}
    body = {"choices": [{"message": {"tool_calls": [{"type": "function", "function": call}]}}]}
    return lambda _: httpx.Response(200, json=body)


def writer_for(server: WritingServer) -> OpenAIQuestionWriter:
    client = httpx.Client(transport=httpx.MockTransport(server))
    return OpenAIQuestionWriter(ChatCompletions("http://llm.test", "smollm2", client=client))


def test_written_questions_fit_the_setup_and_open_with_a_behavioral_one() -> None:
    server = WritingServer(answering(GOOD))

    questions = writer_for(server).generate(MIXED, seed=42)

    assert [q.kind for q in questions] == ["behavioral", "technical"] * 2
    assert questions[1].text == GOOD[0]["text"]
    assert all(q.question_id.startswith("llm-") for q in questions)
    assert len({q.question_id for q in questions}) == 4
    body = server.bodies[0]
    assert body["seed"] == 42
    # The model's schema goes to the server without string length bounds (llama.cpp's grammar
    # parser fails on long ones); the answer is still validated with them.
    sent = json.dumps(body["tools"][0]["function"]["parameters"], sort_keys=True)
    schema = json.dumps(WrittenInterview.model_json_schema(), sort_keys=True)
    assert "maxLength" in schema
    assert sent == re.sub(r'"maxLength": \d+, ', "", schema)
    assert body["tool_choice"]["function"]["name"] == QUESTIONS_FUNCTION
    request = body["messages"][-1]["content"]
    assert "2 behavioral and 2 technical" in request
    assert "python, kafka" in request


def test_the_same_written_question_keeps_its_id_across_interviews() -> None:
    first = writer_for(WritingServer(answering(GOOD))).generate(MIXED, seed=1)
    second = writer_for(WritingServer(answering(list(reversed(GOOD))))).generate(MIXED, seed=2)

    assert {q.text: q.question_id for q in first} == {q.text: q.question_id for q in second}


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(answering(GOOD[:3]), "schema_mismatch", id="too-few"),
        pytest.param(
            answering([*GOOD[:3], written("Explain Python generators.", technology="python")]),
            "schema_mismatch",
            id="wrong-split",
        ),
        pytest.param(
            answering(
                [*GOOD[:2], written("Explain Python decorators.", technology="python"), GOOD[3]]
            ),
            "schema_mismatch",
            id="kafka-uncovered",
        ),
        pytest.param(
            answering([*GOOD[:2], written("Explain Go channels.", technology="go"), GOOD[3]]),
            "schema_mismatch",
            id="outside-the-stack",
        ),
        pytest.param(answering([*GOOD[:3], GOOD[1]]), "schema_mismatch", id="repeated"),
        pytest.param(
            answering([{**GOOD[0], "key_points": ["only one"]}, *GOOD[1:]]),
            "schema_mismatch",
            id="one-key-point",
        ),
        pytest.param(_timeout, "timeout", id="timeout"),
        pytest.param(lambda _: httpx.Response(500), "http_error", id="500"),
        pytest.param(lambda _: httpx.Response(200, text="nope"), "invalid_json", id="garbage"),
    ],
)
def test_questions_that_do_not_fit_fall_back_to_the_bank(
    reply: Callable[[httpx.Request], httpx.Response], reason: str
) -> None:
    server = WritingServer(reply)
    with pytest.raises(LLMCallError) as raised:
        writer_for(server).generate(MIXED, seed=3)
    assert raised.value.reason == reason

    reasons: list[str] = []
    bank = InterviewGenerator(load_bank())
    source = FallbackQuestionSource(writer_for(server), bank, on_fallback=reasons.append)

    assert source.generate(MIXED, 3, ["some-old-question"]) == bank.generate(
        MIXED, 3, ["some-old-question"]
    )
    assert reasons == [reason]

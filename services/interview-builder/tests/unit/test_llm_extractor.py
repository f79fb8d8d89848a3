"""The LLM slot extractor against a chat-completions server written here, and its fallback."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from interview_builder.domain.setup_parser import SetupParser
from interview_builder.domain.slots import SlotUpdate
from interview_builder.llm import (
    SLOTS_FUNCTION,
    ChatCompletions,
    FallbackExtractor,
    LLMCallError,
    OpenAISlotExtractor,
    WrittenInterview,
    completions_url,
    function_tool,
)

Reply = Callable[[httpx.Request], httpx.Response]


def tool_call(arguments: Any, name: str = SLOTS_FUNCTION) -> dict[str, Any]:
    """A chat completion whose message is one function call, as OpenAI sends it."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
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
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                },
            }
        ],
    }


class ChatServer:
    """An OpenAI-compatible `/v1/chat/completions` endpoint that answers as told."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path != "/v1/chat/completions":
            return httpx.Response(404, json={"error": "not found"})
        return self.reply(request)

    def body(self, index: int = -1) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.requests[index].content)
        return body


def answering(arguments: Any, *, name: str = SLOTS_FUNCTION) -> Reply:
    return lambda _: httpx.Response(200, json=tool_call(arguments, name))


def extractor_for(server: ChatServer, **options: Any) -> OpenAISlotExtractor:
    client = httpx.Client(transport=httpx.MockTransport(server))
    chat = ChatCompletions("http://llm.test", "smollm2", client=client, timeout=0.5, **options)
    return OpenAISlotExtractor(chat)


class FallbackLog:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    def __call__(self, reason: str) -> None:
        self.reasons.append(reason)


def test_a_valid_tool_call_becomes_the_slot_update() -> None:
    arguments = {"role": "backend", "level": "senior", "tech_stack": ["Postgres", "golang"]}
    server = ChatServer(answering(json.dumps(arguments)))
    extractor = extractor_for(server, api_key=SecretStr("sk-test"))

    update = extractor.parse("senior backend with postgres and go", expecting="role")

    assert update == SlotUpdate(role="backend", level="senior", tech_stack=["postgresql", "go"])
    request = server.requests[0]
    assert request.headers["authorization"] == "Bearer sk-test"
    body = server.body()
    assert body["model"] == "smollm2"
    assert body["messages"][-1] == {
        "role": "user",
        "content": "senior backend with postgres and go",
    }
    assert "just asked for the role" in body["messages"][0]["content"]
    [tool] = body["tools"]
    assert tool["function"]["name"] == SLOTS_FUNCTION
    assert tool["function"]["parameters"] == SlotUpdate.model_json_schema()
    assert body["tool_choice"] == {"type": "function", "function": {"name": SLOTS_FUNCTION}}


def test_arguments_sent_as_an_object_are_accepted_too() -> None:
    server = ChatServer(answering({"interview_type": "mixed", "confirmation": True}))

    update = extractor_for(server).parse("a mix, yes")

    assert update == SlotUpdate(interview_type="mixed", confirmation=True)
    assert "just asked" not in server.body()["messages"][0]["content"]
    assert "authorization" not in server.requests[0].headers


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/chat/completions"),
        ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1/chat/completions"),
        ("https://llm.example/openai/v1", "https://llm.example/openai/v1/chat/completions"),
    ],
)
def test_base_url_with_or_without_v1(base_url: str, expected: str) -> None:
    assert completions_url(base_url) == expected


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(_timeout, "timeout", id="timeout"),
        pytest.param(_refused, "http_error", id="connection-refused"),
        pytest.param(lambda _: httpx.Response(500, text="boom"), "http_error", id="500"),
        pytest.param(lambda _: httpx.Response(200, text="<html>"), "invalid_json", id="garbage"),
        pytest.param(answering("{role: backend"), "invalid_json", id="arguments-not-json"),
        pytest.param(
            lambda _: httpx.Response(
                200, json={"choices": [{"message": {"role": "assistant", "content": "Sure!"}}]}
            ),
            "no_tool_call",
            id="plain-text-answer",
        ),
        pytest.param(answering("{}", name="other_function"), "no_tool_call", id="wrong-function"),
        pytest.param(answering({"question_count": 50}), "schema_mismatch", id="count-over-20"),
        pytest.param(answering({"role": "designer"}), "schema_mismatch", id="unknown-role"),
        pytest.param(answering({"tech_stack": ["cobol"]}), "schema_mismatch", id="unknown-tech"),
        pytest.param(answering({"question_count": "6"}), "schema_mismatch", id="count-as-text"),
        pytest.param(answering({"mood": "happy"}), "schema_mismatch", id="extra-field"),
    ],
)
def test_every_failure_falls_back_to_the_rule_parser(reply: Reply, reason: str) -> None:
    server = ChatServer(reply)
    with pytest.raises(LLMCallError) as raised:
        extractor_for(server).parse("senior backend, 6 questions on python")
    assert raised.value.reason == reason

    fallbacks = FallbackLog()
    extractor = FallbackExtractor(extractor_for(server), SetupParser(), on_fallback=fallbacks)
    update = extractor.parse("senior backend, 6 questions on python")

    assert update == SetupParser().parse("senior backend, 6 questions on python")
    assert update.question_count == 6
    assert fallbacks.reasons == [reason]


def test_no_fallback_is_reported_when_the_llm_answers() -> None:
    fallbacks = FallbackLog()
    server = ChatServer(answering({"level": "junior"}))
    extractor = FallbackExtractor(extractor_for(server), SetupParser(), on_fallback=fallbacks)

    assert extractor.parse("I'm just starting out").level == "junior"
    assert fallbacks.reasons == []


def test_an_unexpected_error_in_the_llm_path_still_falls_back() -> None:
    class Broken:
        def parse(self, text: str, expecting: object = None) -> SlotUpdate:
            raise RuntimeError("bug")

    fallbacks = FallbackLog()
    extractor = FallbackExtractor(Broken(), SetupParser(), on_fallback=fallbacks)

    assert extractor.parse("frontend").role == "frontend"
    assert fallbacks.reasons == ["other"]


def test_the_tool_schema_has_no_string_length_bounds_that_a_grammar_cannot_hold() -> None:
    tool = function_tool("record_interview_questions", "Record them.", WrittenInterview)
    assert "maxLength" not in json.dumps(tool)
    # The model that validates the arguments keeps its bounds.
    assert "maxLength" in json.dumps(WrittenInterview.model_json_schema())

"""The API with an LLM configured: its answers are used, and any failure falls back."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager

from common.testing.identity import FakeIdentityProvider
from interview_builder.app import create_app
from interview_builder.domain.bank import load_bank
from interview_builder.domain.generation import InterviewGenerator
from interview_builder.domain.setup_parser import SetupParser
from interview_builder.llm import (
    QUESTIONS_FUNCTION,
    SLOTS_FUNCTION,
    ChatCompletions,
    FallbackExtractor,
    FallbackQuestionSource,
    OpenAIQuestionWriter,
    OpenAISlotExtractor,
)
from interview_builder.settings import BuilderSettings
from interview_builder.testing import InMemoryDatabase

ADA = "user-ada"
Headers = Callable[[str], dict[str, str]]
StartApi = Callable[..., Awaitable[httpx.AsyncClient]]


class ChatServer:
    """A chat-completions endpoint that understands one sentence the rule parser cannot."""

    def __init__(self) -> None:
        self.up = True
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not self.up:
            return httpx.Response(503, json={"error": "model is loading"})
        text = json.loads(request.content)["messages"][-1]["content"]
        arguments = {}
        if "ten years" in text:
            arguments = {"role": "backend", "level": "senior"}
        call = {"function": {"name": SLOTS_FUNCTION, "arguments": json.dumps(arguments)}}
        return httpx.Response(200, json={"choices": [{"message": {"tool_calls": [call]}}]})


async def test_the_llm_reading_drives_the_chat_and_failures_fall_back(
    start_api: StartApi, as_user: Headers
) -> None:
    server = ChatServer()
    fallbacks: list[str] = []
    client = httpx.Client(transport=httpx.MockTransport(server))
    llm = OpenAISlotExtractor(ChatCompletions("http://llm.test", "smollm2", client=client))
    api = await start_api(FallbackExtractor(llm, SetupParser(), on_fallback=fallbacks.append))

    started = await api.post(
        "/setup",
        json={"text": "I build APIs for a living, ten years in"},
        headers=as_user(ADA),
    )
    assert started.status_code == 201
    assert started.json()["slots"]["role"] == "backend"
    assert started.json()["slots"]["level"] == "senior"
    assert SetupParser().parse("I build APIs for a living, ten years in").level is None

    server.up = False
    setup_id = started.json()["setup_id"]
    reply = await api.post(
        f"/setup/{setup_id}/messages", json={"text": "behavioral"}, headers=as_user(ADA)
    )

    assert reply.status_code == 200
    assert reply.json()["slots"]["interview_type"] == "behavioral"
    assert fallbacks == ["http_error"]
    assert server.calls == 2


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def api_with_unreachable_llm(
    realm: FakeIdentityProvider,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = BuilderSettings(
        llm_base_url=f"http://127.0.0.1:{closed_port()}", llm_model="smollm2", llm_timeout_s=1.0
    )
    app = create_app(settings, validator=realm.validator(), database=InMemoryDatabase())
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://builder") as client:
            yield client


async def test_a_configured_but_unreachable_llm_is_counted_and_the_chat_goes_on(
    api_with_unreachable_llm: httpx.AsyncClient, as_user: Headers
) -> None:
    api = api_with_unreachable_llm
    started = await api.post(
        "/setup", json={"text": "senior backend, technical, on go"}, headers=as_user(ADA)
    )

    assert started.status_code == 201
    assert started.json()["slots"]["tech_stack"] == ["go"]
    metrics = (await api.get("/metrics")).text
    assert (
        'mocksy_interview_builder_llm_fallbacks_total{reason="http_error",task="setup_message"} 1.0'
        in metrics
    )


def test_an_llm_url_without_a_model_is_refused() -> None:
    with pytest.raises(ValueError, match="llm_model must be set"):
        BuilderSettings(llm_base_url="http://127.0.0.1:8080", llm_model=None)


class QuestionServer:
    """A chat-completions endpoint that writes a two-question Python interview."""

    def __init__(self) -> None:
        self.up = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        questions = [
            {
                "text": text,
                "kind": "technical",
                "topic": "python internals",
                "technology": "python",
                "key_points": ["explains the mechanism", "names a pitfall", "gives an example"],
                "follow_ups": ["When would you avoid it?"],
            }
            for text in ("How do Python generators save memory?", "What does the GIL protect?")
        ]
        call = {"name": QUESTIONS_FUNCTION, "arguments": json.dumps({"questions": questions})}
        return httpx.Response(
            200, json={"choices": [{"message": {"tool_calls": [{"function": call}]}}]}
        )


async def test_interviews_get_written_questions_or_bank_ones_when_the_llm_fails(
    start_api: StartApi, as_user: Headers
) -> None:
    server = QuestionServer()
    fallbacks: list[str] = []
    client = httpx.Client(transport=httpx.MockTransport(server))
    source = FallbackQuestionSource(
        OpenAIQuestionWriter(ChatCompletions("http://llm.test", "smollm2", client=client)),
        InterviewGenerator(load_bank()),
        on_fallback=fallbacks.append,
    )
    api = await start_api(questions=source)
    body = {
        "role": "backend",
        "interview_type": "technical",
        "level": "mid",
        "question_count": 2,
        "tech_stack": ["python"],
    }

    written = await api.post("/interviews", json=body, headers=as_user(ADA))
    server.up = False
    from_bank = await api.post("/interviews", json=body, headers=as_user(ADA))

    assert written.status_code == from_bank.status_code == 201
    texts = [question["text"] for question in written.json()["questions"]]
    assert texts == ["How do Python generators save memory?", "What does the GIL protect?"]
    bank_ids = [question["question_id"] for question in from_bank.json()["questions"]]
    assert len(bank_ids) == 2
    assert all(question_id in load_bank() for question_id in bank_ids)
    assert fallbacks == ["http_error"]

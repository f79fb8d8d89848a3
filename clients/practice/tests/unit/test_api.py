"""The API client against a hand-written fake of the services (an httpx transport)."""

from __future__ import annotations

import json

import httpx
import pytest

from mocksy_practice.api import MocksyApiError, MocksyClient, ServiceUrls

URLS = ServiceUrls(
    auth="http://auth", builder="http://builder", voice="http://voice", history="http://history"
)


class FakeServices:
    """Auth that issues numbered tokens and a builder that accepts only the newest one."""

    def __init__(self) -> None:
        self.issued = 0
        self.seen_tokens: list[str] = []

    def tokens(self) -> httpx.Response:
        self.issued += 1
        return httpx.Response(
            200,
            json={
                "access_token": f"access-{self.issued}",
                "refresh_token": f"refresh-{self.issued}",
                "token_type": "Bearer",
                "expires_in": 300,
                "refresh_expires_in": 1800,
            },
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in {"/auth/login", "/auth/refresh"}:
            return self.tokens()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.seen_tokens.append(token)
        if token != f"access-{self.issued}":
            return httpx.Response(401, json={"detail": "token expired"})
        if path == "/setup/s-1/messages":
            text = json.loads(request.content)["text"]
            if len(text) > 10:
                return httpx.Response(
                    422,
                    json={
                        "detail": [
                            {
                                "loc": ["body", "text"],
                                "msg": "text must hold between 1 and 10 characters",
                            }
                        ]
                    },
                )
            return httpx.Response(
                200,
                json={
                    "setup_id": "s-1",
                    "reply": "Got it: backend.",
                    "slots": {"role": "backend"},
                    "missing": ["level"],
                    "asking": "level",
                    "proposed_question_count": 5,
                    "problems": [],
                    "done": False,
                },
            )
        if path == "/history/feedback/missing":
            return httpx.Response(404, json={"detail": "no such session"})
        return httpx.Response(404, json={"detail": "not found"})


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


@pytest.fixture
def client(services: FakeServices) -> MocksyClient:
    return MocksyClient(URLS, transport=httpx.MockTransport(services))


async def test_an_expired_access_token_is_refreshed_once_and_the_call_repeated(
    client: MocksyClient, services: FakeServices
) -> None:
    await client.sign_in("ada@example.com", "pw")
    services.issued += 1  # the service moved on: the held token is stale now
    reply = await client.send_setup_message("s-1", "backend")
    assert reply.slots == {"role": "backend"}
    assert reply.missing == ["level"]
    assert client.tokens is not None
    assert client.tokens.access_token == "access-3"
    assert services.seen_tokens == ["access-1", "access-3"]


async def test_a_refused_message_names_the_field_and_the_limit(client: MocksyClient) -> None:
    await client.sign_in("ada@example.com", "pw")
    with pytest.raises(MocksyApiError) as refused:
        await client.send_setup_message("s-1", "a very long message")
    assert refused.value.status == 422
    assert str(refused.value) == (
        "setup chat: HTTP 422: text: text must hold between 1 and 10 characters"
    )


async def test_calls_before_signing_in_say_so(client: MocksyClient) -> None:
    with pytest.raises(MocksyApiError, match="sign in first"):
        await client.start_setup()


async def test_an_attempt_history_does_not_know_yet_is_none(client: MocksyClient) -> None:
    await client.sign_in("ada@example.com", "pw")
    assert await client.attempt("missing") is None


async def test_an_unreachable_service_is_named() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = MocksyClient(URLS, transport=httpx.MockTransport(refuse))
    with pytest.raises(MocksyApiError, match="cannot reach http://auth/auth/login"):
        await client.sign_in("ada@example.com", "pw")


def test_service_urls_come_from_the_environment_with_dev_defaults() -> None:
    urls = ServiceUrls.from_env({"MOCKSY_VOICE_URL": "http://voice.example:9003"})
    assert urls.voice == "http://voice.example:9003"
    assert urls.auth == "http://127.0.0.1:8001"
    assert urls.history == "http://127.0.0.1:8005"


async def test_a_session_waits_until_the_voice_agent_knows_the_new_interview() -> None:
    answers = iter([404, 404, 201])

    def voice(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/login":
            return FakeServices().tokens()
        status = next(answers)
        if status == 404:
            return httpx.Response(404, json={"detail": "interview 'i-1' not found"})
        return httpx.Response(
            201,
            json={
                "session_id": "s-1",
                "livekit_url": "ws://livekit",
                "token": "join",
                "room": "mocksy-s-1",
            },
        )

    client = MocksyClient(URLS, transport=httpx.MockTransport(voice))
    await client.sign_in("ada@example.com", "pw")
    join = await client.start_session("i-1", every_s=0.01)
    assert (join.session_id, join.token) == ("s-1", "join")


async def test_an_interview_that_never_arrives_is_reported_not_found() -> None:
    def voice(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/login":
            return FakeServices().tokens()
        return httpx.Response(404, json={"detail": "interview 'i-1' not found"})

    client = MocksyClient(URLS, transport=httpx.MockTransport(voice))
    await client.sign_in("ada@example.com", "pw")
    with pytest.raises(MocksyApiError, match="interview 'i-1' not found"):
        await client.start_session("i-1", within_s=0.05, every_s=0.01)

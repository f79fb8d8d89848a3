"""One HTTP client for Mocksy's public APIs: auth, interview builder, voice sessions, history.

``mocksy practice`` uses it, and so does the end-to-end journey test, so both walk the same
path a candidate's client walks. Access tokens live five minutes: a call answered 401 is
retried once after refreshing the token.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

import httpx

from common.events import Feedback

DEFAULT_URLS: Mapping[str, str] = {
    "auth": "http://127.0.0.1:8001",
    "builder": "http://127.0.0.1:8002",
    "voice": "http://127.0.0.1:8003",
    "scoring": "http://127.0.0.1:8004",
    "history": "http://127.0.0.1:8005",
}


@dataclass(frozen=True)
class ServiceUrls:
    """Base URLs of the services; ``make dev`` serves them on 127.0.0.1:8001-8005."""

    auth: str = DEFAULT_URLS["auth"]
    builder: str = DEFAULT_URLS["builder"]
    voice: str = DEFAULT_URLS["voice"]
    scoring: str = DEFAULT_URLS["scoring"]
    history: str = DEFAULT_URLS["history"]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceUrls:
        """The URLs from ``MOCKSY_<SERVICE>_URL`` variables, the dev defaults otherwise."""
        env = os.environ if env is None else env
        return cls(
            **{
                name: env.get(f"MOCKSY_{name.upper()}_URL") or default
                for name, default in DEFAULT_URLS.items()
            }
        )


class MocksyApiError(Exception):
    """A service refused a request; ``str()`` says which call and why, in the service's words."""

    def __init__(self, call: str, status: int, detail: str) -> None:
        super().__init__(f"{call}: HTTP {status}: {detail}")
        self.call = call
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Tokens:
    """What signing in returns."""

    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class SetupReply:
    """The setup chat's answer to one message."""

    setup_id: str
    reply: str
    done: bool
    missing: list[str]
    slots: dict[str, Any]


@dataclass(frozen=True)
class InterviewPlan:
    """An interview as the builder created it."""

    interview_id: str
    role: str
    interview_type: str
    level: str
    tech_stack: list[str]
    questions: list[dict[str, Any]]
    source: str
    parent_interview_id: str | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> InterviewPlan:
        """From the builder's interview body."""
        return cls(
            interview_id=body["id"],
            role=body["role"],
            interview_type=body["interview_type"],
            level=body["level"],
            tech_stack=list(body["tech_stack"]),
            questions=list(body["questions"]),
            source=body["source"],
            parent_interview_id=body.get("parent_interview_id"),
        )


@dataclass(frozen=True)
class SessionJoin:
    """How to join a session's room: a WebRTC client connects to ``livekit_url`` with ``token``."""

    session_id: str
    livekit_url: str
    token: str
    room: str


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):  # FastAPI validation errors: name the field and the limit
        return "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', [])[1:]) or 'body'}: {item.get('msg')}"
            for item in detail
            if isinstance(item, dict)
        )
    return str(detail)


class MocksyClient:
    """A signed-in candidate's calls to Mocksy's HTTP APIs."""

    def __init__(
        self,
        urls: ServiceUrls,
        *,
        timeout_s: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.urls = urls
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport)
        self.tokens: Tokens | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    # --- auth ------------------------------------------------------------------------------

    async def register(self, email: str, password: str, display_name: str) -> str:
        """Create an account; returns its user id."""
        body = await self._call(
            "sign up",
            "POST",
            f"{self.urls.auth}/auth/register",
            json={"email": email, "password": password, "display_name": display_name},
            signed=False,
        )
        return str(body["user_id"])

    async def sign_in(self, email: str, password: str) -> Tokens:
        """Sign in; later calls carry the access token."""
        body = await self._call(
            "sign in",
            "POST",
            f"{self.urls.auth}/auth/login",
            json={"email": email, "password": password},
            signed=False,
        )
        self.tokens = Tokens(body["access_token"], body["refresh_token"], body["expires_in"])
        return self.tokens

    async def me(self) -> dict[str, Any]:
        """Who is signed in."""
        return await self._call("who am I", "GET", f"{self.urls.auth}/auth/me")

    async def refresh(self) -> Tokens:
        """Exchange the refresh token for new tokens."""
        if self.tokens is None:
            raise MocksyApiError("refresh", 401, "not signed in")
        body = await self._call(
            "refresh",
            "POST",
            f"{self.urls.auth}/auth/refresh",
            json={"refresh_token": self.tokens.refresh_token},
            signed=False,
        )
        self.tokens = Tokens(body["access_token"], body["refresh_token"], body["expires_in"])
        return self.tokens

    # --- interview builder -----------------------------------------------------------------

    async def start_setup(self, text: str | None = None) -> SetupReply:
        """Start a setup chat (optionally with a first message)."""
        body = await self._call(
            "start the setup chat",
            "POST",
            f"{self.urls.builder}/setup",
            json={"text": text} if text else None,
        )
        return _setup_reply(body)

    async def send_setup_message(self, setup_id: str, text: str) -> SetupReply:
        """One message in the setup chat."""
        body = await self._call(
            "setup chat",
            "POST",
            f"{self.urls.builder}/setup/{setup_id}/messages",
            json={"text": text},
        )
        return _setup_reply(body)

    async def confirm_setup(self, setup_id: str) -> InterviewPlan:
        """Create the interview the chat set up."""
        body = await self._call(
            "confirm the setup", "POST", f"{self.urls.builder}/setup/{setup_id}/confirm"
        )
        return InterviewPlan.of(body)

    async def interview(self, interview_id: str) -> InterviewPlan:
        """One of your interviews."""
        body = await self._call(
            "get the interview", "GET", f"{self.urls.builder}/interviews/{interview_id}"
        )
        return InterviewPlan.of(body)

    async def retake(
        self, interview_id: str, questions: Literal["same", "new"] = "same"
    ) -> InterviewPlan:
        """A new interview from an old one: the same questions, or new ones."""
        body = await self._call(
            "retake",
            "POST",
            f"{self.urls.builder}/interviews/{interview_id}/retake",
            json={"questions": questions},
        )
        return InterviewPlan.of(body)

    # --- voice sessions --------------------------------------------------------------------

    async def start_session(
        self, interview_id: str, *, within_s: float = 120.0, every_s: float = 1.0
    ) -> SessionJoin:
        """Start a voice session of an interview: its room and a join token.

        The voice agent learns of a new interview from an event: until it has, the interview
        is not found there, so a 404 is retried for up to ``within_s``.
        """
        deadline = time.monotonic() + within_s
        while True:
            try:
                body = await self._call(
                    "start a session",
                    "POST",
                    f"{self.urls.voice}/interviews/{interview_id}/sessions",
                )
            except MocksyApiError as error:
                if error.status != 404 or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(every_s)
                continue
            return SessionJoin(body["session_id"], body["livekit_url"], body["token"], body["room"])

    async def session(self, session_id: str) -> dict[str, Any]:
        """A session's state, current question and turns."""
        return await self._call(
            "get the session", "GET", f"{self.urls.voice}/sessions/{session_id}"
        )

    # --- history ---------------------------------------------------------------------------

    async def attempt(self, session_id: str) -> dict[str, Any] | None:
        """Everything history knows about one attempt, or None while it knows nothing yet."""
        try:
            return await self._call(
                "get the feedback", "GET", f"{self.urls.history}/history/feedback/{session_id}"
            )
        except MocksyApiError as error:
            if error.status == 404:
                return None
            raise

    async def wait_for_feedback(
        self, session_id: str, *, within_s: float = 120.0, every_s: float = 1.0
    ) -> Feedback:
        """The session's feedback, once history has it (TimeoutError after ``within_s``)."""
        deadline = time.monotonic() + within_s
        while True:
            found = await self.attempt(session_id)
            if found is not None and found.get("feedback") is not None:
                return Feedback.model_validate(found["feedback"])
            if time.monotonic() > deadline:
                raise TimeoutError(f"no feedback for session {session_id} after {within_s:.0f} s")
            await asyncio.sleep(every_s)

    async def attempts(self, interview_id: str) -> dict[str, Any]:
        """Every attempt of one of your interviews, newest first."""
        return await self._call(
            "list attempts",
            "GET",
            f"{self.urls.history}/history/interviews/{interview_id}/attempts",
        )

    async def progress(self) -> dict[str, Any]:
        """Your scores over time."""
        return await self._call("get progress", "GET", f"{self.urls.history}/history/progress")

    # --- plumbing --------------------------------------------------------------------------

    async def _call(
        self,
        call: str,
        method: str,
        url: str,
        *,
        json: dict[str, Any] | None = None,
        signed: bool = True,
    ) -> dict[str, Any]:
        response = await self._send(call, method, url, json, signed)
        if response.status_code == 401 and signed and self.tokens is not None:
            await self.refresh()
            response = await self._send(call, method, url, json, signed)
        if response.status_code >= 400:
            raise MocksyApiError(call, response.status_code, _detail(response))
        if not response.content:
            return {}
        body: dict[str, Any] = response.json()
        return body

    async def _send(
        self, call: str, method: str, url: str, json: dict[str, Any] | None, signed: bool
    ) -> httpx.Response:
        headers = {}
        if signed:
            if self.tokens is None:
                raise MocksyApiError(call, 401, "sign in first")
            headers["Authorization"] = f"Bearer {self.tokens.access_token}"
        try:
            return await self._http.request(method, url, json=json, headers=headers)
        except httpx.TransportError as error:
            raise MocksyApiError(call, 0, f"cannot reach {url}: {error!r}") from error


def _setup_reply(body: dict[str, Any]) -> SetupReply:
    return SetupReply(
        setup_id=body["setup_id"],
        reply=body["reply"],
        done=bool(body["done"]),
        missing=list(body["missing"]),
        slots=dict(body["slots"]),
    )

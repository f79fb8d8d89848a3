"""The candidate's join token and how an unreachable LiveKit server is reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from livekit import api

from voice_agent.livekit_rooms import (
    LiveKitRooms,
    RoomsUnavailable,
    candidate_token,
    dispatch_metadata,
    room_name,
)

KEY = "test-key"
SECRET = "test-secret-of-at-least-32-characters"


def test_a_join_token_admits_one_user_to_one_room_with_a_microphone_and_data() -> None:
    now = datetime.now(UTC)
    grant = candidate_token(
        KEY, SECRET, "mocksy-s1", "user-ada", name="Ada", ttl=timedelta(minutes=15), now=now
    )

    claims = api.TokenVerifier(KEY, SECRET).verify(grant.token)

    assert claims.identity == "user-ada"
    assert claims.name == "Ada"
    assert claims.video is not None
    assert claims.video.room == "mocksy-s1"
    assert claims.video.room_join is True
    assert claims.video.can_publish_sources == ["microphone"]
    assert claims.video.can_publish_data is True
    assert not claims.video.room_admin
    assert not claims.video.room_create
    assert grant.expires_at == now + timedelta(minutes=15)


def test_a_join_token_lives_fifteen_minutes() -> None:
    grant = candidate_token(
        KEY,
        SECRET,
        "mocksy-s1",
        "user-ada",
        name=None,
        ttl=timedelta(minutes=15),
        now=datetime.now(UTC),
    )

    claims = jwt.decode(grant.token, SECRET, algorithms=["HS256"])

    assert claims["exp"] - claims["nbf"] == 15 * 60
    assert claims["sub"] == "user-ada"


def test_the_interviewer_is_told_its_session_in_the_dispatch_metadata() -> None:
    assert room_name("abc123") == "mocksy-abc123"
    assert json.loads(dispatch_metadata("abc123")) == {"session_id": "abc123"}


async def test_an_unreachable_server_is_reported_as_rooms_unavailable() -> None:
    rooms = LiveKitRooms(
        "http://127.0.0.1:9",
        KEY,
        SECRET,
        agent_name="mocksy-interviewer",
        token_ttl=timedelta(minutes=15),
        empty_timeout_s=600,
        max_participants=3,
        timeout_s=2,
    )
    try:
        with pytest.raises(RoomsUnavailable, match="could not be reached while creating room"):
            await rooms.open_room("mocksy-s1", "s1")
    finally:
        await rooms.aclose()

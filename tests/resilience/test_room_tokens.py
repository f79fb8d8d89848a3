"""A session's LiveKit join token opens that session's room and nothing else, on the real server.

The voice agent (in this process, against the real LiveKit, Kafka, Keycloak and
MongoDB-compatible server) starts session X for candidate A and session Y for candidate B.
X's token joins X's room; rewritten to name Y's room it is refused by the LiveKit server; as a
credential for LiveKit's server API it may not even list a room's participants. Its grants are
one room, microphone and data only, for about fifteen minutes.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from livekit import api, rtc

from tests.integration.accounts import Candidate
from tests.integration.servers import Servers
from tests.resilience.fleet import Fleet, eventually

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]

TTL_S = 15 * 60


@dataclass(frozen=True)
class Grant:
    session_id: str
    room: str
    livekit_url: str
    token: str


@dataclass(frozen=True)
class Rooms:
    x: Grant  # A's session
    y: Grant  # B's session
    livekit: api.LiveKitAPI
    http_url: str


async def _session_of(fleet: Fleet, candidate: Candidate) -> Grant:
    """A new interview through the builder, then a voice session once the agent has learnt it."""
    created = await fleet.builder.post(
        "/interviews",
        json={"role": "backend", "interview_type": "technical", "level": "mid"},
        headers=candidate.headers,
    )
    assert created.status_code == 201, created.text
    path = f"/interviews/{created.json()['id']}/sessions"
    started = await eventually(
        lambda: fleet.voice.post(path, headers=candidate.headers),
        lambda r: r.status_code == 201,
        what="the voice agent learning the interview",
    )
    body = started.json()
    return Grant(body["session_id"], body["room"], body["livekit_url"], body["token"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rooms(
    servers: Servers, fleet: Fleet, pair: tuple[Candidate, Candidate]
) -> AsyncIterator[Rooms]:
    a, b = pair
    x, y = await _session_of(fleet, a), await _session_of(fleet, b)
    http_url = servers.livekit_url.replace("ws", "http", 1)
    livekit = api.LiveKitAPI(http_url, servers.livekit_api_key, servers.livekit_api_secret)
    try:
        yield Rooms(x, y, livekit, http_url)
    finally:
        for grant in (x, y):
            await livekit.room.delete_room(api.DeleteRoomRequest(room=grant.room))
        await livekit.aclose()


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _with_room(token: str, room: str) -> str:
    """The token with its room grant rewritten and its signature kept."""
    header, _, signature = token.split(".")
    claims = _claims(token)
    claims["video"]["room"] = room
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


async def _identities(rooms: Rooms, room: str) -> list[str]:
    listed = await rooms.livekit.room.list_participants(api.ListParticipantsRequest(room=room))
    return [p.identity for p in listed.participants]


async def test_the_token_grants_one_room_microphone_and_data_for_fifteen_minutes(
    rooms: Rooms, pair: tuple[Candidate, Candidate]
) -> None:
    claims = _claims(rooms.x.token)
    video = claims["video"]

    assert claims["sub"] == pair[0].user_id
    assert video["room"] == rooms.x.room != rooms.y.room
    assert video["roomJoin"] is True
    assert video["canPublishSources"] == ["microphone"]
    assert video["canPublishData"] is True
    assert not {"roomCreate", "roomList", "roomAdmin", "roomRecord", "ingressAdmin"} & {
        grant for grant, value in video.items() if value
    }
    assert abs(claims["exp"] - claims["nbf"] - TTL_S) <= 5


async def test_the_token_joins_its_own_room_and_no_other(
    rooms: Rooms, pair: tuple[Candidate, Candidate]
) -> None:
    candidate = rtc.Room()
    async with asyncio.timeout(30):
        await candidate.connect(rooms.x.livekit_url, rooms.x.token)
    try:
        assert candidate.name == rooms.x.room
        assert await _identities(rooms, rooms.x.room) == [pair[0].user_id]
        assert await _identities(rooms, rooms.y.room) == []
    finally:
        await candidate.disconnect()


async def test_the_token_rewritten_for_another_room_is_refused_by_livekit(rooms: Rooms) -> None:
    intruder = rtc.Room()
    forged = _with_room(rooms.x.token, rooms.y.room)

    with pytest.raises(rtc.ConnectError):
        async with asyncio.timeout(30):
            await intruder.connect(rooms.x.livekit_url, forged)

    assert await _identities(rooms, rooms.y.room) == []


@pytest.mark.parametrize("which", ["own room", "other room"])
async def test_the_token_cannot_drive_livekits_server_api(rooms: Rooms, which: str) -> None:
    room = rooms.x.room if which == "own room" else rooms.y.room
    async with httpx.AsyncClient(base_url=rooms.http_url, timeout=10) as http:
        for method, body in (
            ("ListParticipants", {"room": room}),
            ("RemoveParticipant", {"room": room, "identity": "anyone"}),
            ("DeleteRoom", {"room": room}),
            ("ListRooms", {}),
        ):
            response = await http.post(
                f"/twirp/livekit.RoomService/{method}",
                json=body,
                headers={"Authorization": f"Bearer {rooms.x.token}"},
            )

            assert response.status_code in (401, 403), f"{method}: {response.text[:200]}"
    # Both rooms are still there.
    listed = await rooms.livekit.room.list_rooms(
        api.ListRoomsRequest(names=[rooms.x.room, rooms.y.room])
    )
    assert sorted(r.name for r in listed.rooms) == sorted([rooms.x.room, rooms.y.room])

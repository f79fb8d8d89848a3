"""LiveKit rooms for voice sessions: one room per session, the interviewer dispatched into it,
and a join token the candidate can only use for that room, with a microphone and data."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

import aiohttp
from livekit import api

logger = logging.getLogger(__name__)

ROOM_PREFIX: Final = "mocksy-"
# Only what a voice interview needs: the candidate's microphone, and data messages (captions,
# "I'm ready"); no camera, no screen share.
CANDIDATE_SOURCES: Final = ("microphone",)
# A worker's job joins its room within seconds of starting; one started longer ago than this
# and not in the room is over (LiveKit still lists it as running) or not coming.
JOB_JOINS_WITHIN: Final = timedelta(seconds=20)


def room_name(session_id: str) -> str:
    """The LiveKit room of a session."""
    return f"{ROOM_PREFIX}{session_id}"


def dispatch_metadata(session_id: str) -> str:
    """What the interviewer's job receives: the session it conducts (JSON)."""
    return json.dumps({"session_id": session_id})


@dataclass(frozen=True)
class JoinToken:
    """A candidate's LiveKit access token for one room."""

    token: str
    expires_at: datetime


def candidate_token(
    api_key: str,
    api_secret: str,
    room: str,
    identity: str,
    *,
    name: str | None,
    ttl: timedelta,
    now: datetime,
) -> JoinToken:
    """A join token for ``identity``: this room only, microphone and data, ``ttl`` of life."""
    grants = api.VideoGrants(
        room_join=True,
        room=room,
        can_publish=True,
        can_subscribe=True,
        can_publish_data=True,
        can_publish_sources=list(CANDIDATE_SOURCES),
    )
    token = api.AccessToken(api_key, api_secret).with_identity(identity).with_grants(grants)
    token = token.with_ttl(ttl)
    if name:
        token = token.with_name(name)
    # AccessToken stamps its own issue time; the expiry reported here is within a second of it.
    return JoinToken(token=token.to_jwt(), expires_at=now + ttl)


class RoomsUnavailable(Exception):
    """The LiveKit server could not be reached, or refused the request."""


class Rooms(Protocol):
    """What the sessions service needs from LiveKit."""

    async def open_room(self, room: str, session_id: str) -> None:
        """Create ``room`` and dispatch the interviewer into it for ``session_id``."""
        ...

    async def ensure_interviewer(
        self, room: str, session_id: str, *, replace: bool = False
    ) -> bool:
        """Re-create the room if it expired and dispatch the interviewer if none is in it;
        with ``replace``, an interviewer still in the room is removed first and a new one
        dispatched. True when a new dispatch was made."""
        ...

    async def redispatch_if_stranded(self, room: str, session_id: str) -> bool:
        """Dispatch the interviewer again if the candidate is in ``room`` and no interviewer is
        in it or on its way (no job of its dispatches started within ``JOB_JOINS_WITHIN``).
        True when it did."""
        ...

    async def close_room(self, room: str) -> None:
        """Delete ``room``, disconnecting everyone (best effort)."""
        ...

    def candidate_token(
        self, room: str, identity: str, *, name: str | None, now: datetime
    ) -> JoinToken:
        """A token for ``identity`` to join ``room`` with a microphone and data only."""
        ...


class LiveKitRooms:
    """``Rooms`` through the LiveKit server API (livekit-api)."""

    def __init__(
        self,
        url: str,
        api_key: str,
        api_secret: str,
        *,
        agent_name: str,
        token_ttl: timedelta,
        empty_timeout_s: int,
        max_participants: int,
        timeout_s: float = 5.0,
    ) -> None:
        """Configure the gateway; the HTTP session is created here, so call it inside a loop."""
        self._api_key = api_key
        self._api_secret = api_secret
        self.agent_name = agent_name
        self.token_ttl = token_ttl
        self._empty_timeout_s = empty_timeout_s
        self._max_participants = max_participants
        # failover=False: region failover is for LiveKit Cloud; here a down server is a 503.
        self._api = api.LiveKitAPI(
            url,
            api_key,
            api_secret,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            failover=False,
        )

    async def aclose(self) -> None:
        """Close the HTTP session."""
        await self._api.aclose()

    async def open_room(self, room: str, session_id: str) -> None:
        """Create ``room`` and dispatch the interviewer into it for ``session_id``."""
        async with _translate_errors(f"creating room {room}"):
            await self._create_room(room, session_id)
            await self._dispatch(room, session_id)

    async def ensure_interviewer(
        self, room: str, session_id: str, *, replace: bool = False
    ) -> bool:
        """Re-create the room if it expired and dispatch the interviewer if none is in it (or,
        with ``replace``, in place of the one still in it)."""
        async with _translate_errors(f"checking room {room}"):
            await self._create_room(room, session_id)
            agents = [
                p
                for p in await self._participants(room)
                if p.kind == api.ParticipantInfo.Kind.AGENT
            ]
            if agents and not replace:
                return False
            for agent in agents:
                await self._remove(room, agent.identity, session_id)
            await self._dispatch(room, session_id)
            return True

    async def redispatch_if_stranded(self, room: str, session_id: str) -> bool:
        """Dispatch the interviewer again if the candidate is in ``room`` and no interviewer is
        in it or on its way. LiveKit keeps a dispatch no worker could take (all full) with no
        job, and never offers it again; a job started less than ``JOB_JOINS_WITHIN`` ago is an
        interviewer starting up, so waiting is right. (LiveKit goes on listing a job as running
        after its agent has left, so the status alone cannot tell.)"""
        started_since = datetime.now(UTC) - JOB_JOINS_WITHIN
        async with _translate_errors(f"checking on the candidate in {room}"):
            listed = await self._api.room.list_rooms(api.ListRoomsRequest(names=[room]))
            if not listed.rooms:
                return False
            participants = await self._participants(room)
            if any(p.kind == api.ParticipantInfo.Kind.AGENT for p in participants) or not any(
                p.kind != api.ParticipantInfo.Kind.AGENT for p in participants
            ):
                return False
            dispatches = await self._api.agent_dispatch.list_dispatch(room_name=room)
            if any(
                job.state.status in (api.JobStatus.JS_PENDING, api.JobStatus.JS_RUNNING)
                and _nanoseconds(max(job.state.started_at, job.state.updated_at)) > started_since
                for dispatch in dispatches
                if dispatch.agent_name == self.agent_name
                for job in dispatch.state.jobs
            ):
                return False
            await self._dispatch(room, session_id)
            return True

    async def close_room(self, room: str) -> None:
        """Delete ``room`` (best effort: a room that is gone already is fine)."""
        try:
            await self._api.room.delete_room(api.DeleteRoomRequest(room=room))
        except (api.ServerError, aiohttp.ClientError, TimeoutError, OSError) as error:
            logger.info("could not delete room %s: %s", room, error)

    async def probe(self) -> None:
        """Readiness: the server answers an authenticated API call."""
        async with _translate_errors("probing the server"):
            await self._api.room.list_rooms(api.ListRoomsRequest(names=[f"{ROOM_PREFIX}probe"]))

    def candidate_token(
        self, room: str, identity: str, *, name: str | None, now: datetime
    ) -> JoinToken:
        """A token for ``identity`` to join ``room`` with a microphone and data only."""
        return candidate_token(
            self._api_key, self._api_secret, room, identity, name=name, ttl=self.token_ttl, now=now
        )

    async def _create_room(self, room: str, session_id: str) -> None:
        # CreateRoom returns the existing room when there is one, so this also revives a room
        # LiveKit closed after its empty timeout.
        await self._api.room.create_room(
            api.CreateRoomRequest(
                name=room,
                empty_timeout=self._empty_timeout_s,
                departure_timeout=self._empty_timeout_s,
                max_participants=self._max_participants,
                metadata=dispatch_metadata(session_id),
            )
        )

    async def _dispatch(self, room: str, session_id: str) -> None:
        dispatch = await self._api.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(
                agent_name=self.agent_name, room=room, metadata=dispatch_metadata(session_id)
            )
        )
        logger.info(
            "dispatched %s to %s",
            self.agent_name,
            room,
            extra={"session_id": session_id, "dispatch_id": dispatch.id},
        )

    async def _remove(self, room: str, identity: str, session_id: str) -> None:
        try:
            await self._api.room.remove_participant(
                api.RoomParticipantIdentity(room=room, identity=identity)
            )
        except api.ServerError as error:
            if error.code != "not_found":  # it left by itself meanwhile
                raise
        logger.warning(
            "removed interviewer %s from %s: its worker stopped heartbeating",
            identity,
            room,
            extra={"session_id": session_id},
        )

    async def _participants(self, room: str) -> list[api.ParticipantInfo]:
        response = await self._api.room.list_participants(api.ListParticipantsRequest(room=room))
        return list(response.participants)


def _nanoseconds(since_epoch: int) -> datetime:
    """A LiveKit timestamp (nanoseconds since the epoch) as an aware datetime."""
    return datetime.fromtimestamp(since_epoch / 1e9, UTC)


@asynccontextmanager
async def _translate_errors(doing: str) -> AsyncIterator[None]:
    """Turns the ways a LiveKit call fails into ``RoomsUnavailable`` naming what was tried."""
    try:
        yield
    except api.ServerError as error:
        logger.warning("LiveKit refused %s: %s", doing, error)
        raise RoomsUnavailable(
            f"the LiveKit server refused {doing}: {error.message or error.code}"
        ) from error
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        logger.warning("LiveKit unreachable while %s: %r", doing, error)
        raise RoomsUnavailable(f"the LiveKit server could not be reached while {doing}") from error

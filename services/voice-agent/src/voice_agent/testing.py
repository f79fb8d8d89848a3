"""Hand-written fakes for tests of the voice agent (sessions API and worker): no servers.

The stores are the real Mongo adapters over ``common.testing.mongo.InMemoryCollection``, so a
test exercises the same conditional writes MongoDB and FerretDB run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from common.testing.mongo import InMemoryCollection
from voice_agent.livekit_rooms import JoinToken, RoomsUnavailable
from voice_agent.repository import MongoInterviewStore, MongoSessionStore


def in_memory_sessions() -> MongoSessionStore:
    """A session store over in-memory ``sessions`` collections (and their siblings)."""
    return MongoSessionStore(
        InMemoryCollection("sessions"),
        turns=InMemoryCollection("sessions_turns"),
        changes=InMemoryCollection("sessions_changes"),
        heartbeats=InMemoryCollection("sessions_heartbeats"),
    )


def in_memory_interviews() -> MongoInterviewStore:
    """An interview store over an in-memory ``interviews`` collection."""
    return MongoInterviewStore(InMemoryCollection("interviews"))


@dataclass(frozen=True)
class Dispatch:
    """One dispatch of the interviewer a fake LiveKit was asked for."""

    room: str
    session_id: str


@dataclass
class FakeRooms:
    """LiveKit as far as the sessions service sees it: rooms, dispatches, who is in a room.

    Set ``reachable = False`` to simulate the server being down; put room names in
    ``agents_in`` / ``candidates_in`` to say who has joined, and in ``jobs_starting`` to say an
    interviewer's job was taken by a worker but has not joined yet.
    """

    token_ttl: timedelta = timedelta(minutes=15)
    reachable: bool = True
    rooms: set[str] = field(default_factory=set)
    dispatches: list[Dispatch] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    agents_in: set[str] = field(default_factory=set)
    candidates_in: set[str] = field(default_factory=set)
    jobs_starting: set[str] = field(default_factory=set)
    tokens: list[tuple[str, str]] = field(default_factory=list)
    removed_agents: list[str] = field(default_factory=list)

    async def open_room(self, room: str, session_id: str) -> None:
        """Create the room and dispatch the interviewer."""
        self._check()
        self.rooms.add(room)
        self.dispatches.append(Dispatch(room, session_id))

    async def ensure_interviewer(
        self, room: str, session_id: str, *, replace: bool = False
    ) -> bool:
        """Dispatch again unless an agent is in the room (with ``replace``: remove it first)."""
        self._check()
        self.rooms.add(room)
        if room in self.agents_in:
            if not replace:
                return False
            self.agents_in.discard(room)
            self.removed_agents.append(room)
        self.dispatches.append(Dispatch(room, session_id))
        return True

    async def redispatch_if_stranded(self, room: str, session_id: str) -> bool:
        """Dispatch again if the candidate is in the room with no interviewer, nor one starting."""
        self._check()
        if room not in self.candidates_in or room in self.agents_in | self.jobs_starting:
            return False
        self.dispatches.append(Dispatch(room, session_id))
        return True

    async def close_room(self, room: str) -> None:
        """Delete the room."""
        self.rooms.discard(room)
        self.closed.append(room)

    def candidate_token(
        self, room: str, identity: str, *, name: str | None, now: datetime
    ) -> JoinToken:
        """A recognisable stand-in token."""
        self.tokens.append((room, identity))
        return JoinToken(f"token-{len(self.tokens)}:{identity}@{room}", now + self.token_ttl)

    def _check(self) -> None:
        if not self.reachable:
            raise RoomsUnavailable("the LiveKit server could not be reached (fake)")


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` and return the new time."""
        self.now += timedelta(**delta)
        return self.now

"""A dropped candidate is waited for: back in time, the interview goes on; gone too long, not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from voice_agent.worker.presence import CandidatePresence

CANDIDATE = "user-ada"
AWAY_S = 0.05


@dataclass(frozen=True)
class Participant:
    identity: str


class FakeRoom:
    """A room that tells its listeners who joined and who left."""

    def __init__(self) -> None:
        self.listeners: dict[str, list[Callable[..., Any]]] = {}

    def on(self, event: str, callback: Callable[..., Any] | None = None) -> Callable[..., Any]:
        assert callback is not None
        self.listeners.setdefault(event, []).append(callback)
        return callback

    def off(self, event: str, callback: Callable[..., Any]) -> None:
        self.listeners[event].remove(callback)

    def emit(self, event: str, identity: str) -> None:
        for listener in list(self.listeners.get(event, [])):
            listener(Participant(identity))


@pytest.fixture
def room() -> FakeRoom:
    return FakeRoom()


@pytest.fixture
def gone() -> asyncio.Event:
    return asyncio.Event()


@pytest.fixture
def presence(room: FakeRoom, gone: asyncio.Event) -> CandidatePresence:
    watching = CandidatePresence(room, CANDIDATE, AWAY_S, gone.set)
    watching.attach()
    return watching


async def test_a_candidate_who_does_not_come_back_is_given_up_on(
    room: FakeRoom, gone: asyncio.Event, presence: CandidatePresence
) -> None:
    room.emit("participant_disconnected", CANDIDATE)

    assert presence.away
    await asyncio.wait_for(gone.wait(), timeout=5)
    assert not presence.away


async def test_a_candidate_back_in_time_keeps_the_interview_going(
    room: FakeRoom, gone: asyncio.Event, presence: CandidatePresence
) -> None:
    room.emit("participant_disconnected", CANDIDATE)
    room.emit("participant_connected", CANDIDATE)

    await asyncio.sleep(AWAY_S * 4)
    assert not gone.is_set()
    assert not presence.away


async def test_other_participants_coming_and_going_change_nothing(
    room: FakeRoom, gone: asyncio.Event, presence: CandidatePresence
) -> None:
    room.emit("participant_disconnected", "agent-AJ_1")
    await asyncio.sleep(AWAY_S * 4)
    assert not gone.is_set()

    room.emit("participant_disconnected", CANDIDATE)
    room.emit("participant_connected", "user-eve")
    await asyncio.wait_for(gone.wait(), timeout=5)


async def test_detaching_stops_the_wait(
    room: FakeRoom, gone: asyncio.Event, presence: CandidatePresence
) -> None:
    room.emit("participant_disconnected", CANDIDATE)
    presence.detach()

    await asyncio.sleep(AWAY_S * 4)
    assert not gone.is_set()
    assert room.listeners == {"participant_disconnected": [], "participant_connected": []}


def test_the_wait_must_be_positive(room: FakeRoom) -> None:
    with pytest.raises(ValueError, match="away_s must be positive, got 0"):
        CandidatePresence(room, CANDIDATE, 0, lambda: None)

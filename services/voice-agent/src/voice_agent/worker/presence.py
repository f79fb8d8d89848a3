"""Whether the candidate is still coming back: a dropped connection is waited for, within limits.

A candidate who leaves on purpose (or whose room is deleted) closes the agent session at once
(livekit-agents' ``close_on_disconnect``). One whose network dropped does not: LiveKit lets
them rejoin the same room with a new token, and the interviewer carries on from where they
were. ``CandidatePresence`` bounds that wait, so a candidate who never returns does not hold a
worker slot, and a session that nobody will finish, for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol


class RoomEvents(Protocol):
    """The part of ``livekit.rtc.Room`` this needs: its participant events."""

    def on(self, event: Any, callback: Callable[..., Any] | None = None) -> Callable[..., Any]: ...

    def off(self, event: Any, callback: Callable[..., Any]) -> None: ...


class CandidatePresence:
    """Calls ``on_gone`` once the candidate has been out of the room for ``away_s`` seconds."""

    def __init__(
        self, room: RoomEvents, identity: str, away_s: float, on_gone: Callable[[], None]
    ) -> None:
        if away_s <= 0:
            raise ValueError(f"away_s must be positive, got {away_s}")
        self._room = room
        self._identity = identity
        self._away_s = away_s
        self._on_gone = on_gone
        self._timer: asyncio.TimerHandle | None = None

    @property
    def away(self) -> bool:
        """Whether the candidate is out of the room now (and the wait is running)."""
        return self._timer is not None

    def attach(self) -> None:
        """Start following the candidate's comings and goings."""
        self._room.on("participant_disconnected", self._left)
        self._room.on("participant_connected", self._joined)

    def detach(self) -> None:
        """Stop following them, and stop any wait under way."""
        self._room.off("participant_disconnected", self._left)
        self._room.off("participant_connected", self._joined)
        self._cancel()

    def _left(self, participant: Any) -> None:
        if participant.identity != self._identity or self._timer is not None:
            return
        self._timer = asyncio.get_running_loop().call_later(self._away_s, self._gone)

    def _joined(self, participant: Any) -> None:
        if participant.identity == self._identity:
            self._cancel()

    def _gone(self) -> None:
        self._timer = None
        self._on_gone()

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

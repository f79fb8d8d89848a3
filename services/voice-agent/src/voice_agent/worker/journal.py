"""The transcript, written to the session store turn by turn and in order, as it happens.

The conductor numbers every turn. A candidate's turn or a back-channel is stored the moment it
is known; an interviewer's line once it has been spoken, with the times it really played (and
whether the candidate cut in), so a line lost to a crash is not in the transcript and the
resumed conductor says it again. Turns are stored strictly by position: one that is ready
waits for the lines before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from common.events import Outcome, Turn
from voice_agent.repository import SessionAlreadyFinished, SessionRecord, SessionState


class SessionStore(Protocol):
    """What the worker needs of ``voice_agent.repository.SessionStore``."""

    async def get(self, session_id: str) -> SessionRecord | None: ...

    async def append_turn(
        self,
        session_id: str,
        turn: Turn,
        current_question_id: str | None,
        *,
        index: int | None = None,
    ) -> bool: ...

    async def set_state(
        self, session_id: str, state: SessionState, *, at: datetime | None = None, **fields: Any
    ) -> bool: ...

    async def activate(self, session_id: str, worker_id: str, at: datetime) -> bool: ...

    async def heartbeat(self, session_id: str, worker_id: str, at: datetime) -> bool: ...

    async def finish(self, session_id: str, outcome: Outcome, ended_at: datetime) -> bool: ...


logger = logging.getLogger(__name__)


class TranscriptJournal:
    """Appends the conductor's turns to the session's record, in order, once each is ready."""

    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        turns: Callable[[], Sequence[Turn]],
        *,
        stored: int = 0,
        current_question: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._store = store
        self._session_id = session_id
        self._turns = turns
        self._current_question = current_question
        self._next = stored  # the first position not stored yet
        self._ready: set[int] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writer: asyncio.Task[None] | None = None
        self.failed: BaseException | None = None

    @property
    def stored(self) -> int:
        """How many turns are in the session's record."""
        return self._next

    def ready(self, index: int) -> None:
        """Turn ``index`` is final: store it as soon as every turn before it is stored."""
        if index < self._next:
            return
        self._ready.add(index)
        self._idle.clear()
        self._wake.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="transcript-journal")

    async def drain(self, within_s: float = 10.0) -> bool:
        """Wait until every ready turn is stored; False if some could not be in time."""
        if self._ready and self._writer is not None:
            try:
                await asyncio.wait_for(self._idle.wait(), within_s)
            except TimeoutError:
                logger.warning(
                    "transcript not fully stored",
                    extra={"session_id": self._session_id, "waiting": sorted(self._ready)},
                )
                return False
        return not self._ready

    async def _write(self) -> None:
        while True:
            if self._next not in self._ready:
                self._idle.set()
                self._wake.clear()
                if not self._ready:
                    return
                await self._wake.wait()
                continue
            turn = self._turns()[self._next]
            try:
                await self._store.append_turn(
                    self._session_id, turn, self._current_question(), index=self._next
                )
            except SessionAlreadyFinished:
                logger.info(
                    "session ended; turn not stored", extra={"session_id": self._session_id}
                )
                self._ready.clear()
                self._idle.set()
                return
            except Exception as error:  # the store is down: keep the turn and try again
                self.failed = error
                logger.warning(
                    "could not store turn %d, retrying",
                    self._next,
                    extra={"session_id": self._session_id},
                    exc_info=True,
                )
                await asyncio.sleep(1.0)
                continue
            self.failed = None
            self._ready.discard(self._next)
            self._next += 1


class SerialSessionStore:
    """A ``SessionStore`` whose writes for the session happen one at a time.

    The store keeps concurrent writers from losing each other's changes (see
    ``MongoSessionStore``); queuing the worker's own writes keeps them in the order it made
    them (the last turn stored before the session is marked interrupted or finished).
    """

    def __init__(self, store: SessionStore) -> None:
        self._store = store
        self._lock = asyncio.Lock()

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session, or None."""
        return await self._store.get(session_id)

    async def append_turn(
        self,
        session_id: str,
        turn: Turn,
        current_question_id: str | None,
        *,
        index: int | None = None,
    ) -> bool:
        """Store ``turn`` at ``index`` (see ``SessionStore.append_turn``)."""
        async with self._lock:
            return await self._store.append_turn(session_id, turn, current_question_id, index=index)

    async def set_state(
        self, session_id: str, state: SessionState, *, at: datetime | None = None, **fields: Any
    ) -> bool:
        """Move the session to another live state."""
        async with self._lock:
            return await self._store.set_state(session_id, state, at=at, **fields)

    async def activate(self, session_id: str, worker_id: str, at: datetime) -> bool:
        """This worker took the session."""
        async with self._lock:
            return await self._store.activate(session_id, worker_id, at)

    async def heartbeat(self, session_id: str, worker_id: str, at: datetime) -> bool:
        """This worker is alive; False once the session ended or another worker took it."""
        async with self._lock:
            return await self._store.heartbeat(session_id, worker_id, at)

    async def finish(self, session_id: str, outcome: Outcome, ended_at: datetime) -> bool:
        """End the session and queue its ``SessionCompleted``."""
        async with self._lock:
            return await self._store.finish(session_id, outcome, ended_at)

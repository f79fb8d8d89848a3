"""Use cases of the sessions API: start, look at, resume and end a voice session; learn
interviews from ``InterviewCreated``; end sessions whose candidate or worker went away."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from common.auth import AuthenticatedUser
from common.events import InterviewCreated, Outcome, utcnow
from common.observability import correlation_id_var
from voice_agent.livekit_rooms import Rooms, RoomsUnavailable, room_name
from voice_agent.metrics import VoiceAgentMetrics
from voice_agent.repository import (
    InterviewStore,
    SessionNotFound,
    SessionRecord,
    SessionState,
    SessionStore,
    seed_for,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class InterviewNotFound(LookupError):
    """No interview with this id for this user, or its InterviewCreated has not arrived yet."""

    def __init__(self, interview_id: str) -> None:
        super().__init__(
            f"interview '{interview_id}' not found; an interview created a moment ago may "
            "still be on its way to the voice agent, so retry in a few seconds"
        )
        self.interview_id = interview_id


class SessionEnded(Exception):
    """The session has already ended and cannot be resumed."""

    def __init__(self, session_id: str, state: str) -> None:
        super().__init__(
            f"session '{session_id}' has already ended ({state}); start a new session instead"
        )
        self.session_id = session_id
        self.state = state


@dataclass(frozen=True)
class SessionGrant:
    """What a candidate's client needs to join the interview room."""

    session_id: str
    room: str
    livekit_url: str
    token: str
    token_expires_at: datetime


class InterviewCatalog:
    """Keeps this service's own copy of every interview (from ``InterviewCreated``)."""

    def __init__(self, interviews: InterviewStore) -> None:
        self._interviews = interviews

    async def interview_created(self, event: InterviewCreated) -> None:
        """Store the interview so sessions can be started for it."""
        if await self._interviews.save(event.data):
            logger.info("learnt interview %s", event.data.id, extra={"user_id": event.data.user_id})


class SessionService:
    """Starts, shows, resumes and ends a candidate's voice sessions."""

    def __init__(
        self,
        sessions: SessionStore,
        interviews: InterviewStore,
        rooms: Rooms,
        *,
        livekit_url: str,
        metrics: VoiceAgentMetrics | None = None,
        clock: Clock = utcnow,
        new_session_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._sessions = sessions
        self._interviews = interviews
        self._rooms = rooms
        self._livekit_url = livekit_url
        self._metrics = metrics
        self._clock = clock
        self._new_session_id = new_session_id

    async def start(self, user: AuthenticatedUser, interview_id: str) -> SessionGrant:
        """Open a room for a new session of the user's interview and hand out a join token."""
        interview = await self._interviews.get(interview_id)
        if interview is None or interview.user_id != user.user_id:
            # Someone else's interview is reported exactly like one that does not exist.
            raise InterviewNotFound(interview_id)
        now = self._clock()
        session_id = self._new_session_id()
        room = room_name(session_id)
        record = SessionRecord(
            session_id=session_id,
            user_id=user.user_id,
            interview_id=interview.id,
            room=room,
            state="created",
            interview=interview,
            seed=seed_for(session_id),
            created_at=now,
            state_changed_at=now,
            correlation_id=correlation_id_var.get(),
        )
        # Stored before the dispatch: the interviewer looks the session up as soon as it joins.
        await self._sessions.create(record)
        try:
            await self._rooms.open_room(room, session_id)
        except RoomsUnavailable:
            # The candidate never saw this session; leave no trace for the sweeper to announce.
            with contextlib.suppress(Exception):
                await self._sessions.discard(session_id)
            raise
        if self._metrics is not None:
            self._metrics.sessions_started.inc()
        logger.info(
            "session started for interview %s",
            interview.id,
            extra={"session_id": session_id, "user_id": user.user_id},
        )
        return self._grant(record, user, now)

    async def view(self, user: AuthenticatedUser, session_id: str) -> SessionRecord:
        """The user's session with its turns so far."""
        record = await self._sessions.get_owned(session_id, user.user_id)
        if record is None:
            raise SessionNotFound(session_id)
        return record

    async def resume(self, user: AuthenticatedUser, session_id: str) -> SessionGrant:
        """A new join token for a session that has not ended, with an interviewer in the room.

        The interviewer (on this worker or another) picks up from the stored turns; an
        interrupted session gets a fresh grace period so the candidate has time to connect.
        """
        record = await self.view(user, session_id)
        if record.finished:
            raise SessionEnded(session_id, record.state)
        now = self._clock()
        if record.state == "interrupted" and not await self._sessions.set_state(
            session_id, "interrupted", at=now
        ):
            ended = await self._sessions.get(session_id)
            raise SessionEnded(session_id, ended.state if ended else "gone")
        # An interrupted session has no interviewer: the worker left, or it died and the sweeper
        # gave up on its heartbeats. A dead worker's interviewer can linger in the room (its job
        # process or its LiveKit connection outlives it), so it is replaced, not waited for.
        redispatched = await self._rooms.ensure_interviewer(
            record.room, session_id, replace=record.state == "interrupted"
        )
        if self._metrics is not None:
            self._metrics.sessions_resumed.inc()
        logger.info(
            "session resumed%s",
            " (interviewer dispatched again)" if redispatched else "",
            extra={"session_id": session_id, "user_id": user.user_id},
        )
        return self._grant(record, user, now)

    async def end(self, user: AuthenticatedUser, session_id: str) -> SessionRecord:
        """End the session now at the candidate's request (``ended_early``); idempotent.

        The transcript is what has been stored so far: the store's end mark refuses any later
        turn, so the ``SessionCompleted`` queued here is the whole record. Closing the room
        sends the interviewer away at once (its heartbeat would notice within seconds anyway).
        """
        record = await self.view(user, session_id)
        if record.finished:
            return record
        now = self._clock()
        if await self._sessions.finish(session_id, "ended_early", now):
            if self._metrics is not None:
                self._metrics.sessions_ended.labels("ended_early").inc()
            logger.info(
                "session ended early by its candidate",
                extra={"session_id": session_id, "user_id": user.user_id},
            )
        # Also after a lost race (the interview had just ended): nobody needs the room now.
        with contextlib.suppress(RoomsUnavailable):
            await self._rooms.close_room(record.room)
        return await self.view(user, session_id)

    def _grant(self, record: SessionRecord, user: AuthenticatedUser, now: datetime) -> SessionGrant:
        token = self._rooms.candidate_token(record.room, user.user_id, name=user.name, now=now)
        return SessionGrant(
            session_id=record.session_id,
            room=record.room,
            livekit_url=self._livekit_url,
            token=token.token,
            token_expires_at=token.expires_at,
        )


@dataclass(frozen=True)
class SweepPolicy:
    """How long a session may sit in each live state before the sweeper steps in."""

    grace_period: timedelta = timedelta(seconds=120)
    worker_timeout: timedelta = timedelta(seconds=30)
    start_timeout: timedelta = timedelta(minutes=20)
    # A candidate in the room with no interviewer, nor one starting, this long after its
    # dispatch gets another.
    redispatch_after: timedelta = timedelta(seconds=15)

    def __post_init__(self) -> None:
        for name in ("grace_period", "worker_timeout", "start_timeout", "redispatch_after"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did, by session id."""

    interrupted: tuple[str, ...] = ()
    ended_early: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    redispatched: tuple[str, ...] = ()


class SessionSweeper:
    """Ends sessions nobody is coming back to, and notices workers that died.

    - active, worker silent for ``worker_timeout`` → interrupted (transcript kept; the
      candidate can resume on another worker, and LiveKit restarts a crashed job on its own);
    - interrupted for longer than ``grace_period`` → finished as ``ended_early``;
    - created and never picked up by a worker within ``start_timeout`` → finished as ``failed``;
    - created or interrupted (a resume), the candidate waiting in the room, no interviewer
      there and none starting ``redispatch_after`` after the dispatch → the interviewer
      dispatched again. LiveKit drops a dispatch that no worker can take at that moment (all
      full, or one still telling LiveKit it has room again), and nothing else would ever send
      the interviewer. Tried again every ``redispatch_after`` while the candidate waits.

    Every transition is a conditional write, so several API replicas may sweep at once.
    """

    def __init__(
        self,
        sessions: SessionStore,
        rooms: Rooms | None,
        policy: SweepPolicy,
        *,
        metrics: VoiceAgentMetrics | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._rooms = rooms
        self.policy = policy
        self._metrics = metrics
        self._clock = clock
        # When this sweeper last dispatched an interviewer again, by session.
        self._redispatched_at: dict[str, datetime] = {}

    async def sweep_once(self) -> SweepReport:
        """One pass over the live sessions."""
        now = self._clock()
        interrupted = []
        for record in await self._sessions.idle("active", now - self.policy.worker_timeout):
            if await self._sessions.interrupt_if_silent(
                record.session_id, record.worker_id, now - self.policy.worker_timeout, now
            ):
                interrupted.append(record.session_id)
                logger.warning(
                    "worker %s stopped heartbeating; session interrupted",
                    record.worker_id,
                    extra={"session_id": record.session_id},
                )
                if self._metrics is not None:
                    self._metrics.workers_lost.inc()
        ended_early = await self._finish_idle(
            "interrupted", self.policy.grace_period, "ended_early", now
        )
        failed = await self._finish_idle("created", self.policy.start_timeout, "failed", now)
        redispatched = await self._redispatch(now)
        if self._metrics is not None:
            self._metrics.observe_live(await self._sessions.count_by_state())
        return SweepReport(tuple(interrupted), ended_early, failed, redispatched)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Sweep every ``interval`` seconds until ``stop`` is set; a failed pass is logged."""
        while not stop.is_set():
            try:
                await self.sweep_once()
            except Exception as error:  # typically MongoDB unreachable; the next pass retries
                logger.warning("session sweep failed, retrying in %.0fs: %r", interval, error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def _redispatch(self, now: datetime) -> tuple[str, ...]:
        """Dispatch the interviewer again to candidates waiting in a room without one."""
        if self._rooms is None:
            return ()
        since = now - self.policy.redispatch_after
        # Dispatched long enough ago to try again (or to be done with).
        for session_id, at in list(self._redispatched_at.items()):
            if at <= since:
                del self._redispatched_at[session_id]
        waiting = [
            *await self._sessions.idle("created", since),
            *await self._sessions.idle("interrupted", since),
        ]
        redispatched = []
        for record in waiting:
            if record.session_id in self._redispatched_at:
                continue
            try:
                if not await self._rooms.redispatch_if_stranded(record.room, record.session_id):
                    continue
            except RoomsUnavailable as error:
                logger.warning(
                    "could not check on a waiting candidate: %s",
                    error,
                    extra={"session_id": record.session_id},
                )
                continue
            self._redispatched_at[record.session_id] = now
            redispatched.append(record.session_id)
            logger.warning(
                "no interviewer in the room %s after its dispatch; dispatched it again",
                self.policy.redispatch_after,
                extra={"session_id": record.session_id},
            )
            if self._metrics is not None:
                self._metrics.interviewers_redispatched.inc()
        return tuple(redispatched)

    async def _finish_idle(
        self, state: SessionState, limit: timedelta, outcome: Outcome, now: datetime
    ) -> tuple[str, ...]:
        finished = []
        for record in await self._sessions.idle(state, now - limit):
            if not await self._sessions.finish(record.session_id, outcome, now):
                continue
            finished.append(record.session_id)
            logger.info(
                "session %s after %s in state %s",
                outcome,
                limit,
                state,
                extra={"session_id": record.session_id},
            )
            if self._metrics is not None:
                self._metrics.sessions_ended.labels(outcome).inc()
            if self._rooms is not None:
                with contextlib.suppress(RoomsUnavailable):
                    await self._rooms.close_room(record.room)
        return tuple(finished)

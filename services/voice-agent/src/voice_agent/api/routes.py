"""Sessions: start one for an interview, look at it, resume it after a drop, end it early."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from common.auth import CurrentUser
from common.observability import session_id_var, user_id_var
from voice_agent.api.deps import InterviewId, SessionId, SessionsDep
from voice_agent.api.schemas import SessionJoin, SessionView

router = APIRouter(tags=["sessions"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"description": "No such interview or session for this user."},
    status.HTTP_503_SERVICE_UNAVAILABLE: {"description": "LiveKit or MongoDB is unreachable."},
}


@router.post(
    "/interviews/{interview_id}/sessions",
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
async def start_session(
    interview_id: InterviewId, user: CurrentUser, sessions: SessionsDep
) -> SessionJoin:
    """Start a voice session of one of your interviews: a room, an interviewer, a join token."""
    user_id_var.set(user.user_id)
    grant = await sessions.start(user, interview_id)
    session_id_var.set(grant.session_id)
    return SessionJoin.of(grant)


@router.get("/sessions/{session_id}", responses=_ERRORS)
async def get_session(
    session_id: SessionId, user: CurrentUser, sessions: SessionsDep
) -> SessionView:
    """One of your sessions: its state, the current question and the turns so far."""
    user_id_var.set(user.user_id)
    session_id_var.set(session_id)
    return SessionView.of(await sessions.view(user, session_id))


@router.post(
    "/sessions/{session_id}/resume",
    responses={
        **_ERRORS,
        status.HTTP_409_CONFLICT: {"description": "The session has already ended."},
    },
)
async def resume_session(
    session_id: SessionId, user: CurrentUser, sessions: SessionsDep
) -> SessionJoin:
    """Rejoin a session after a drop: a new token; the interviewer continues where you left."""
    user_id_var.set(user.user_id)
    session_id_var.set(session_id)
    return SessionJoin.of(await sessions.resume(user, session_id))


@router.post("/sessions/{session_id}/end", responses=_ERRORS)
async def end_session(
    session_id: SessionId, user: CurrentUser, sessions: SessionsDep
) -> SessionView:
    """End your session now: it is scored on the answers given so far. Ending twice is fine."""
    user_id_var.set(user.user_id)
    session_id_var.set(session_id)
    return SessionView.of(await sessions.end(user, session_id))

"""Dependencies of the session routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from common.events.models import MAX_ID
from voice_agent.service import SessionService


def get_sessions(request: Request) -> SessionService:
    """The session service built in the lifespan."""
    sessions: SessionService = request.app.state.sessions
    return sessions


SessionsDep = Annotated[SessionService, Depends(get_sessions)]
InterviewId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID, description="The interview to practise.")
]
SessionId = Annotated[str, Path(min_length=1, max_length=MAX_ID, description="The session.")]

"""``/feedback``: the owner reads the feedback on a session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import PlainTextResponse

from common.auth import CurrentUser
from common.events import Feedback
from scoring.api.deps import ServiceDep, SessionId
from scoring.domain.report import render_markdown

router = APIRouter(prefix="/feedback", tags=["feedback"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {
        "description": "Not your session, no such session, or not scored yet (retry shortly)."
    }
}


@router.get("/{session_id}", responses=_NOT_FOUND)
async def get_feedback(session_id: SessionId, user: CurrentUser, service: ServiceDep) -> Feedback:
    """The feedback document on one of your sessions."""
    return (await service.feedback(user.user_id, session_id)).feedback


@router.get(
    "/{session_id}/report",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}}}, **_NOT_FOUND},
)
async def get_report(
    session_id: SessionId, user: CurrentUser, service: ServiceDep
) -> PlainTextResponse:
    """The feedback on one of your sessions as a readable markdown report."""
    stored = await service.feedback(user.user_id, session_id)
    return PlainTextResponse(
        render_markdown(stored.feedback, stored.interview), media_type="text/markdown"
    )

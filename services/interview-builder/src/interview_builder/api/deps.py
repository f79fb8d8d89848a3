"""Dependencies of the interview-builder routes: the caller, the use cases, list parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from common.auth import CurrentUser
from common.events import InterviewType, Role
from common.observability import user_id_var
from common.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MIN_LIMIT,
    Cursor,
    InvalidCursor,
    PageRequest,
)
from interview_builder.repository import InterviewFilter
from interview_builder.service import Interviews, InvalidInput, SetupChats
from interview_builder.technologies import UnknownTechnology, canonical_technology


async def owner(user: CurrentUser) -> str:
    """The caller's user id; every resource here belongs to exactly one user."""
    # Async so that it runs in the request's own context: every later log line names the user.
    user_id_var.set(user.user_id)
    return user.user_id


def get_interviews(request: Request) -> Interviews:
    """The interview use cases built in the lifespan."""
    interviews: Interviews = request.app.state.interviews
    return interviews


def get_setup_chats(request: Request) -> SetupChats:
    """The setup chat use cases built in the lifespan."""
    chats: SetupChats = request.app.state.setup_chats
    return chats


def page_request(
    limit: Annotated[int, Query(description=f"Items per page, {MIN_LIMIT}..{MAX_LIMIT}.")] = (
        DEFAULT_LIMIT
    ),
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page.")
    ] = None,
) -> PageRequest:
    """Limit and cursor of a list request."""
    if not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise InvalidInput(
            "limit", f"limit must be between {MIN_LIMIT} and {MAX_LIMIT}", source="query"
        )
    try:
        after = Cursor.decode(cursor) if cursor else None
    except InvalidCursor as error:
        raise InvalidInput("cursor", str(error), source="query") from None
    return PageRequest(limit=limit, after=after)


def interview_filter(
    role: Role | None = None,
    interview_type: InterviewType | None = None,
    tech: Annotated[
        str | None, Query(max_length=60, description="Only interviews covering this technology.")
    ] = None,
) -> InterviewFilter:
    """Which interviews a list shows."""
    canonical = None
    if tech is not None:
        try:
            canonical = canonical_technology(tech)
        except UnknownTechnology as error:
            raise InvalidInput(
                "tech", str(error), suggestions=error.suggestions, source="query"
            ) from None
    return InterviewFilter(role=role, interview_type=interview_type, tech=canonical)


Owner = Annotated[str, Depends(owner)]
InterviewsDep = Annotated[Interviews, Depends(get_interviews)]
SetupChatsDep = Annotated[SetupChats, Depends(get_setup_chats)]
PageDep = Annotated[PageRequest, Depends(page_request)]
FilterDep = Annotated[InterviewFilter, Depends(interview_filter)]
ResourceId = Annotated[str, Path(min_length=1, max_length=64)]

"""Dependencies of the history routes: the use cases and validated query parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from common.events import InterviewType, Role
from common.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MIN_LIMIT,
    Cursor,
    InvalidCursor,
    PageRequest,
)
from history.domain.filters import Scope
from history.service import HistoryQueries


class InvalidQuery(Exception):
    """A query parameter is out of range; ``field`` names it and the message gives the limits."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def bounded(field: str, value: int, low: int, high: int) -> int:
    """``value`` when it lies in [low, high]; otherwise a 422 naming the field and the limits."""
    if not low <= value <= high:
        raise InvalidQuery(field, f"{field} must be between {low} and {high}")
    return value


def get_queries(request: Request) -> HistoryQueries:
    """The read use cases built in the lifespan."""
    queries: HistoryQueries = request.app.state.queries
    return queries


def page_request(
    limit: Annotated[int, Query(description=f"Items per page, {MIN_LIMIT}..{MAX_LIMIT}.")] = (
        DEFAULT_LIMIT
    ),
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page.")
    ] = None,
) -> PageRequest:
    """Limit and cursor of a list request."""
    bounded("limit", limit, MIN_LIMIT, MAX_LIMIT)
    try:
        after = Cursor.decode(cursor) if cursor else None
    except InvalidCursor as error:
        raise InvalidQuery("cursor", str(error)) from None
    return PageRequest(limit=limit, after=after)


def scope(
    role: Role | None = None,
    interview_type: InterviewType | None = None,
    since: Annotated[datetime | None, Query(description="Attempts at or after this time.")] = None,
    until: Annotated[datetime | None, Query(description="Attempts before this time.")] = None,
) -> Scope:
    """Which attempts progress and insights look at."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidQuery(name, f"{name} needs a timezone, e.g. 2025-01-31T00:00:00Z")
    return Scope(role=role, interview_type=interview_type, since=since, until=until)


QueriesDep = Annotated[HistoryQueries, Depends(get_queries)]
PageDep = Annotated[PageRequest, Depends(page_request)]
ScopeDep = Annotated[Scope, Depends(scope)]

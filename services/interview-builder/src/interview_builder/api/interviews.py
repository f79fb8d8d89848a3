"""`/interviews`: create, list, read, retake and delete your interviews."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from interview_builder.api.deps import FilterDep, InterviewsDep, Owner, PageDep, ResourceId
from interview_builder.api.schemas import (
    InterviewCreate,
    InterviewOut,
    InterviewPage,
    InterviewSummary,
    RetakeCreate,
)

router = APIRouter(prefix="/interviews", tags=["interviews"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_interview(
    body: InterviewCreate, user_id: Owner, interviews: InterviewsDep
) -> InterviewOut:
    """Create an interview from an explicit setup."""
    return InterviewOut.of(await interviews.create(user_id, body.request()))


@router.get("")
async def list_interviews(
    user_id: Owner, interviews: InterviewsDep, page: PageDep, filters: FilterDep
) -> InterviewPage:
    """Your interviews, newest first."""
    found = await interviews.listing(user_id, filters, page)
    return InterviewPage(
        items=[InterviewSummary.of(item) for item in found.items], next_cursor=found.next_cursor
    )


@router.get("/{interview_id}")
async def get_interview(
    interview_id: ResourceId, user_id: Owner, interviews: InterviewsDep
) -> InterviewOut:
    """One of your interviews with its questions."""
    return InterviewOut.of(await interviews.get(user_id, interview_id))


@router.post("/{interview_id}/retake", status_code=status.HTTP_201_CREATED)
async def retake_interview(
    interview_id: ResourceId,
    user_id: Owner,
    interviews: InterviewsDep,
    body: RetakeCreate | None = None,
) -> InterviewOut:
    """A new interview from one of yours: the same questions, or new ones."""
    request = (body or RetakeCreate()).request()
    return InterviewOut.of(await interviews.retake(user_id, interview_id, request))


@router.delete("/{interview_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_interview(
    interview_id: ResourceId, user_id: Owner, interviews: InterviewsDep
) -> Response:
    """Delete one of your interviews (it disappears from lists and reads)."""
    await interviews.delete(user_id, interview_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

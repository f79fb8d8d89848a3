"""``/history``: interviews, attempts, feedback, progress, insights, comparisons and exports."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from common.auth import CurrentUser
from common.events import Category, InterviewType, Level, Role, Source
from history.api.deps import InvalidQuery, PageDep, QueriesDep, ScopeDep, bounded
from history.api.schemas import (
    AttemptItem,
    AttemptPage,
    FeedbackPage,
    InterviewItem,
    InterviewMeta,
    InterviewPage,
)
from history.domain.chart import layout, render_svg
from history.domain.compare import Comparison
from history.domain.filters import FeedbackFilter, InterviewFilter
from history.domain.insights import InsightRules, Insights
from history.domain.progress import Progress, Series
from history.domain.records import AttemptReport
from history.domain.report import feedback_markdown, report_document
from history.exports.pdf import report_pdf
from history.exports.png import chart_png

router = APIRouter(prefix="/history", tags=["history"])

MAX_WINDOW = 20
MAX_LAST = 1_000
DEFAULT_LAST = 100

Id = Annotated[str, Query(min_length=1, max_length=64)]
PathId = Annotated[str, Path(min_length=1, max_length=64)]
Window = Annotated[int, Query(description=f"Moving-average window, 1..{MAX_WINDOW} attempts.")]
Last = Annotated[int, Query(description=f"Most recent graded attempts to use, 1..{MAX_LAST}.")]


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidQuery(name, f"{name} needs a timezone, e.g. 2025-01-31T00:00:00Z")
    return value


def _filename(session_id: str, extension: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", session_id)
    return f"mocksy-feedback-{safe}.{extension}"


@router.get("/interviews")
async def list_interviews(
    user: CurrentUser,
    queries: QueriesDep,
    page: PageDep,
    role: Role | None = None,
    interview_type: InterviewType | None = None,
    level: Level | None = None,
    tech: Annotated[str | None, Query(max_length=40)] = None,
    source: Source | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> InterviewPage:
    """Your interviews, newest first, with attempts and best and last score."""
    filters = InterviewFilter(
        role=role,
        interview_type=interview_type,
        level=level,
        tech=tech.strip().lower() if tech else None,
        source=source,
        created_from=_aware("created_from", created_from),
        created_to=_aware("created_to", created_to),
    )
    found = await queries.interviews(user.user_id, filters, page)
    return InterviewPage(
        items=[InterviewItem.summary(s) for s in found.items], next_cursor=found.next_cursor
    )


@router.get("/interviews/{interview_id}/attempts")
async def list_attempts(
    interview_id: PathId, user: CurrentUser, queries: QueriesDep, page: PageDep
) -> AttemptPage:
    """Every attempt of one of your interviews, newest first."""
    interview, found = await queries.attempts(user.user_id, interview_id, page)
    return AttemptPage(
        interview=InterviewMeta.of(interview) if interview else None,
        items=[AttemptItem.of(a) for a in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/feedback")
async def list_feedback(
    user: CurrentUser,
    queries: QueriesDep,
    page: PageDep,
    role: Role | None = None,
    interview_type: InterviewType | None = None,
    gradable: bool | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> FeedbackPage:
    """Your feedback in brief, newest first."""
    filters = FeedbackFilter(
        role=role,
        interview_type=interview_type,
        gradable=gradable,
        created_from=_aware("created_from", created_from),
        created_to=_aware("created_to", created_to),
    )
    found = await queries.feedback_list(user.user_id, filters, page)
    return FeedbackPage(
        items=[AttemptItem.of(a) for a in found.items], next_cursor=found.next_cursor
    )


@router.get("/feedback/{session_id}")
async def get_feedback(session_id: PathId, user: CurrentUser, queries: QueriesDep) -> AttemptReport:
    """The full feedback on one of your sessions, with its questions and your answers."""
    return await queries.feedback(user.user_id, session_id)


@router.get(
    "/feedback/{session_id}/report",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}, "application/pdf": {}}}},
)
async def export_feedback(
    session_id: PathId,
    user: CurrentUser,
    queries: QueriesDep,
    format: Literal["markdown", "pdf"] = "markdown",
) -> Response:
    """The feedback on one of your sessions as a Markdown or PDF document."""
    report = await queries.feedback(user.user_id, session_id)
    if format == "pdf":
        body = await run_in_threadpool(report_pdf, report_document(report))
        return Response(
            body,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{_filename(session_id, "pdf")}"'
            },
        )
    return Response(
        feedback_markdown(report),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(session_id, "md")}"'},
    )


@router.get("/progress", response_model=Progress)
async def get_progress(
    user: CurrentUser,
    queries: QueriesDep,
    scope: ScopeDep,
    window: Window = 3,
    last: Last = DEFAULT_LAST,
) -> Response:
    """Overall and per-category scores over time, per role and type, with trends."""
    bounded("window", window, 1, MAX_WINDOW)
    bounded("last", last, 1, MAX_LAST)
    found = await queries.progress(user.user_id, scope, window=window, last=last)
    # Serialised once, directly: FastAPI would dump, re-validate and dump the model again, which
    # is most of the time of a request over a long history.
    return Response(found.model_dump_json(), media_type="application/json")


@router.get(
    "/progress/chart",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}},
)
async def progress_chart(
    user: CurrentUser,
    queries: QueriesDep,
    scope: ScopeDep,
    format: Literal["svg", "png"] = "svg",
    series: Literal["overall", Category] = "overall",
    window: Window = 3,
    last: Last = DEFAULT_LAST,
) -> Response:
    """A chart of your scores and their moving average, as SVG or PNG."""
    bounded("window", window, 1, MAX_WINDOW)
    bounded("last", last, 1, MAX_LAST)
    found = await queries.progress(user.user_id, scope, window=window, last=last)
    chosen: Series = found.all.overall if series == "overall" else found.all.categories[series]
    label = "Overall score" if series == "overall" else series.replace("_", " ").capitalize()
    narrowed = " ".join(x for x in (scope.role, scope.interview_type) if x)
    chart = layout(chosen, f"{label} - {narrowed}" if narrowed else label)
    if format == "png":
        return Response(await run_in_threadpool(chart_png, chart), media_type="image/png")
    return Response(render_svg(chart), media_type="image/svg+xml")


@router.get("/insights")
async def get_insights(
    user: CurrentUser,
    queries: QueriesDep,
    scope: ScopeDep,
    k: Annotated[int, Query(description="Weak in at least k ...")] = 3,
    n: Annotated[int, Query(description="... of the last n sessions (1..50).")] = 5,
    weak_below: Annotated[int, Query(description="Scores under this are weak (1..100).")] = 60,
    min_gain: Annotated[int, Query(description="Points that count as improved (1..100).")] = 5,
) -> Insights:
    """Recurring weak areas, speech habits trending up or down, what improved since the first."""
    bounded("n", n, 1, 50)
    bounded("k", k, 1, n)
    bounded("weak_below", weak_below, 1, 100)
    bounded("min_gain", min_gain, 1, 100)
    rules = InsightRules(k=k, n=n, weak_below=weak_below, min_gain=min_gain)
    return await queries.insights(user.user_id, scope, rules)


@router.get("/compare")
async def compare_attempts(user: CurrentUser, queries: QueriesDep, a: Id, b: Id) -> Comparison:
    """Two of your attempts side by side, question by question (changes are b minus a)."""
    return await queries.compare(user.user_id, a, b)

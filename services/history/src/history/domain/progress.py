"""Progress over time: score series per role and interview type, moving averages and trends."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from common.events import CATEGORIES, Category, InterviewType, Role

SECONDS_PER_WEEK = 7 * 24 * 3600
# Fewer points than this make a slope that says more about noise than about progress.
MIN_POINTS_FOR_TREND = 3

Direction = Literal["improving", "declining", "flat", "not_enough_data"]


class Value(BaseModel):
    """Base of the progress values: immutable."""

    model_config = ConfigDict(frozen=True)


class ScoredAttempt(Value):
    """A graded attempt, reduced to what progress needs."""

    session_id: str
    at: datetime
    role: Role | None
    interview_type: InterviewType | None
    overall: int
    categories: Mapping[Category, int]


class SeriesPoint(Value):
    """One attempt's score and the moving average up to it."""

    session_id: str
    at: datetime
    score: int
    moving_average: float


class Trend(Value):
    """Where a series is heading: the least-squares slope and what it means."""

    slope_per_attempt: float
    slope_per_week: float | None
    direction: Direction


class Series(Value):
    """Scores of one measure over attempts, oldest first."""

    points: list[SeriesPoint]
    trend: Trend
    first: int | None
    last: int | None
    best: int | None
    mean: float | None


class ProgressGroup(Value):
    """Progress of the attempts of one role and interview type (None: all of them)."""

    role: Role | None
    interview_type: InterviewType | None
    sessions: int
    overall: Series
    categories: dict[Category, Series]


class Progress(Value):
    """A user's progress: all graded attempts together, and per role and interview type."""

    window: int
    sessions: int
    all: ProgressGroup
    groups: list[ProgressGroup]


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean of the last ``window`` values at each position (fewer at the start)."""
    if window < 1:
        raise ValueError("window must be at least 1")
    averages: list[float] = []
    total = 0.0
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        averages.append(total / min(index + 1, window))
    return averages


def least_squares_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Slope of the least-squares line through the points; 0 when x does not vary."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys must have the same length")
    n = len(xs)
    if n < 2:
        return 0.0
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def trend(times: Sequence[datetime], scores: Sequence[float], *, flat_below: float = 0.5) -> Trend:
    """The trend of ``scores`` over attempts; |slope| under ``flat_below`` points is flat."""
    if len(scores) < MIN_POINTS_FOR_TREND:
        return Trend(slope_per_attempt=0.0, slope_per_week=None, direction="not_enough_data")
    per_attempt = least_squares_slope([float(i) for i in range(len(scores))], scores)
    per_week: float | None = None
    if times[-1] > times[0]:
        weeks = [(t - times[0]).total_seconds() / SECONDS_PER_WEEK for t in times]
        per_week = round(least_squares_slope(weeks, scores), 3)
    direction: Direction
    if abs(per_attempt) < flat_below:
        direction = "flat"
    else:
        direction = "improving" if per_attempt > 0 else "declining"
    return Trend(
        slope_per_attempt=round(per_attempt, 3), slope_per_week=per_week, direction=direction
    )


def series(
    attempts: Sequence[ScoredAttempt],
    score: Callable[[ScoredAttempt], int | None],
    *,
    window: int,
    flat_below: float = 0.5,
) -> Series:
    """The series of ``score`` over ``attempts`` (oldest first), skipping missing scores."""
    scored = [(a, s) for a in attempts if (s := score(a)) is not None]
    values = [float(s) for _, s in scored]
    averages = moving_average(values, window)
    # Built without re-validation: the values come from validated attempts, and a 1,000-session
    # history makes 12,000 points per request.
    points = [
        SeriesPoint.model_construct(
            session_id=a.session_id, at=a.at, score=s, moving_average=round(avg, 2)
        )
        for (a, s), avg in zip(scored, averages, strict=True)
    ]
    ints = [s for _, s in scored]
    return Series(
        points=points,
        trend=trend([a.at for a, _ in scored], values, flat_below=flat_below),
        first=ints[0] if ints else None,
        last=ints[-1] if ints else None,
        best=max(ints) if ints else None,
        mean=round(sum(ints) / len(ints), 2) if ints else None,
    )


def _category_score(category: Category) -> Callable[[ScoredAttempt], int | None]:
    def score(attempt: ScoredAttempt) -> int | None:
        return attempt.categories.get(category)

    return score


def progress_group(
    attempts: Sequence[ScoredAttempt],
    *,
    role: Role | None,
    interview_type: InterviewType | None,
    window: int,
    flat_below: float = 0.5,
) -> ProgressGroup:
    """Overall and per-category series of ``attempts``, which must be oldest first."""
    return ProgressGroup(
        role=role,
        interview_type=interview_type,
        sessions=len(attempts),
        overall=series(attempts, lambda a: a.overall, window=window, flat_below=flat_below),
        categories={
            c: series(attempts, _category_score(c), window=window, flat_below=flat_below)
            for c in CATEGORIES
        },
    )


def progress(
    attempts: Iterable[ScoredAttempt], *, window: int = 3, flat_below: float = 0.5
) -> Progress:
    """Progress of all ``attempts`` and of each (role, interview type) pair among them."""
    ordered = sorted(attempts, key=lambda a: (a.at, a.session_id))
    groups: dict[tuple[Role | None, InterviewType | None], list[ScoredAttempt]] = {}
    for attempt in ordered:
        groups.setdefault((attempt.role, attempt.interview_type), []).append(attempt)
    return Progress(
        window=window,
        sessions=len(ordered),
        all=progress_group(
            ordered, role=None, interview_type=None, window=window, flat_below=flat_below
        ),
        groups=[
            progress_group(
                members, role=role, interview_type=kind, window=window, flat_below=flat_below
            )
            for (role, kind), members in sorted(groups.items(), key=_group_order)
        ],
    )


def _group_order(
    item: tuple[tuple[Role | None, InterviewType | None], list[ScoredAttempt]],
) -> tuple[str, str]:
    (role, kind), _ = item
    return (role or "~", kind or "~")

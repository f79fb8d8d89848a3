"""Progress series on synthetic histories whose moving averages and trends are known."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.events import CATEGORIES, Category
from history.domain.progress import (
    ScoredAttempt,
    least_squares_slope,
    moving_average,
    progress,
    trend,
)
from history.testing import EPOCH


def attempt(
    n: int, overall: int, *, role: str = "frontend", kind: str = "technical", **cats: int
) -> ScoredAttempt:
    categories: dict[Category, int] = {c: cats.get(c, overall) for c in CATEGORIES}
    return ScoredAttempt.model_validate(
        {
            "session_id": f"s-{n:03}",
            "at": EPOCH + timedelta(days=7 * n),
            "role": role,
            "interview_type": kind,
            "overall": overall,
            "categories": categories,
        }
    )


def test_moving_average_is_trailing_and_uses_what_exists_at_the_start() -> None:
    assert moving_average([60, 70, 80, 90], 3) == [60, 65, 70, 80]
    assert moving_average([50, 70], 1) == [50, 70]
    with pytest.raises(ValueError, match="window"):
        moving_average([1], 0)


def test_least_squares_slope_of_known_lines() -> None:
    assert least_squares_slope([0, 1, 2, 3], [10, 12, 14, 16]) == pytest.approx(2.0)
    # Noisy points: 10, 8.5, 8.5, 6.5 are best fitted by y = 9.95 - 1.05x.
    assert least_squares_slope([0, 1, 2, 3], [10, 8.5, 8.5, 6.5]) == pytest.approx(-1.05)
    assert least_squares_slope([2, 2, 2], [1, 5, 9]) == 0.0


def test_trend_direction_needs_three_points_and_a_material_slope() -> None:
    times = [EPOCH + timedelta(days=7 * i) for i in range(4)]
    assert trend(times[:2], [50, 90]).direction == "not_enough_data"
    rising = trend(times, [50, 60, 70, 80])
    assert (rising.direction, rising.slope_per_attempt, rising.slope_per_week) == (
        "improving",
        10.0,
        10.0,
    )
    assert trend(times, [80, 70, 60, 50]).direction == "declining"
    assert trend(times, [70, 70.2, 69.9, 70.1]).direction == "flat"


def test_progress_groups_by_role_and_type_oldest_first() -> None:
    history = [
        attempt(3, 80),
        attempt(1, 60),
        attempt(2, 70),
        attempt(4, 40, role="backend", kind="behavioral"),
    ]
    result = progress(history, window=2)

    assert result.sessions == 4
    assert [p.session_id for p in result.all.overall.points] == ["s-001", "s-002", "s-003", "s-004"]
    back, front = result.groups  # sorted by role, then type
    assert (front.role, front.interview_type, front.sessions) == ("frontend", "technical", 3)
    assert [p.moving_average for p in front.overall.points] == [60, 65, 75]
    assert (front.overall.first, front.overall.last, front.overall.best) == (60, 80, 80)
    assert front.overall.trend.direction == "improving"
    assert (back.role, back.sessions, back.overall.trend.direction) == (
        "backend",
        1,
        "not_enough_data",
    )


def test_each_category_has_its_own_series() -> None:
    history = [
        attempt(1, 70, communication=50, confidence=90),
        attempt(2, 70, communication=60, confidence=80),
        attempt(3, 70, communication=70, confidence=70),
    ]
    result = progress(history, window=3).all
    assert result.overall.trend.direction == "flat"
    assert result.categories["communication"].trend.direction == "improving"
    assert result.categories["confidence"].trend.direction == "declining"
    assert result.categories["communication"].mean == 60


def test_no_attempts_gives_empty_series() -> None:
    result = progress([], window=3)
    assert result.sessions == 0
    assert result.all.overall.points == []
    assert result.all.overall.best is None
    assert result.groups == []

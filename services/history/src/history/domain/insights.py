"""Guidance from a history: recurring weak areas, speech habits on the move, what improved.

Every insight names the sessions it comes from, so a candidate can open them and see why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.events import CATEGORIES, Category, SpeechMetrics
from history.domain.progress import least_squares_slope

InsightKind = Literal[
    "recurring_weak_category", "recurring_weak_topic", "speech_trend", "improved_since_first"
]
SpeechMetric = Literal[
    "words_per_minute",
    "filler_words_per_100",
    "hedges_per_100",
    "mean_answer_words",
    "mean_response_delay_ms",
    "candidate_talk_ratio",
]


@dataclass(frozen=True)
class SpeechHabit:
    """How to read a speech metric: which way is better, and what change is worth a mention."""

    label: str
    better_when: Literal["lower", "higher"] | None
    min_change: float


# A change must be both large for the metric (min_change) and relative to its level
# (InsightRules.speech_min_relative_change) before it is called a trend.
SPEECH_HABITS: Mapping[SpeechMetric, SpeechHabit] = {
    "filler_words_per_100": SpeechHabit("filler words per 100 words", "lower", 0.5),
    "hedges_per_100": SpeechHabit("hedges per 100 words", "lower", 0.5),
    "mean_response_delay_ms": SpeechHabit("time before answering (ms)", "lower", 300.0),
    "mean_answer_words": SpeechHabit("words per answer", "higher", 10.0),
    "candidate_talk_ratio": SpeechHabit("share of the talking", "higher", 0.05),
    # Faster is not better or worse in itself; the direction is reported without a verdict.
    "words_per_minute": SpeechHabit("words per minute", None, 10.0),
}


class InsightRules(BaseModel):
    """Thresholds of the insight rules."""

    model_config = ConfigDict(frozen=True)

    k: int = Field(default=3, ge=1, le=50, description="Weak in at least k ...")
    n: int = Field(default=5, ge=1, le=50, description="... of the last n sessions.")
    weak_below: int = Field(default=60, ge=1, le=100, description="A score under this is weak.")
    min_gain: int = Field(default=5, ge=1, le=100, description="Points that count as improved.")
    speech_min_relative_change: float = Field(default=0.15, gt=0, le=10)

    @model_validator(mode="after")
    def _k_within_n(self) -> Self:
        if self.k > self.n:
            raise ValueError(f"k ({self.k}) must not be greater than n ({self.n})")
        return self


class TopicScore(BaseModel):
    """The score of a question and the topic it was about."""

    model_config = ConfigDict(frozen=True)

    topic: str
    score: int


class SessionEvidence(BaseModel):
    """A graded session, reduced to what the insight rules look at."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    at: datetime
    overall: int
    categories: Mapping[Category, int]
    topics: list[TopicScore] = Field(default_factory=list)
    speech: SpeechMetrics | None = None


class Insight(BaseModel):
    """One piece of guidance and the sessions it comes from."""

    model_config = ConfigDict(frozen=True)

    kind: InsightKind
    subject: str = Field(description="A category, a topic, a speech metric or 'overall'.")
    summary: str
    sessions: list[str]
    weak_in: int | None = None
    out_of: int | None = None
    mean_score: float | None = None
    direction: Literal["up", "down"] | None = None
    desirable: bool | None = None
    first: float | None = None
    latest: float | None = None
    change: float | None = None


class Insights(BaseModel):
    """Everything the rules found in a history."""

    model_config = ConfigDict(frozen=True)

    rules: InsightRules
    sessions_considered: int
    insights: list[Insight]


def _chronological(sessions: Iterable[SessionEvidence]) -> list[SessionEvidence]:
    return sorted(sessions, key=lambda s: (s.at, s.session_id))


def _name(category: str) -> str:
    return category.replace("_", " ")


def recurring_weak_categories(
    sessions: Sequence[SessionEvidence], rules: InsightRules
) -> list[Insight]:
    """Categories scored under ``weak_below`` in at least k of the last n sessions."""
    recent = _chronological(sessions)[-rules.n :]
    found: list[Insight] = []
    for category in CATEGORIES:
        weak = [
            s
            for s in recent
            if category in s.categories and s.categories[category] < rules.weak_below
        ]
        if len(weak) >= rules.k:
            mean = sum(s.categories[category] for s in weak) / len(weak)
            found.append(
                Insight(
                    kind="recurring_weak_category",
                    subject=category,
                    summary=(
                        f"{_name(category).capitalize()} was weak (under {rules.weak_below}) in "
                        f"{len(weak)} of your last {len(recent)} sessions, "
                        f"averaging {mean:.0f} there."
                    ),
                    sessions=[s.session_id for s in weak],
                    weak_in=len(weak),
                    out_of=len(recent),
                    mean_score=round(mean, 2),
                )
            )
    return sorted(found, key=lambda i: (-(i.weak_in or 0), i.mean_score or 0.0))


def _topic_key(topic: str) -> str:
    return " ".join(topic.lower().split())


def recurring_weak_topics(
    sessions: Sequence[SessionEvidence], rules: InsightRules
) -> list[Insight]:
    """Question topics whose mean score in a session was weak in at least k of the last n."""
    recent = _chronological(sessions)[-rules.n :]
    weak_sessions: dict[str, list[tuple[str, float]]] = {}
    labels: dict[str, str] = {}
    for session in recent:
        per_topic: dict[str, list[int]] = {}
        for item in session.topics:
            key = _topic_key(item.topic)
            if not key:
                continue
            labels.setdefault(key, item.topic.strip())
            per_topic.setdefault(key, []).append(item.score)
        for key, scores in per_topic.items():
            mean = sum(scores) / len(scores)
            if mean < rules.weak_below:
                weak_sessions.setdefault(key, []).append((session.session_id, mean))
    found = []
    for key, weak in weak_sessions.items():
        if len(weak) < rules.k:
            continue
        mean = sum(score for _, score in weak) / len(weak)
        found.append(
            Insight(
                kind="recurring_weak_topic",
                subject=labels[key],
                summary=(
                    f"Questions on {labels[key]} scored under {rules.weak_below} in "
                    f"{len(weak)} of your last {len(recent)} sessions, averaging {mean:.0f}."
                ),
                sessions=[session_id for session_id, _ in weak],
                weak_in=len(weak),
                out_of=len(recent),
                mean_score=round(mean, 2),
            )
        )
    return sorted(found, key=lambda i: (-(i.weak_in or 0), i.mean_score or 0.0, i.subject))


def speech_trends(sessions: Sequence[SessionEvidence], rules: InsightRules) -> list[Insight]:
    """Speech metrics whose least-squares change over the last n sessions is material."""
    recent = [s for s in _chronological(sessions) if s.speech is not None][-rules.n :]
    if len(recent) < 3:
        return []
    found = []
    for metric, habit in SPEECH_HABITS.items():
        points = [
            (float(i), float(value))
            for i, s in enumerate(recent)
            if s.speech is not None and (value := getattr(s.speech, metric)) is not None
        ]
        if len(points) < 3:
            continue
        xs, ys = [x for x, _ in points], [y for _, y in points]
        # Change across the window according to the fitted line, not first-to-last, so one
        # odd session at either end does not make or hide a trend.
        change = least_squares_slope(xs, ys) * (xs[-1] - xs[0])
        level = sum(ys) / len(ys)
        if abs(change) < habit.min_change:
            continue
        if level > 0 and abs(change) / level < rules.speech_min_relative_change:
            continue
        direction: Literal["up", "down"] = "up" if change > 0 else "down"
        desirable = (
            None
            if habit.better_when is None
            else (direction == "down") == (habit.better_when == "lower")
        )
        verdict = {True: " (good)", False: " (worth watching)", None: ""}[desirable]
        found.append(
            Insight(
                kind="speech_trend",
                subject=metric,
                summary=(
                    f"Your {habit.label} went {direction} by about {abs(change):.1f} over your "
                    f"last {len(points)} sessions{verdict}."
                ),
                sessions=[s.session_id for s in recent],
                direction=direction,
                desirable=desirable,
                first=round(ys[0], 2),
                latest=round(ys[-1], 2),
                change=round(change, 2),
            )
        )
    return found


def improvements_since_first(
    sessions: Sequence[SessionEvidence], rules: InsightRules
) -> list[Insight]:
    """Overall and category scores that rose by at least ``min_gain`` since the first session."""
    ordered = _chronological(sessions)
    if len(ordered) < 2:
        return []
    first, latest = ordered[0], ordered[-1]
    measures: list[tuple[str, int | None, int | None]] = [
        ("overall", first.overall, latest.overall)
    ]
    measures += [(c, first.categories.get(c), latest.categories.get(c)) for c in CATEGORIES]
    found = []
    for subject, before, now in measures:
        if before is None or now is None or now - before < rules.min_gain:
            continue
        found.append(
            Insight(
                kind="improved_since_first",
                subject=subject,
                summary=(
                    f"{_name(subject).capitalize()} rose from {before} in your first session "
                    f"to {now} in your latest (+{now - before})."
                ),
                sessions=[first.session_id, latest.session_id],
                first=float(before),
                latest=float(now),
                change=float(now - before),
            )
        )
    return sorted(found, key=lambda i: -(i.change or 0.0))


def insights(sessions: Iterable[SessionEvidence], rules: InsightRules) -> Insights:
    """All insights of a history of graded sessions."""
    ordered = _chronological(sessions)
    return Insights(
        rules=rules,
        sessions_considered=len(ordered),
        insights=[
            *recurring_weak_categories(ordered, rules),
            *recurring_weak_topics(ordered, rules),
            *speech_trends(ordered, rules),
            *improvements_since_first(ordered, rules),
        ],
    )

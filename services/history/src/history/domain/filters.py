"""What a user can narrow their history lists down to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common.events import InterviewType, Level, Role, Source


@dataclass(frozen=True)
class InterviewFilter:
    """Interviews of a role, type, level, technology, source, or created in a time range."""

    role: Role | None = None
    interview_type: InterviewType | None = None
    level: Level | None = None
    tech: str | None = None
    source: Source | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class FeedbackFilter:
    """Feedback on attempts of a role or type, graded or not, or given in a time range."""

    role: Role | None = None
    interview_type: InterviewType | None = None
    gradable: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True)
class Scope:
    """Which attempts progress and insights look at."""

    role: Role | None = None
    interview_type: InterviewType | None = None
    since: datetime | None = None
    until: datetime | None = None

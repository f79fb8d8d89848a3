"""Event contracts: round-trips, tolerance of added fields, validation and vocabulary."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from common.events import (
    CATEGORIES,
    EVENT_BY_TOPIC,
    CategoryScore,
    Feedback,
    FeedbackReady,
    Interview,
    InterviewCreated,
    InterviewSpec,
    Question,
    ScorerInfo,
    SessionCompleted,
    Transcript,
    Turn,
    dlq_topic,
    normalize_tech,
)
from common.events.docs import main as events_docs

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
QUESTION = Question(
    question_id="q1",
    text="How would you speed up a slow SQL query?",
    kind="technical",
    topic="query performance",
    key_points=["indexes", "explain plan", "avoid n+1"],
    follow_ups=["How do you read an explain plan?"],
)


def make_interview(**overrides: Any) -> Interview:
    fields: dict[str, Any] = {
        "id": "int-1",
        "user_id": "user-1",
        "role": "backend",
        "interview_type": "technical",
        "level": "senior",
        "tech_stack": ["postgresql"],
        "questions": [QUESTION],
        "created_at": NOW,
        "source": "setup_chat",
    }
    return Interview(**(fields | overrides))


def make_transcript() -> Transcript:
    return Transcript(
        session_id="s-1",
        interview_id="int-1",
        user_id="user-1",
        started_at=NOW,
        ended_at=NOW,
        outcome="completed",
        interview=InterviewSpec(
            role="backend",
            interview_type="technical",
            level="senior",
            tech_stack=["postgresql"],
            questions=[QUESTION],
        ),
        turns=[
            Turn(
                speaker="interviewer",
                text=QUESTION.text,
                start_ms=0,
                end_ms=2500,
                question_id="q1",
                kind="question",
                style="neutral",
            ),
            Turn(
                speaker="candidate",
                text="I'd start with the explain plan and add an index.",
                start_ms=3100,
                end_ms=7000,
                question_id="q1",
                kind="answer",
                stt_confidence=0.91,
            ),
        ],
    )


def make_feedback(**overrides: Any) -> Feedback:
    fields: dict[str, Any] = {
        "feedback_id": "f-1",
        "session_id": "s-1",
        "interview_id": "int-1",
        "user_id": "user-1",
        "created_at": NOW,
        "gradable": True,
        "overall_score": 72,
        "categories": {
            c: CategoryScore(score=70, rationale="because", evidence=["an index"])
            for c in CATEGORIES
        },
        "scorer": ScorerInfo(engine="offline-rubric", version="1"),
    }
    return Feedback(**(fields | overrides))


@pytest.mark.parametrize(
    "event",
    [
        InterviewCreated(data=make_interview()),
        SessionCompleted(data=make_transcript()),
        FeedbackReady(data=make_feedback()),
    ],
    ids=lambda e: type(e).__name__,
)
def test_event_round_trips_through_json(event: Any) -> None:
    wire = json.dumps(event.to_record_value())
    again = type(event).model_validate_json(wire)
    assert again == event
    assert again.key == "user-1"
    assert EVENT_BY_TOPIC[event.topic] is type(event)


def test_old_consumer_ignores_an_optional_field_added_later() -> None:
    value = InterviewCreated(data=make_interview()).to_record_value()
    value["schema_hint"] = "added in v1.1"
    value["data"]["difficulty_estimate"] = 0.7
    value["data"]["questions"][0]["estimated_minutes"] = 4
    parsed = InterviewCreated.model_validate(value)
    assert parsed.data.questions[0].question_id == "q1"
    assert "difficulty_estimate" not in parsed.data.model_dump()


def test_events_are_frozen() -> None:
    event = InterviewCreated(data=make_interview())
    with pytest.raises(ValidationError):
        event.correlation_id = "other"  # type: ignore[misc]


def test_envelope_fields_are_filled_in() -> None:
    event = FeedbackReady(data=make_feedback())
    value = event.to_record_value()
    assert value["event_type"] == "FeedbackReady"
    assert value["event_version"] == 1
    assert value["occurred_at"].endswith("Z")
    assert len(value["event_id"]) == 36
    assert value["correlation_id"]


def test_tech_stack_is_normalised_and_deduplicated() -> None:
    interview = make_interview(tech_stack=["K8s", "kubernetes", "Postgres", "nextjs"])
    assert interview.tech_stack == ["kubernetes", "postgresql", "next.js"]


def test_wrong_vocabulary_names_the_field() -> None:
    with pytest.raises(ValidationError) as error:
        make_interview(role="designer")
    assert error.value.errors()[0]["loc"] == ("role",)


def test_too_many_questions_is_refused() -> None:
    with pytest.raises(ValidationError, match="at most 20"):
        make_interview(questions=[QUESTION] * 21)


def test_turn_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="end_ms"):
        Turn(speaker="candidate", text="hi", start_ms=10, end_ms=5, kind="answer")


def test_ungradable_feedback_carries_no_scores_and_says_why() -> None:
    thin = make_feedback(gradable=False, overall_score=None, categories={}, warnings=["no answers"])
    assert thin.overall_score is None
    with pytest.raises(ValidationError, match="carries no scores"):
        make_feedback(gradable=False, warnings=["x"])
    with pytest.raises(ValidationError, match="must say why"):
        make_feedback(gradable=False, overall_score=None, categories={})


def test_gradable_feedback_needs_all_five_categories() -> None:
    with pytest.raises(ValidationError, match="missing: confidence"):
        make_feedback(
            categories={
                c: CategoryScore(score=1, rationale="r") for c in CATEGORIES if c != "confidence"
            }
        )


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("k8s", "kubernetes"),
        ("nextjs", "next.js"),
        ("postgres", "postgresql"),
        ("ts", "typescript"),
        ("  React.JS ", "react"),
        ("System   Design", "system design"),
        ("golang", "go"),
        ("python", "python"),
    ],
)
def test_normalize_tech_maps_aliases(alias: str, canonical: str) -> None:
    assert normalize_tech(alias) == canonical


def test_normalize_tech_unknown_is_none() -> None:
    assert normalize_tech("cobol on cogs") is None


def test_dlq_topic_name() -> None:
    assert dlq_topic("mocksy.feedback.ready.v1") == "mocksy.feedback.ready.v1.dlq"


def test_checked_in_event_documents_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    docs = Path(__file__).parents[4] / "docs" / "events"
    assert events_docs(["check", str(docs)]) == 0, capsys.readouterr().err


def test_stale_event_documents_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert events_docs(["write", str(tmp_path)]) == 0
    (tmp_path / "asyncapi.json").write_text("{}\n")
    assert events_docs(["check", str(tmp_path)]) == 1
    assert "asyncapi.json" in capsys.readouterr().err

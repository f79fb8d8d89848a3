"""The read models come out the same whatever the order of the events and however many copies."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.events import EventEnvelope, FeedbackReady, InterviewCreated, SessionCompleted
from common.pagination import PageRequest
from history.domain.filters import FeedbackFilter, InterviewFilter, Scope
from history.repository import ATTEMPTS, INTERVIEWS, PROGRESS, REPORTS, MongoHistoryRepository
from history.service import HistoryProjector, HistoryQueries
from history.testing import EPOCH, Attempt, feedback_ready, interview_created, session_completed
from services.history.tests.fakes import Database, WholeDocumentRewrites

USER = "user-ada"
ATTEMPT = Attempt("s-1", "i-1", EPOCH + timedelta(days=1), 72, topic_scores=(70, 60, 86))


def events() -> list[EventEnvelope]:
    return [
        interview_created(USER, "i-1"),
        session_completed(USER, ATTEMPT),
        feedback_ready(USER, ATTEMPT),
    ]


async def apply(projector: HistoryProjector, event: EventEnvelope) -> None:
    if isinstance(event, InterviewCreated):
        await projector.interview_created(event)
    elif isinstance(event, SessionCompleted):
        await projector.session_completed(event)
    elif isinstance(event, FeedbackReady):
        await projector.feedback_ready(event)


def snapshot(database: Database) -> dict[str, list[dict[str, Any]]]:
    # Documents are keyed by natural ids, so even _id must come out the same.
    return {
        name: sorted(collection.documents, key=lambda doc: str(doc["_id"]))
        for name, collection in sorted(database.items())
    }


async def replay(sequence: list[EventEnvelope]) -> dict[str, list[dict[str, Any]]]:
    database = Database()
    repository = MongoHistoryRepository.in_database(database)
    await repository.ensure_indexes()
    projector = HistoryProjector(repository)
    for event in sequence:
        await apply(projector, event)
    return snapshot(database)


async def test_every_order_of_the_three_events_builds_the_same_history() -> None:
    in_order = await replay(events())
    for order in itertools.permutations(events()):
        assert await replay(list(order)) == in_order, [type(e).__name__ for e in order]


async def test_duplicates_in_any_position_change_nothing() -> None:
    in_order = await replay(events())
    for order in itertools.permutations(events()):
        for duplicated in order:
            # The copy is a redelivery with a new position, not a new event id: both must hold.
            assert await replay([*order, duplicated, *order]) == in_order
    assert len(in_order["attempts"]) == 1
    assert len(in_order["interviews"]) == 1


async def test_feedback_before_its_session_is_shown_and_then_completed(
    projector: HistoryProjector, queries: HistoryQueries
) -> None:
    await projector.feedback_ready(feedback_ready(USER, ATTEMPT))

    listed = await queries.feedback_list(USER, FeedbackFilter(), PageRequest())
    assert [(a.session_id, a.status, a.overall_score) for a in listed.items] == [
        ("s-1", "graded", 72)
    ]
    assert listed.items[0].role is None

    await projector.session_completed(session_completed(USER, ATTEMPT))
    report = await queries.feedback(USER, "s-1")
    assert report.session is not None
    assert report.session.role == "frontend"
    assert report.questions[0].text == "Tell me about react hooks."
    assert report.feedback is not None
    assert report.feedback.overall_score == 72


async def test_interview_metadata_from_its_event_wins_over_the_sessions_copy(
    projector: HistoryProjector, queries: HistoryQueries
) -> None:
    await projector.session_completed(session_completed(USER, ATTEMPT))
    page = await queries.interviews(USER, InterviewFilter(), PageRequest())
    # Known from the session alone: listed with the session's start as its date.
    assert [(s.interview.interview_id, s.interview.source) for s in page.items] == [("i-1", None)]

    created = interview_created(USER, "i-1", at=EPOCH)
    await projector.interview_created(created)
    await projector.session_completed(session_completed(USER, ATTEMPT))
    page = await queries.interviews(USER, InterviewFilter(), PageRequest())
    interview = page.items[0].interview
    assert (interview.source, interview.created_at) == ("setup_chat", EPOCH)


@pytest.mark.parametrize("newest_first", [True, False])
async def test_the_newest_feedback_on_a_session_wins_in_either_order(
    projector: HistoryProjector, queries: HistoryQueries, newest_first: bool
) -> None:
    older = feedback_ready(USER, ATTEMPT, feedback_id="f-old")
    rescored = Attempt("s-1", "i-1", ATTEMPT.at, 88)
    newer = feedback_ready(
        USER, rescored, feedback_id="f-new", created_at=ATTEMPT.at + timedelta(hours=2)
    )
    for event in [newer, older] if newest_first else [older, newer]:
        await projector.feedback_ready(event)

    report = await queries.feedback(USER, "s-1")
    assert report.feedback is not None
    assert (report.feedback.feedback_id, report.feedback.overall_score) == ("f-new", 88)
    progress = await queries.progress(USER, Scope(), window=3, last=10)
    assert [p.score for p in progress.all.overall.points] == [88]


async def test_a_retake_keeps_every_attempt_with_best_and_last_score(
    projector: HistoryProjector, queries: HistoryQueries
) -> None:
    await projector.interview_created(interview_created(USER, "i-1"))
    scores = [64, 81, 75]
    for day, score in enumerate(scores, start=1):
        attempt = Attempt(f"s-{day}", "i-1", EPOCH + timedelta(days=day), score)
        await projector.session_completed(session_completed(USER, attempt))
        await projector.feedback_ready(feedback_ready(USER, attempt))

    page = await queries.interviews(USER, InterviewFilter(), PageRequest())
    summary = page.items[0]
    assert (summary.attempts, summary.best_score, summary.last_score) == (3, 81, 75)
    _, attempts = await queries.attempts(USER, "i-1", PageRequest())
    assert [a.overall_score for a in attempts.items] == [75, 81, 64]


async def test_an_ungradable_attempt_is_kept_but_never_scored(
    projector: HistoryProjector, queries: HistoryQueries
) -> None:
    thin = Attempt("s-9", "i-1", EPOCH, None)
    await projector.session_completed(session_completed(USER, thin))
    await projector.feedback_ready(feedback_ready(USER, thin))

    _, attempts = await queries.attempts(USER, "i-1", PageRequest())
    assert [(a.status, a.overall_score) for a in attempts.items] == [("ungradable", None)]
    progress = await queries.progress(USER, Scope(), window=3, last=10)
    assert progress.sessions == 0


async def test_a_users_events_handled_side_by_side_are_all_kept() -> None:
    database = Database()
    for name in (INTERVIEWS, ATTEMPTS, REPORTS, PROGRESS):
        database[name] = WholeDocumentRewrites(name)
    repository = MongoHistoryRepository.in_database(database)
    projector = HistoryProjector(repository)
    second = Attempt("s-2", "i-1", EPOCH + timedelta(days=2), 80)
    await apply(projector, interview_created(USER, "i-1"))
    await apply(projector, session_completed(USER, ATTEMPT))  # the document exists

    # As the two consumers do: a session's and a feedback's events at the same moment.
    await asyncio.gather(
        apply(projector, feedback_ready(USER, ATTEMPT)),
        apply(projector, session_completed(USER, second)),
        apply(projector, feedback_ready(USER, second)),
    )

    entries = {e.session_id: e for e in await repository.progress_entries(USER)}
    assert set(entries) == {"s-1", "s-2"}
    assert all(e.ended_at is not None and e.overall_score is not None for e in entries.values())
    # The session's part and the feedback's part of each attempt and each report are there.
    for name, parts in (
        (ATTEMPTS, {"ended_at", "overall_score"}),
        (REPORTS, {"session", "feedback"}),
    ):
        for document in database[name].documents:
            assert parts <= set(document), (name, sorted(document))


async def test_indexes_are_created_once_across_restarts(database: Database) -> None:
    before = {name: len(c.index_models) for name, c in database.items()}
    await MongoHistoryRepository.in_database(database).ensure_indexes()
    assert {name: len(c.index_models) for name, c in database.items()} == before
    assert before == {"attempts": 3, "interviews": 2, "progress": 0, "reports": 1}


def a_history() -> list[EventEnvelope]:
    """Two interviews, three attempts (one a retake), one session scored twice."""
    first = Attempt("s-1", "i-1", EPOCH + timedelta(days=1), 58)
    retake = Attempt("s-2", "i-1", EPOCH + timedelta(days=3), 66)
    other = Attempt("s-3", "i-2", EPOCH + timedelta(days=5), 71, role="backend")
    rescored = Attempt("s-3", "i-2", other.at, 75, role="backend")
    return [
        interview_created(USER, "i-1"),
        interview_created(USER, "i-2", role="backend"),
        *(session_completed(USER, a) for a in (first, retake, other)),
        *(feedback_ready(USER, a) for a in (first, retake, other)),
        feedback_ready(
            USER, rescored, feedback_id="f-rescored", created_at=other.at + timedelta(hours=3)
        ),
    ]


@settings(max_examples=40, deadline=None)
@given(order=st.permutations(range(9)), copies=st.lists(st.integers(0, 8), max_size=4))
def test_any_order_with_any_redeliveries_builds_the_same_history(
    order: list[int], copies: list[int]
) -> None:
    history = a_history()
    expected = asyncio.run(replay(history))
    shuffled = [history[i] for i in order] + [history[i] for i in copies]
    assert asyncio.run(replay(shuffled)) == expected

"""Key points count as covered when the candidate's words say them, in any common form."""

from __future__ import annotations

import pytest

from voice_agent.domain import KeyPointTracker


@pytest.mark.parametrize(
    ("key_point", "answer"),
    [
        ("Uses a cache", "I'd be caching the results."),
        ("Uses a cache", "Memoization would avoid the recomputation."),
        ("Uses a hash map", "A hash table keyed by user id."),
        ("Uses a hash map", "I'd put them in a dictionary."),
        ("Discusses trade-offs", "The main downside is memory."),
        ("Explains time complexity", "It runs in O(n log n)."),
        ("Writes unit tests", "I wrote tests for every edge case."),
        ("Scalability", "It scales horizontally."),
        ("Quantifies the result", "The outcome was a 30 percent drop in tickets."),
        ("Handles cache invalidation", "Invalidating the cached entry on every write handles it."),
    ],
)
def test_stems_and_synonyms_cover_a_key_point(key_point: str, answer: str) -> None:
    tracker = KeyPointTracker([key_point])

    tracker.add(answer)

    assert tracker.covered == (key_point,)


@pytest.mark.parametrize(
    ("key_point", "answer"),
    [
        ("Uses a hash map", "I'd sort the list."),
        ("Explains time complexity", "It is quick enough."),
        ("Handles cache invalidation", "A cache in front of the database."),
    ],
)
def test_a_different_subject_does_not_cover_a_key_point(key_point: str, answer: str) -> None:
    tracker = KeyPointTracker([key_point])

    tracker.add(answer)

    assert tracker.missed == (key_point,)


def test_coverage_accumulates_over_the_answer_so_far() -> None:
    tracker = KeyPointTracker(["Uses a hash set", "Explains time complexity", "Memory trade-offs"])

    assert tracker.add("I'd use a hash set.") == ("Uses a hash set",)
    assert tracker.add("That is O(n), but the downside is memory.") == (
        "Explains time complexity",
        "Memory trade-offs",
    )
    assert tracker.missed == ()
    assert tracker.coverage == 1.0
    assert tracker.word_count == 12


def test_missed_points_keep_their_order() -> None:
    tracker = KeyPointTracker(["Situation", "Actions taken", "Result"])

    tracker.add("The result was good.")

    assert tracker.missed == ("Situation", "Actions taken")
    assert tracker.coverage == pytest.approx(1 / 3)


def test_hesitations_are_measured() -> None:
    tracker = KeyPointTracker([])

    tracker.add("Um, uh, I mean, it, um, depends.")

    assert tracker.filler_share == pytest.approx(4 / 7)


def test_a_follow_up_is_recognised_as_targeting_its_key_point() -> None:
    tracker = KeyPointTracker(["Handles cache invalidation"])

    assert tracker.targets(
        "How would you handle invalidating the cache?", "Handles cache invalidation"
    )
    assert not tracker.targets("What about latency?", "Handles cache invalidation")


def test_share_outside_its_range_is_refused() -> None:
    with pytest.raises(ValueError, match=r"share must be within \(0, 1\]"):
        KeyPointTracker(["x"], share=0)

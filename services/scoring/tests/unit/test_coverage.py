"""Key-point coverage by meaning: stems, synonyms, alternatives, and no credit for echoes."""

from __future__ import annotations

from common.events import Question
from scoring.domain.coverage import Coverage, KeyPointMatcher
from scoring.domain.language import analyze_sentence, split_sentences


def _coverage(key_points: list[str], answer: str, question_text: str = "Tell me more.") -> Coverage:
    question = Question(
        question_id="q", text=question_text, kind="technical", topic="t", key_points=key_points
    )
    sentences = [analyze_sentence(s) for s in split_sentences(answer)]
    return KeyPointMatcher().match(question, sentences)


def test_paraphrase_with_synonyms_covers_the_point() -> None:
    cov = _coverage(
        ["caching reduces latency"],
        "We memoized the results, so the response time dropped a lot.",
    )
    assert cov.covered_points == ["caching reduces latency"]


def test_inflected_and_irregular_forms_cover_the_point() -> None:
    cov = _coverage(
        ["indexes slow down writes and take extra storage"],
        "Every insert also has to update the indices, so writing gets slower and "
        "they take extra disk space.",
    )
    assert cov.covered_points == ["indexes slow down writes and take extra storage"]


def test_unrelated_answer_covers_nothing() -> None:
    cov = _coverage(
        ["an index avoids a full table scan", "B-tree structure gives logarithmic lookups"],
        "I enjoy working with people and I am a fast learner who likes new challenges.",
    )
    assert cov.covered_points == []
    assert cov.score == 0.0


def test_either_alternative_of_an_or_point_is_enough() -> None:
    cov = _coverage(["asks for help or feedback"], "I asked a colleague to review my design.")
    assert cov.covered_points == ["asks for help or feedback"]


def test_one_example_of_a_such_as_list_is_enough() -> None:
    cov = _coverage(
        ["an invalidation strategy such as a TTL or write-through"],
        "Entries get a time to live of five minutes, so they expire on their own.",
    )
    assert cov.covered_points == ["an invalidation strategy such as a TTL or write-through"]


def test_what_a_point_says_to_avoid_does_not_count_as_covering_it() -> None:
    cov = _coverage(
        ["takes ownership rather than blaming others"],
        "It was late because QA was slow, it was their fault and not my problem.",
    )
    assert cov.missed_points == ["takes ownership rather than blaming others"]


def test_repeating_the_question_earns_less_than_answering_it() -> None:
    question = "How does a database index speed up queries?"
    echo = _coverage(
        ["an index avoids a full table scan"], "A database index speeds up queries.", question
    )
    real = _coverage(
        ["an index avoids a full table scan"],
        "With an index the database does not have to read every row.",
        question,
    )
    assert echo.missed_points == ["an index avoids a full table scan"]
    assert real.covered_points == ["an index avoids a full table scan"]


def test_partly_made_point_earns_partial_credit() -> None:
    full = _coverage(
        ["indexes slow down writes and take extra storage"],
        "Indexes slow writes and use disk space.",
    )
    half = _coverage(
        ["indexes slow down writes and take extra storage"], "Indexes make writes a bit slow."
    )
    none = _coverage(
        ["indexes slow down writes and take extra storage"], "They are great for reports."
    )
    assert full.score > half.score > none.score


def test_evidence_is_the_sentence_that_made_the_point() -> None:
    cov = _coverage(
        ["B-tree structure gives logarithmic lookups"],
        "I like databases. The index is a balanced tree, so lookups are log n. That's it.",
    )
    assert cov.matches[0].evidence == "The index is a balanced tree, so lookups are log n."


HOOKS_POINT = "useMemo and useCallback for stable references"


def test_identifiers_in_a_key_point_are_covered_when_said_aloud() -> None:
    cov = _coverage(
        [HOOKS_POINT],
        "I wrap the computed list in use memo and the click handler in use callback, "
        "so the references stay stable between renders.",
    )
    assert cov.covered_points == [HOOKS_POINT]


def test_identifiers_run_together_by_speech_to_text_still_cover_the_point() -> None:
    cov = _coverage(
        [HOOKS_POINT, "HashMap uses hashCode to find the bucket"],
        "usememo and usecallback keep the references stable. "
        "A hashmap calls the hashcode method to pick the bucket.",
    )
    assert cov.covered_points == [HOOKS_POINT, "HashMap uses hashCode to find the bucket"]


def test_an_answer_without_the_identifiers_does_not_cover_them() -> None:
    cov = _coverage(
        [HOOKS_POINT], "I keep components small and split the state so that renders stay cheap."
    )
    assert cov.covered_points == []

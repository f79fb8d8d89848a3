"""Speech metrics arithmetic on hand-made turns."""

from __future__ import annotations

import pytest

from scoring.domain.answers import collect_answers
from scoring.domain.speech import filler_count, hedge_count, measure_speech


def _words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


def test_pace_delay_length_and_talk_ratio(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview(questions=[kit.index, kit.cache])
    # Question 1 ends at 10 s; the answer (150 words) starts 2.5 s later and lasts 60 s.
    b.say(
        "interviewer", "q one", kind="question", question_id="q-index", gap_ms=0, duration_ms=10_000
    )
    b.answer(kit.index, _words(150), gap_ms=2_500, duration_ms=60_000)
    # A back-channel during the next answer is neither a prompt nor part of the conversation.
    b.say(
        "interviewer", "q two", kind="question", question_id="q-cache", gap_ms=0, duration_ms=5_000
    )
    b.answer(kit.cache, _words(50), gap_ms=1_500, duration_ms=30_000)
    b.say(
        "interviewer", "mhm", kind="backchannel", question_id="q-cache", gap_ms=0, duration_ms=500
    )
    b.say(
        "interviewer",
        "follow up",
        kind="follow_up",
        question_id="q-cache",
        gap_ms=0,
        duration_ms=5_000,
    )
    b.answer(kit.cache, _words(25), gap_ms=500, duration_ms=15_000)
    transcript = b.build()

    m = measure_speech(transcript, collect_answers(transcript).answers).metrics

    # 225 words over 105 s of answering.
    assert m.words_per_minute == pytest.approx(225 / (105 / 60), abs=0.05)
    # Answers per question: 150 and 50 + 25.
    assert m.mean_answer_words == pytest.approx(112.5)
    # Delays: 2500 after q1, 1500 after q2, 500 after the follow-up (the back-channel is skipped).
    assert m.mean_response_delay_ms == pytest.approx(1500)
    # Candidate 105 s of 125 s spoken (the back-channel does not count).
    assert m.candidate_talk_ratio == pytest.approx(105 / 125, abs=0.001)
    assert m.filler_words_per_100 == 0
    assert m.hedges_per_100 == 0


def test_fillers_and_hedges_per_100_words(kit) -> None:  # type: ignore[no-untyped-def]
    # 20 words: 2 fillers ("um", "you know") and 2 hedges ("I think", "maybe").
    text = "um I think the index is maybe on the id column you know and it helps the reads a lot"
    b = kit.interview(questions=[kit.index]).ask(kit.index).answer(kit.index, text)
    transcript = b.build()
    m = measure_speech(transcript, collect_answers(transcript).answers).metrics
    assert len(text.split()) == 20
    assert m.filler_words_per_100 == pytest.approx(10.0)
    assert m.hedges_per_100 == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Um, so, like, it's fast.", 2),
        ("I'd like to add an index.", 0),
        ("It's like a dictionary lookup.", 0),
        ("What kind of index would you use?", 0),
        ("It was kind of slow, you know.", 2),
        ("Do you know the answer?", 0),
        ("Uh, basically, uh, yes.", 3),
    ],
)
def test_fillers_are_told_apart_from_ordinary_words(text: str, expected: int) -> None:
    assert filler_count(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I think it's probably the cache, I'm not sure.", 3),
        ("The cache is the bottleneck.", 0),
        ("I guess maybe.", 2),
    ],
)
def test_hedges_are_counted(text: str, expected: int) -> None:
    assert hedge_count(text) == expected


def test_untimed_transcript_has_no_pace_but_still_a_talk_ratio(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview(questions=[kit.index])
    b.say(
        "interviewer",
        "one two three four",
        kind="question",
        question_id="q-index",
        duration_ms=0,
        gap_ms=0,
    )
    b.say("candidate", _words(12), kind="answer", question_id="q-index", duration_ms=0, gap_ms=0)
    transcript = b.build()
    profile = measure_speech(transcript, collect_answers(transcript).answers)
    assert not profile.timed
    assert profile.metrics.words_per_minute == 0
    assert profile.metrics.candidate_talk_ratio == pytest.approx(12 / 16)

"""A new worker picks the interview up from the persisted turns where the candidate left it."""

from __future__ import annotations

import pytest

from common.events import InterviewSpec, Turn
from voice_agent.domain import Conductor, ConductorSettings, Phase, QuestionStatus, Utterance

Q1_ANSWER = (
    "I would keep every value in a hash set, so each lookup is constant time. That makes it "
    "O(n) time complexity, and the trade-off is memory for the set."
)
Q2_PARTIAL = (
    "The situation was a disagreement with a teammate about code style, so we communicated "
    "in a long call."
)
Q2_REST = "The result was a lint config that everyone agreed on."
Q3_ANSWER = (
    "A cache reduces latency for repeated reads; invalidation is handled by expiring entries "
    "whenever the row is written."
)


def feed(conductor: Conductor, text: str, at: int) -> list[Utterance]:
    return conductor.on_candidate_turn(text, at, at + 4_000, stt_confidence=0.9)


def transcript(utterances: list[Utterance]) -> list[tuple[str, str, str | None]]:
    return [(u.kind, u.text, u.question_id) for u in utterances]


@pytest.fixture
def in_follow_up(spec: InterviewSpec) -> Conductor:
    """An interview on question 2, waiting for the answer to a follow-up."""
    conductor = Conductor(spec, seed=5)
    conductor.start(0)
    feed(conductor, Q1_ANSWER, 10_000)
    conductor.record_backchannel("mhm", 12_000, 12_300)
    feed(conductor, Q2_PARTIAL, 30_000)
    return conductor


def test_resume_continues_at_the_question_the_candidate_left(
    spec: InterviewSpec, in_follow_up: Conductor
) -> None:
    resumed = Conductor.resume_from(spec, in_follow_up.turns, seed=5)

    assert resumed.phase is Phase.LISTENING
    assert resumed.question_index == 1
    assert resumed.question_id == "q-conflict"
    assert resumed.follow_ups_used == 1
    assert resumed.progress == in_follow_up.progress
    assert resumed.turns == in_follow_up.turns


def test_rejoin_welcomes_back_and_repeats_the_pending_follow_up(
    spec: InterviewSpec, in_follow_up: Conductor
) -> None:
    follow_up = in_follow_up.turns[-1]
    resumed = Conductor.resume_from(spec, in_follow_up.turns, seed=5)

    out = resumed.rejoin(90_000)

    assert [u.kind for u in out] == ["other", "other"]
    assert out[0].style == "warm"
    assert out[1].text == follow_up.text
    assert all(u.question_id == "q-conflict" for u in out)
    assert resumed.follow_ups_used == 1  # a re-ask is not another follow-up


def test_after_resuming_the_interview_goes_on_exactly_as_it_would_have(
    spec: InterviewSpec, in_follow_up: Conductor
) -> None:
    resumed = Conductor.resume_from(spec, in_follow_up.turns, seed=5)

    expected = transcript(feed(in_follow_up, Q2_REST, 60_000))
    assert transcript(feed(resumed, Q2_REST, 60_000)) == expected
    expected = transcript(feed(in_follow_up, Q3_ANSWER, 80_000))
    assert transcript(feed(resumed, Q3_ANSWER, 80_000)) == expected
    assert resumed.outcome == in_follow_up.outcome == "completed"


def test_a_question_decided_but_never_spoken_is_asked_on_rejoin(
    spec: InterviewSpec,
) -> None:
    conductor = Conductor(spec, seed=5)
    conductor.start(0)
    feed(conductor, Q1_ANSWER, 10_000)
    # The worker died after storing the answer, before storing (or saying) the reply.
    turns = conductor.turns
    answer_at = next(i for i, t in enumerate(turns) if t.speaker == "candidate")
    persisted = turns[: answer_at + 1]

    resumed = Conductor.resume_from(spec, persisted, seed=5)
    out = resumed.rejoin(40_000)

    assert resumed.question_id == "q-conflict"
    assert [u.kind for u in out] == ["other", "question"]
    assert out[1].text == spec.questions[1].text
    assert [t.kind for t in resumed.turns if t.kind == "question"] == ["question", "question"]


def test_rejoin_keeps_the_wording_the_candidate_heard(
    spec: InterviewSpec, in_follow_up: Conductor
) -> None:
    index = len(in_follow_up.turns) - 1
    in_follow_up.record_spoken(index, 35_000, 38_000, text="And how did it turn out in the end?")

    resumed = Conductor.resume_from(spec, in_follow_up.turns, seed=5)

    assert resumed.rejoin(90_000)[1].text == "And how did it turn out in the end?"


def test_resume_replays_thinking_and_repeat_requests(spec: InterviewSpec) -> None:
    conductor = Conductor(spec, seed=5)
    conductor.start(0)
    question_end = conductor.turns[-1].end_ms
    conductor.on_silence(question_end + 10_000, 10_000)
    feed(conductor, "Yes please.", question_end + 14_000)
    feed(conductor, "Let me think.", question_end + 30_000)

    resumed = Conductor.resume_from(spec, conductor.turns, seed=5)

    assert resumed.phase is Phase.THINKING
    assert resumed.progress[0].status is QuestionStatus.ASKED
    assert resumed.turns == conductor.turns


def test_resume_with_no_turns_starts_from_the_greeting(spec: InterviewSpec) -> None:
    resumed = Conductor.resume_from(spec, [], seed=5)

    out = resumed.rejoin(0)

    assert [u.kind for u in out] == ["greeting", "question"]


def test_resume_of_a_finished_interview_says_nothing_more(spec: InterviewSpec) -> None:
    conductor = Conductor(spec, seed=5)
    conductor.start(0)
    feed(conductor, "I want to stop.", 10_000)

    resumed = Conductor.resume_from(spec, conductor.turns, seed=5)

    assert resumed.finished
    assert resumed.outcome == "ended_early"
    assert resumed.rejoin(50_000) == []


def test_a_closing_that_was_never_spoken_is_said_on_rejoin(spec: InterviewSpec) -> None:
    conductor = Conductor(spec, seed=5)
    conductor.start(0)
    feed(conductor, "I want to stop.", 10_000)
    persisted = [t for t in conductor.turns if t.kind != "closing"]

    resumed = Conductor.resume_from(spec, persisted, seed=5)

    assert [u.kind for u in resumed.rejoin(50_000)] == ["closing"]


def test_turns_of_another_interview_are_refused(spec: InterviewSpec) -> None:
    stranger = Turn(
        speaker="interviewer", text="Hi", start_ms=0, end_ms=10, question_id="q-x", kind="question"
    )

    with pytest.raises(ValueError, match=r"turns\[0\]\.question_id 'q-x'"):
        Conductor.resume_from(spec, [stranger])


def test_turns_the_policy_would_not_have_produced_are_refused(
    spec: InterviewSpec, in_follow_up: Conductor
) -> None:
    # A worker configured without follow-ups cannot explain the follow-up in the transcript.
    with pytest.raises(ValueError, match="check the spec, settings and seed"):
        Conductor.resume_from(
            spec, in_follow_up.turns, seed=5, settings=ConductorSettings(max_follow_ups=0)
        )

"""A pause is not the end of an answer; a long silence gets kindness, not the next question."""

from __future__ import annotations

import pytest

from voice_agent.domain import TurnDecision, TurnTakingPolicy, TurnTakingRules

policy = TurnTakingPolicy()

UNFINISHED = "So first I would split the data into chunks, and then, um"
FINISHED = "That way every request is served from the cache."


def test_an_8_second_pause_inside_an_answer_does_not_end_the_turn() -> None:
    assert policy.decide(8_000, UNFINISHED) is TurnDecision.KEEP_LISTENING


def test_a_pause_beyond_the_think_limit_ends_an_unfinished_turn() -> None:
    assert policy.decide(8_001, UNFINISHED) is TurnDecision.END_TURN


def test_the_turn_detector_keeps_the_turn_open_when_it_says_not_done() -> None:
    assert policy.decide(7_500, FINISHED, end_of_turn_probability=0.2) is (
        TurnDecision.KEEP_LISTENING
    )


def test_a_finished_answer_ends_after_a_short_silence() -> None:
    assert policy.decide(1_999, FINISHED) is TurnDecision.KEEP_LISTENING
    assert policy.decide(2_000, FINISHED) is TurnDecision.END_TURN


def test_a_confident_turn_detector_ends_the_turn_sooner() -> None:
    assert policy.decide(800, FINISHED, end_of_turn_probability=0.9) is TurnDecision.END_TURN


def test_let_me_think_extends_the_wait_and_then_prompts() -> None:
    assert policy.decide(14_999, "Hmm, let me think.") is TurnDecision.KEEP_LISTENING
    assert policy.decide(15_000, "Hmm, let me think.") is TurnDecision.PROMPT


def test_silence_before_any_answer_prompts_after_ten_seconds() -> None:
    assert policy.decide(9_999, "") is TurnDecision.KEEP_LISTENING
    assert policy.decide(10_000, "") is TurnDecision.PROMPT


@pytest.mark.parametrize(
    "words",
    ["and then", "I would use, um", "The reason is because", "First,", "Well...", "so the"],
)
def test_trailing_words_sound_unfinished(words: str) -> None:
    assert TurnTakingPolicy.sounds_unfinished(words)


@pytest.mark.parametrize("words", ["That is my answer.", "We shipped it on time", "Yes."])
def test_complete_sentences_sound_finished(words: str) -> None:
    assert not TurnTakingPolicy.sounds_unfinished(words)


@pytest.mark.parametrize(
    ("words", "unfinished"),
    [
        # The recognizer's "n" for an "and" trailing off into a pause.
        ("the database does less work and the reads are faster n", True),
        ("n", True),
        # "n" in complexity ends a sentence like any other word.
        ("the time complexity is o of n", False),
        ("it runs in n log n", False),
        ("sorting is o of n log n", False),
    ],
)
def test_a_trailing_n_is_an_and_unless_it_is_complexity(words: str, unfinished: bool) -> None:
    assert TurnTakingPolicy.sounds_unfinished(words) is unfinished


def test_thresholds_are_configurable() -> None:
    patient = TurnTakingPolicy(
        TurnTakingRules(
            max_think_pause_ms=12_000, prompt_after_ms=20_000, think_prompt_after_ms=25_000
        )
    )

    assert patient.decide(11_000, UNFINISHED) is TurnDecision.KEEP_LISTENING
    assert patient.decide(19_000, "") is TurnDecision.KEEP_LISTENING


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_think_pause_ms": -1}, "max_think_pause_ms must be between 0 and 120000"),
        ({"end_of_turn_threshold": 1.2}, "end_of_turn_threshold must be between 0 and 1"),
        ({"think_prompt_after_ms": 5_000}, "think_prompt_after_ms must be at least"),
    ],
)
def test_bad_rules_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TurnTakingRules(**kwargs)  # type: ignore[arg-type]


def test_bad_inputs_name_the_field() -> None:
    with pytest.raises(ValueError, match="silence_ms must be >= 0"):
        policy.decide(-1, "")
    with pytest.raises(ValueError, match="end_of_turn_probability"):
        policy.decide(100, "x", end_of_turn_probability=-0.1)


SURE = TurnTakingPolicy(
    TurnTakingRules(
        end_silence_with_detector_ms=800,
        end_silence_when_sure_ms=500,
        sure_end_of_turn_threshold=0.8,
        end_of_turn_threshold=0.36,
    )
)


def test_a_finished_answer_the_detector_is_sure_of_ends_after_the_shorter_silence() -> None:
    assert SURE.decide(499, FINISHED, end_of_turn_probability=0.9) is TurnDecision.KEEP_LISTENING
    assert SURE.decide(500, FINISHED, end_of_turn_probability=0.9) is TurnDecision.END_TURN


def test_a_detector_that_only_agrees_still_waits_the_usual_silence() -> None:
    assert SURE.decide(500, FINISHED, end_of_turn_probability=0.6) is TurnDecision.KEEP_LISTENING
    assert SURE.decide(800, FINISHED, end_of_turn_probability=0.6) is TurnDecision.END_TURN


def test_a_sure_detector_never_cuts_a_trailing_answer_short() -> None:
    assert SURE.decide(8_000, UNFINISHED, end_of_turn_probability=0.99) is (
        TurnDecision.KEEP_LISTENING
    )
    assert SURE.decide(15_000, "Hmm, let me think.", end_of_turn_probability=0.99) is (
        TurnDecision.PROMPT
    )


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            {"end_silence_when_sure_ms": 900, "end_silence_with_detector_ms": 800},
            "end_silence_when_sure_ms must be at most end_silence_with_detector_ms (800)",
        ),
        (
            {"sure_end_of_turn_threshold": 0.3, "end_of_turn_threshold": 0.5},
            "sure_end_of_turn_threshold must be between end_of_turn_threshold (0.5) and 1",
        ),
    ],
)
def test_sure_rules_that_would_wait_longer_are_refused(
    rules: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TurnTakingRules(**rules)  # type: ignore[arg-type]


SEMANTIC = TurnTakingPolicy(
    TurnTakingRules(
        end_silence_with_detector_ms=650,
        end_silence_when_sure_ms=500,
        end_silence_ms=1_000,
        complete_answer_words=8,
    )
)


def test_a_request_is_a_whole_turn_and_ends_after_the_shorter_silence() -> None:
    for request in ("Sorry, could you repeat the question?", "Can we skip this one?"):
        assert SEMANTIC.decide(499, request) is TurnDecision.KEEP_LISTENING
        assert SEMANTIC.decide(500, request) is TurnDecision.END_TURN


def test_a_complete_answer_ends_without_waiting_for_unsure_audio() -> None:
    assert SEMANTIC.decide(649, FINISHED) is TurnDecision.KEEP_LISTENING
    assert SEMANTIC.decide(650, FINISHED) is TurnDecision.END_TURN


def test_a_short_answer_with_unsure_audio_waits_the_longer_silence() -> None:
    assert SEMANTIC.decide(999, "A hash set.") is TurnDecision.KEEP_LISTENING
    assert SEMANTIC.decide(1_000, "A hash set.") is TurnDecision.END_TURN


def test_words_never_cut_a_trailing_answer_short() -> None:
    long_and_trailing = "I would put every value into a hash set and then check, um"
    assert SEMANTIC.decide(8_000, long_and_trailing) is TurnDecision.KEEP_LISTENING

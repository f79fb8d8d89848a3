"""Back-channels come in real pauses, sparingly, and never step on the candidate."""

from __future__ import annotations

from itertools import pairwise

import pytest

from voice_agent.domain import (
    DEFAULT_CLIPS,
    BackchannelPolicy,
    BackchannelRules,
    Decline,
    ListeningObservation,
    finishing_probability,
)


def pause(
    *,
    pause_ms: int = 800,
    since_start: int = 10_000,
    since_last: int | None = None,
    end_of_turn: float | None = None,
    speaking: bool = False,
    ended: bool = False,
) -> ListeningObservation:
    return ListeningObservation(
        candidate_speaking=speaking,
        pause_ms=0 if speaking else pause_ms,
        ms_since_answer_start=since_start,
        ms_since_last_backchannel=since_last,
        end_of_turn_probability=end_of_turn,
        answer_ended=ended,
    )


@pytest.fixture
def policy() -> BackchannelPolicy:
    p = BackchannelPolicy(seed=1)
    p.begin_answer()
    return p


def test_a_mid_answer_pause_gets_a_clip(policy: BackchannelPolicy) -> None:
    assert policy.decide(pause()) in DEFAULT_CLIPS


def test_never_while_the_candidate_is_speaking(policy: BackchannelPolicy) -> None:
    assert policy.decide(pause(speaking=True)) is None


def test_a_short_gap_between_words_is_not_a_pause(policy: BackchannelPolicy) -> None:
    assert policy.decide(pause(pause_ms=599)) is None
    assert policy.decide(pause(pause_ms=600)) is not None


def test_none_in_the_first_seconds_of_an_answer(policy: BackchannelPolicy) -> None:
    assert policy.decide(pause(since_start=2_999)) is None
    assert policy.decide(pause(since_start=3_000)) is not None


def test_a_minimum_gap_between_backchannels(policy: BackchannelPolicy) -> None:
    assert policy.decide(pause(since_last=3_999)) is None
    assert policy.decide(pause(since_last=4_000)) is not None


def test_one_long_pause_gets_one_clip_only(policy: BackchannelPolicy) -> None:
    # The last clip was played 4.5 s ago, inside this 5 s pause.
    assert policy.decide(pause(pause_ms=5_000, since_last=4_500)) is None


def test_at_most_three_per_answer_and_the_count_resets(policy: BackchannelPolicy) -> None:
    played = [policy.decide(pause(since_last=None if i == 0 else 5_000)) for i in range(5)]

    assert sum(clip is not None for clip in played) == 3
    assert policy.played_this_answer == 3
    policy.begin_answer()
    assert policy.decide(pause(since_last=5_000)) is not None


def test_none_when_the_candidate_is_probably_done(policy: BackchannelPolicy) -> None:
    assert policy.decide(pause(end_of_turn=0.51)) is None
    assert policy.decide(pause(end_of_turn=0.5)) is not None


def test_none_in_the_silence_after_the_answer(policy: BackchannelPolicy) -> None:
    assert policy.decide(pause(pause_ms=2_000, ended=True)) is None


@pytest.mark.parametrize(
    ("observation", "rule"),
    [
        (pause(ended=True), Decline.ANSWER_ENDED),
        (pause(speaking=True), Decline.SPEAKING),
        (pause(pause_ms=300), Decline.SHORT_PAUSE),
        (pause(since_start=1_000), Decline.QUIET_START),
        (pause(pause_ms=5_000, since_last=4_500), Decline.SAME_PAUSE),
        (pause(since_last=2_000), Decline.MIN_GAP),
        (pause(end_of_turn=0.9), Decline.FINISHING),
        (pause(), None),
    ],
)
def test_the_rule_that_keeps_quiet_is_named(
    policy: BackchannelPolicy, observation: ListeningObservation, rule: Decline | None
) -> None:
    assert policy.declined_by(observation) == rule
    assert (policy.decide(observation) is None) == (rule is not None)


def test_the_cap_is_named_once_reached(policy: BackchannelPolicy) -> None:
    for _ in range(policy.rules.max_per_answer):
        policy.decide(pause(since_last=5_000))
    assert policy.declined_by(pause(since_last=5_000)) is Decline.CAP


def test_clips_rotate_without_immediate_repeats() -> None:
    policy = BackchannelPolicy(BackchannelRules(max_per_answer=100), seed=3)
    policy.begin_answer()

    clips = [policy.decide(pause(since_last=5_000)) for _ in range(40)]

    assert all(clip is not None for clip in clips)
    assert all(a != b for a, b in pairwise(clips))
    assert set(clips) == set(DEFAULT_CLIPS)


def test_same_seed_same_clips() -> None:
    def run(seed: int) -> list[str | None]:
        policy = BackchannelPolicy(BackchannelRules(max_per_answer=100), seed=seed)
        return [policy.decide(pause(since_last=5_000)) for _ in range(12)]

    assert run(9) == run(9)
    assert run(9) != run(10)


def test_custom_rules_take_effect() -> None:
    policy = BackchannelPolicy(BackchannelRules(min_pause_ms=1_000, clips=("uh-huh",)))

    assert policy.decide(pause(pause_ms=900)) is None
    assert policy.decide(pause(pause_ms=1_000)) == "uh-huh"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_pause_ms": -1}, "min_pause_ms must be >= 0"),
        ({"max_per_answer": -2}, "max_per_answer must be >= 0"),
        ({"max_end_of_turn_probability": 1.5}, "between 0 and 1"),
        ({"clips": ()}, "at least one"),
        ({"clips": ("mhm", "mhm")}, "must not repeat"),
    ],
)
def test_bad_rules_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BackchannelRules(**kwargs)  # type: ignore[arg-type]


def test_bad_observation_names_the_field() -> None:
    with pytest.raises(ValueError, match="end_of_turn_probability must be between 0 and 1"):
        pause(end_of_turn=2.0)
    with pytest.raises(ValueError, match="pause_ms must be >= 0"):
        ListeningObservation(candidate_speaking=False, pause_ms=-5, ms_since_answer_start=0)


def test_finished_words_mean_finishing_whatever_the_audio_says() -> None:
    assert finishing_probability("So the time complexity is linear.", 0.0) == 1.0
    assert finishing_probability("", None) == 1.0


def test_after_trailing_words_the_audio_model_decides() -> None:
    assert finishing_probability("I keep every value in a hash set and", 0.8) == 0.8
    assert finishing_probability("I keep every value in a hash set, so", 0.1) == 0.1
    assert finishing_probability("I keep every value in a hash set and", None) == 0.0

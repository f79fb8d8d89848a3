"""When the interviewer says "mhm": only in a real pause inside an unfinished sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from livekit import rtc

from common.events import InterviewSpec
from voice_agent.domain import BackchannelPolicy, Conductor, TurnTakingPolicy
from voice_agent.testing import in_memory_sessions
from voice_agent.worker.backchannels import BackchannelCoach
from voice_agent.worker.journal import TranscriptJournal

from .conftest import SESSION_ID, stored_session


class Clock:
    """Session milliseconds; epoch seconds are taken as seconds since the session began."""

    def __init__(self) -> None:
        self.now = 0

    def now_ms(self) -> int:
        return self.now

    def ms(self, epoch_seconds: float) -> int:
        return round(epoch_seconds * 1000)


@dataclass
class Player:
    """Plays nothing; remembers what it was asked to play."""

    played: list[int] = field(default_factory=list)

    def play(self, frames: Any) -> None:
        self.played.append(1)


@dataclass
class Detector:
    """The turn detector as the coach reads it: its audio model's view of the current pause."""

    policy: TurnTakingPolicy = field(default_factory=TurnTakingPolicy)
    end_of_turn: object | None = None  # the audio model, when loaded
    last_probability: float | None = None


@dataclass
class Transcript:
    transcript: str
    is_final: bool = True


@dataclass
class State:
    new_state: str
    old_state: str = ""
    created_at: float = 0.0  # when the voice activity detector placed the change


CLIP = [rtc.AudioFrame(b"\x00\x00" * 960, 48_000, 1, 960)] * 20  # 0.4 s


@pytest.fixture
async def coach(spec: InterviewSpec) -> tuple[BackchannelCoach, Clock, Detector, Conductor]:
    store = in_memory_sessions()
    await stored_session(store, spec)
    conductor = Conductor(spec, seed=1)
    conductor.start(0)
    journal = TranscriptJournal(store, SESSION_ID, lambda: conductor.turns)
    clock, detector = Clock(), Detector()
    policy = BackchannelPolicy(seed=1)
    clips = dict.fromkeys(policy.rules.clips, CLIP)
    coach = BackchannelCoach(
        policy,
        clips,
        Player(),
        conductor,
        journal,
        detector,
        clock,  # type: ignore[arg-type]
    )
    return coach, clock, detector, conductor


def speak(coach: BackchannelCoach, clock: Clock, from_ms: int, to_ms: int) -> None:
    clock.now = from_ms
    coach.on_candidate_state(State("speaking", created_at=from_ms / 1000))  # type: ignore[arg-type]
    clock.now = to_ms
    coach.on_candidate_state(
        State("listening", "speaking", created_at=to_ms / 1000)  # type: ignore[arg-type]
    )


def heard(coach: BackchannelCoach, words: str) -> None:
    coach.on_transcript(Transcript(words))  # type: ignore[arg-type]


TRAILING = "I would keep every value in a hash set and then"
FINISHED = "So the time complexity is linear."


async def test_a_pause_mid_sentence_gets_one_backchannel(coach: Any) -> None:
    coach, clock, _, conductor = coach
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    clock.now = 15_300
    assert coach.consider() is None  # too short a pause
    clock.now = 15_800
    clip = coach.consider()
    assert clip is not None
    assert conductor.turns[-1].kind == "backchannel"
    clock.now = 16_500
    assert coach.consider() is None  # one pause, one clip


async def test_no_backchannel_when_the_answer_sounds_finished(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    speak(coach, clock, 15_400, 18_000)
    heard(coach, FINISHED)
    clock.now = 19_000
    assert coach.consider() is None


async def test_no_backchannel_before_the_pause_is_judged(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 15_000)
    clock.now = 16_000
    assert coach.consider() is None  # no words yet


async def test_no_backchannel_on_the_words_of_an_earlier_pause(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    # The candidate goes on and stops; the recognizer has not caught up with that speech yet.
    speak(coach, clock, 15_400, 18_000)
    clock.now = 19_000
    assert coach.consider() is None
    heard(coach, "and I check each value and")
    assert coach.consider() is not None


async def test_no_backchannel_in_the_first_seconds_of_an_answer(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 11_000)
    heard(coach, "Well, first, and")
    clock.now = 11_800
    assert coach.consider() is None


async def test_no_backchannel_once_the_turn_is_over(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    coach.turn_ended()
    clock.now = 16_000
    assert coach.consider() is None


async def test_the_pause_is_timed_from_where_the_speech_ended(coach: Any) -> None:
    coach, clock, _, _ = coach
    clock.now = 10_000
    coach.on_candidate_state(State("speaking", created_at=10.0))
    # The voice activity detector says so after its own 0.5 s of silence, dated back.
    clock.now = 15_500
    coach.on_candidate_state(State("listening", "speaking", created_at=15.0))
    heard(coach, TRAILING)
    clock.now = 15_650
    assert coach.consider() is not None  # 0.65 s of silence, though told 0.15 s ago


async def test_trailing_words_get_no_backchannel_when_the_audio_model_hears_an_ending(
    coach: Any,
) -> None:
    coach, clock, detector, _ = coach
    detector.end_of_turn = object()
    detector.last_probability = 0.8
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    clock.now = 16_000
    assert coach.consider() is None
    assert coach.policy.rules.max_end_of_turn_probability < 0.8
    # The next pause, after words the model hears as unfinished, gets one.
    speak(coach, clock, 16_200, 20_000)
    detector.last_probability = 0.2
    heard(coach, "and I check each value and")
    clock.now = 21_000
    assert coach.consider() is not None
    (first,) = coach.pauses  # the pause before was logged with what held it back
    assert (first.declined_by, first.finishing) == ("finishing", 0.8)


async def test_finished_words_get_none_whatever_the_audio_model_says(coach: Any) -> None:
    coach, clock, detector, _ = coach
    detector.end_of_turn = object()
    detector.last_probability = 0.0
    speak(coach, clock, 10_000, 15_000)
    heard(coach, FINISHED)
    clock.now = 16_000
    assert coach.consider() is None


async def test_trailing_words_wait_a_moment_for_the_audio_model(coach: Any) -> None:
    coach, clock, detector, _ = coach
    detector.end_of_turn = object()
    speak(coach, clock, 10_000, 15_000)
    clock.now = 15_700
    heard(coach, TRAILING)
    clock.now = 15_800
    assert coach.consider() is None  # the model's view of this pause is on its way
    clock.now = 16_200
    assert coach.consider() is not None  # it never came: the words judge alone

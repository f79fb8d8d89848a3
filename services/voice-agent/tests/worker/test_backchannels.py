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
    def __init__(self) -> None:
        self.ms = 0

    def now_ms(self) -> int:
        return self.ms


@dataclass
class Player:
    """Plays nothing; remembers what it was asked to play."""

    played: list[int] = field(default_factory=list)

    def play(self, frames: Any) -> None:
        self.played.append(1)


@dataclass
class Detector:
    policy: TurnTakingPolicy = field(default_factory=TurnTakingPolicy)


@dataclass
class Transcript:
    transcript: str
    is_final: bool = True


@dataclass
class State:
    new_state: str
    old_state: str = ""


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
    clock.ms = from_ms
    coach.on_candidate_state(State("speaking"))  # type: ignore[arg-type]
    clock.ms = to_ms
    coach.on_candidate_state(State("listening", "speaking"))  # type: ignore[arg-type]


def heard(coach: BackchannelCoach, words: str) -> None:
    coach.on_transcript(Transcript(words))  # type: ignore[arg-type]


TRAILING = "I would keep every value in a hash set and then"
FINISHED = "So the time complexity is linear."


async def test_a_pause_mid_sentence_gets_one_backchannel(coach: Any) -> None:
    coach, clock, _, conductor = coach
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    clock.ms = 15_300
    assert coach.consider() is None  # too short a pause
    clock.ms = 15_800
    clip = coach.consider()
    assert clip is not None
    assert conductor.turns[-1].kind == "backchannel"
    clock.ms = 16_500
    assert coach.consider() is None  # one pause, one clip


async def test_no_backchannel_when_the_answer_sounds_finished(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    speak(coach, clock, 15_400, 18_000)
    heard(coach, FINISHED)
    clock.ms = 19_000
    assert coach.consider() is None


async def test_no_backchannel_before_the_pause_is_judged(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 15_000)
    clock.ms = 16_000
    assert coach.consider() is None  # no words yet


async def test_no_backchannel_on_the_words_of_an_earlier_pause(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    # The candidate goes on and stops; the recognizer has not caught up with that speech yet.
    speak(coach, clock, 15_400, 18_000)
    clock.ms = 19_000
    assert coach.consider() is None
    heard(coach, "and I check each value and")
    assert coach.consider() is not None


async def test_no_backchannel_in_the_first_seconds_of_an_answer(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 11_000)
    heard(coach, "Well, first, and")
    clock.ms = 11_800
    assert coach.consider() is None


async def test_no_backchannel_once_the_turn_is_over(coach: Any) -> None:
    coach, clock, _, _ = coach
    speak(coach, clock, 10_000, 15_000)
    heard(coach, TRAILING)
    coach.turn_ended()
    clock.ms = 16_000
    assert coach.consider() is None

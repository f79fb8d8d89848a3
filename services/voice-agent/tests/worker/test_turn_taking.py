"""When the interviewer takes the floor, and which jobs and how many a worker takes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import UserStateChangedEvent, llm
from livekit.agents.voice.events import UserState

from voice_agent.domain import TurnDecision
from voice_agent.worker.main import (
    full_load,
    session_id_of,
    session_load,
    turn_handling,
    turn_taking_policy,
)
from voice_agent.worker.settings import InterviewerSettings
from voice_agent.worker.turn_detection import (
    WINDOW_SAMPLES,
    PolicyTurnDetector,
    RecentAudio,
)


def settings(**overrides: object) -> InterviewerSettings:
    return InterviewerSettings(livekit_api_key="devkey", livekit_api_secret="secret", **overrides)


def said(*turns: str) -> llm.ChatContext:
    chat = llm.ChatContext.empty()
    chat.add_message(role="assistant", content="How would you find duplicates?")
    for text in turns:
        chat.add_message(role="user", content=text)
    return chat


class Clock:
    def __init__(self) -> None:
        self.seconds = 1_000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def detector(clock: Clock) -> PolicyTurnDetector:
    # No audio model: the policy decides from the words and the silence so far.
    return PolicyTurnDetector(
        turn_taking_policy(settings()), RecentAudio(), None, now=clock, poll_s=0.01
    )


def silent_for(detector: PolicyTurnDetector, clock: Clock, seconds: float) -> None:
    detector.stopped_speaking_at = clock.seconds - seconds


async def test_a_finished_answer_ends_the_turn_after_a_short_silence(
    detector: PolicyTurnDetector, clock: Clock
) -> None:
    silent_for(detector, clock, 0.6)
    waiting = asyncio.ensure_future(detector.predict_end_of_turn(said("I would use a hash set.")))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # 0.6 s is not enough without the audio model's word
    clock.seconds += 0.7
    assert await asyncio.wait_for(waiting, 1) == 1.0


@pytest.mark.parametrize(
    "trailing", ["I would use a hash set and", "So the first thing I would do is, um", "Well,"]
)
async def test_a_trailing_answer_keeps_the_floor_through_a_pause(
    detector: PolicyTurnDetector, clock: Clock, trailing: str
) -> None:
    silent_for(detector, clock, 5.0)
    waiting = asyncio.ensure_future(detector.predict_end_of_turn(said(trailing)))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    assert detector.last_decision is TurnDecision.KEEP_LISTENING
    clock.seconds += 3.5  # past the eight seconds of think time
    assert await asyncio.wait_for(waiting, 1) == 1.0


# Eleven words that do not trail off: an answer that sounds finished.
COMPLETE = "I would put every value in a hash set to find duplicates."


class ThinkingAudioModel:
    """An audio end-of-turn model that answers ``probability`` only once released."""

    def __init__(self, probability: float) -> None:
        self._probability = probability
        self.release = threading.Event()

    def probability(self, pcm_16k: np.ndarray) -> float:
        self.release.wait(5)
        return self._probability


def detector_asking(model: ThinkingAudioModel, clock: Clock) -> PolicyTurnDetector:
    """The worker's turn detector with ``model`` as its audio end-of-turn model."""
    return PolicyTurnDetector(
        turn_taking_policy(settings()),
        RecentAudio(),
        model,  # type: ignore[arg-type]
        now=clock,
        poll_s=0.01,
    )


async def test_a_finished_answer_does_not_wait_for_the_audio_model(clock: Clock) -> None:
    model = ThinkingAudioModel(0.9)
    detector = detector_asking(model, clock)
    silent_for(detector, clock, settings().end_of_turn_silence_ms / 1000)
    try:
        assert await asyncio.wait_for(detector.predict_end_of_turn(said(COMPLETE)), 1) == 1.0
    finally:
        model.release.set()
    assert detector.last_decision is TurnDecision.END_TURN


async def test_a_sure_audio_model_still_hurries_a_short_answer_once_it_has_answered(
    clock: Clock,
) -> None:
    model = ThinkingAudioModel(0.9)
    detector = detector_asking(model, clock)
    silent_for(detector, clock, settings().sure_end_silence_ms / 1000)
    waiting = asyncio.ensure_future(detector.predict_end_of_turn(said("A hash set.")))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # too short to end on its words alone
    model.release.set()
    assert await asyncio.wait_for(waiting, 1) == 1.0
    assert detector.last_probability == 0.9


class Session:
    """Passes the candidate's speaking states to whoever listens, as an ``AgentSession`` does."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[UserStateChangedEvent], None]] = []

    def on(self, event: str, listener: Callable[[UserStateChangedEvent], None]) -> None:
        assert event == "user_state_changed"
        self.listeners.append(listener)

    def candidate(self, old: UserState, new: UserState, *, dated: float) -> None:
        for listener in self.listeners:
            listener(UserStateChangedEvent(old_state=old, new_state=new, created_at=dated))


async def test_think_time_is_counted_from_the_end_of_the_speech(
    detector: PolicyTurnDetector, clock: Clock
) -> None:
    session = Session()
    detector.attach(session)  # type: ignore[arg-type]
    think_s = settings().max_think_pause_ms / 1000
    session.candidate("listening", "speaking", dated=clock.seconds)
    clock.seconds += 4.0
    ended = clock.seconds
    # LiveKit tells of the end once its detector has heard 0.5 s of silence, dated back to it.
    clock.seconds += 0.55
    session.candidate("speaking", "listening", dated=ended)
    waiting = asyncio.ensure_future(
        detector.predict_end_of_turn(said("I would use a hash set and"))
    )
    clock.seconds = ended + think_s - 0.1
    await asyncio.sleep(0.05)
    assert not waiting.done(), "the candidate lost the floor before the think time was up"
    clock.seconds = ended + think_s + 0.1
    assert await asyncio.wait_for(waiting, 1) == 1.0
    assert detector.take_timeline().speech_ended == ended


async def test_the_turn_under_way_is_known_until_it_is_taken(
    detector: PolicyTurnDetector, clock: Clock
) -> None:
    # What an "end now" keeps: the words as of the last pause, since the turn began.
    session = Session()
    detector.attach(session)  # type: ignore[arg-type]
    began = clock.seconds
    session.candidate("listening", "speaking", dated=began)
    clock.seconds += 3.0
    session.candidate("speaking", "listening", dated=clock.seconds)
    waiting = asyncio.ensure_future(
        detector.predict_end_of_turn(said("I would use a hash set and"))
    )
    await asyncio.sleep(0.05)
    clock.seconds += 2.0
    session.candidate("listening", "speaking", dated=clock.seconds)  # goes on after the pause
    waiting.cancel()

    assert (detector.open_words, detector.open_since) == ("I would use a hash set and", began)
    detector.take_timeline()  # the turn was taken
    assert (detector.open_words, detector.open_since) == ("", None)


async def test_asking_for_time_is_a_turn_of_its_own(
    detector: PolicyTurnDetector, clock: Clock
) -> None:
    silent_for(detector, clock, 0.5)
    assert await asyncio.wait_for(detector.predict_end_of_turn(said("Let me think about that")), 1)


def test_the_session_adds_no_wait_of_its_own(detector: PolicyTurnDetector) -> None:
    options = turn_handling(settings(), detector)
    assert options["endpointing"]["min_delay"] == 0.0
    assert options["interruption"]["mode"] == "vad"


def test_recent_audio_keeps_the_last_window_at_16k() -> None:
    audio = RecentAudio()
    for n in range(30):  # 3 s of 48 kHz audio, each 100 ms frame a different level
        pcm = np.full(4_800, n * 100, dtype=np.int16)
        audio.push(rtc.AudioFrame(pcm.tobytes(), 48_000, 1, 4_800))
    window = audio.window()
    assert len(window) == WINDOW_SAMPLES
    # The newest audio is at the end (the resampler holds back a few milliseconds).
    assert 2_600 <= float(np.mean(window[-800:])) <= 2_950


def test_job_metadata_names_the_session() -> None:
    assert session_id_of('{"session_id": "abc123"}') == "abc123"
    with pytest.raises(ValueError, match="session_id must be 1 to 64 characters"):
        session_id_of('{"session": "abc"}')
    with pytest.raises(ValueError, match="must be JSON with a session_id"):
        session_id_of("not json")


def test_openai_speech_needs_somewhere_to_send_audio() -> None:
    with pytest.raises(ValueError, match="speech=openai needs"):
        settings(speech="openai")
    assert settings(speech="openai", openai_stt_base_url="http://127.0.0.1:9/v1").speech == "openai"


class Worker:
    """What the load function sees of a worker: its running jobs."""

    def __init__(self, jobs: int) -> None:
        self.active_jobs = [object()] * jobs


@pytest.mark.parametrize("slots", [1, 2, 4])
def test_a_worker_takes_jobs_until_every_slot_is_taken(slots: int) -> None:
    load = session_load(slots)
    for running in range(slots):
        assert load(Worker(running)) < full_load(slots)  # type: ignore[arg-type]
    assert load(Worker(slots)) >= full_load(slots)  # type: ignore[arg-type]
    assert full_load(slots) < 1.0  # LiveKit's rule for production workers

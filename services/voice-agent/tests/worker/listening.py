"""An interview heard and spoken in this process: no LiveKit server, real audio all the way.

The candidate's microphone is a LiveKit ``AudioInput`` that sends Piper speech and silence in
real time; the interviewer's main track is an ``AudioOutput`` that plays (in real time, to
nobody) and notes when each line sounded; the back-channel track is a player that notes each
clip. Between them run the worker's own pieces: Silero VAD, pocketsphinx, the policy turn
detector, the ``Interviewer`` agent and the ``BackchannelCoach``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import AgentSession, UserStateChangedEvent
from livekit.agents.voice.io import AudioInput, AudioOutput, AudioOutputCapabilities

from common.events import InterviewSpec, Turn
from voice_agent.domain import (
    BackchannelPolicy,
    BackchannelRules,
    Conductor,
    ListeningObservation,
)
from voice_agent.repository import MongoSessionStore
from voice_agent.speech import IncrementalSphinx, PiperTTS, SphinxSTT
from voice_agent.speech.voice import offline_voice
from voice_agent.testing import in_memory_sessions
from voice_agent.worker.backchannels import BackchannelCoach, render_clips
from voice_agent.worker.interviewer import ConductorModel, Interviewer, SessionClock
from voice_agent.worker.journal import TranscriptJournal
from voice_agent.worker.main import turn_handling, turn_taking_policy
from voice_agent.worker.providers import SharedModels
from voice_agent.worker.settings import InterviewerSettings
from voice_agent.worker.turn_detection import PolicyTurnDetector, RecentAudio

from .conftest import SESSION_ID, stored_session

RATE = 48_000
FRAME_S = 0.02
FRAME_SAMPLES = int(RATE * FRAME_S)
SILENCE = rtc.AudioFrame(b"\x00\x00" * FRAME_SAMPLES, RATE, 1, FRAME_SAMPLES)


@dataclass
class Sounded:
    """A stretch of audio and the wall-clock seconds it started and ended."""

    label: str
    started_at: float
    ended_at: float


_rendered: dict[str, list[rtc.AudioFrame]] = {}


async def speech(voice: PiperTTS, text: str) -> list[rtc.AudioFrame]:
    """``text`` in Piper's voice as 20 ms microphone frames (rendered once per text)."""
    if text not in _rendered:
        audio = await voice.synthesize(text).collect()
        resampler = rtc.AudioResampler(audio.sample_rate, RATE, num_channels=1)
        pcm = b"".join(bytes(f.data) for f in [*resampler.push(audio), *resampler.flush()])
        step = FRAME_SAMPLES * 2
        _rendered[text] = [
            rtc.AudioFrame(pcm[i : i + step], RATE, 1, FRAME_SAMPLES)
            for i in range(0, len(pcm) - step + 1, step)
        ]
    return _rendered[text]


def _loud(frame: rtc.AudioFrame) -> bool:
    pcm = np.frombuffer(frame.data, dtype=np.int16).astype(np.float64)
    return pcm.size > 0 and float(np.sqrt(np.mean(pcm**2))) > 300.0


class ScriptedMicrophone(AudioInput):
    """A microphone that never stops: queued speech when there is some, silence otherwise."""

    def __init__(self) -> None:
        super().__init__(label="scripted-microphone")
        self._queue: deque[tuple[str, rtc.AudioFrame, bool, bool]] = deque()
        self._next_at: float | None = None
        self._done: dict[str, asyncio.Event] = {}
        self._last_voiced: dict[str, int] = {}
        self._sent = 0  # frames of the current part handed out
        self.spoken: list[Sounded] = []

    async def say(self, label: str, frames: list[rtc.AudioFrame]) -> Sounded:
        """Send ``frames`` as the next thing said; returns once the last one has been sent."""
        done = self._done[label] = asyncio.Event()
        # Piper's audio ends in a little silence: the speech ends at its last voiced frame.
        voiced = [n for n, frame in enumerate(frames) if _loud(frame)] or [len(frames) - 1]
        self._last_voiced[label] = voiced[-1]
        last = len(frames) - 1
        for n, frame in enumerate(frames):
            self._queue.append((label, frame, n == 0, n == last))
        await done.wait()
        return self.spoken[-1]

    async def pause(self, seconds: float) -> None:
        """Say nothing for ``seconds`` (the microphone keeps sending silence)."""
        await asyncio.sleep(seconds)

    async def __anext__(self) -> rtc.AudioFrame:
        now = time.monotonic()
        if self._next_at is None or self._next_at < now - 0.2:
            self._next_at = now  # a stalled reader does not get a burst to catch up with
        await asyncio.sleep(max(0.0, self._next_at - now))
        self._next_at += FRAME_S
        if not self._queue:
            return SILENCE
        label, frame, first, last = self._queue.popleft()
        at = time.time()
        if first:
            self._sent = 0
            self.spoken.append(Sounded(label, at, at + FRAME_S))
        if self._sent == self._last_voiced[label]:
            self.spoken[-1].ended_at = at + FRAME_S
        self._sent += 1
        if last:
            self._done.pop(label).set()
        return frame


class RecordingSpeaker(AudioOutput):
    """The interviewer's main track: plays each line in real time and notes when it sounded."""

    def __init__(self) -> None:
        super().__init__(label="recording-speaker", capabilities=AudioOutputCapabilities(False))
        self._queue: asyncio.Queue[rtc.AudioFrame | None] = asyncio.Queue()
        self._open = False
        self._position = 0.0
        self._current: Sounded | None = None
        self.lines: list[Sounded] = []
        self._task = asyncio.create_task(self._play())

    @property
    def busy(self) -> bool:
        """Whether a line is being played or waits to be."""
        return self._open or not self._queue.empty()

    def quiet_since(self) -> float:
        """When the main track last stopped sounding (0 if it never has)."""
        return self.lines[-1].ended_at if self.lines else 0.0

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if not self._open:
            self._open = True
            self._position = 0.0
        self._queue.put_nowait(frame)

    def flush(self) -> None:
        super().flush()
        if self._open:
            self._queue.put_nowait(None)

    def clear_buffer(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self._finish(interrupted=True)

    async def aclose(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def _finish(self, *, interrupted: bool) -> None:
        if not self._open:
            return
        self._open = False
        self._current = None
        self.on_playback_finished(playback_position=self._position, interrupted=interrupted)

    async def _play(self) -> None:
        next_at = time.monotonic()
        while True:
            frame = await self._queue.get()
            if frame is None:
                self._finish(interrupted=False)
                continue
            now = time.monotonic()
            next_at = max(next_at, now)
            if self._current is None:
                at = time.time()
                self._current = Sounded("line", at, at)
                self.lines.append(self._current)
                self.on_playback_started(created_at=at)
            await asyncio.sleep(max(0.0, next_at - now))
            next_at += frame.duration
            self._position += frame.duration
            if self._current is not None:
                self._current.ended_at = time.time() + frame.duration


class RecordingClipPlayer:
    """The back-channel track: plays each clip in real time and notes when it sounded."""

    def __init__(self) -> None:
        self.clips: list[Sounded] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def play(self, audio: AsyncIterator[rtc.AudioFrame]) -> object:
        task = asyncio.create_task(self._play(audio))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _play(self, audio: AsyncIterator[rtc.AudioFrame]) -> None:
        played: Sounded | None = None
        async for frame in audio:
            if played is None:
                at = time.time()
                played = Sounded("clip", at, at)
                self.clips.append(played)
            await asyncio.sleep(frame.duration)
            played.ended_at = time.time()

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()


@dataclass
class Considered:
    """One moment the coach asked the back-channel policy, and what it answered."""

    at: float
    observation: ListeningObservation
    clip: str | None


class ObservedPolicy(BackchannelPolicy):
    """The real policy, keeping every question it was asked (to tell why it stayed quiet)."""

    def __init__(self, rules: BackchannelRules | None = None, *, seed: int = 0) -> None:
        super().__init__(rules, seed=seed)
        self.considered: list[Considered] = []

    def decide(self, now: ListeningObservation) -> str | None:
        clip = super().decide(now)
        self.considered.append(Considered(time.time(), now, clip))
        return clip


@dataclass
class HeardInterview:
    """An interview running in this process, and everything that was heard on each side."""

    microphone: ScriptedMicrophone
    speaker: RecordingSpeaker
    player: RecordingClipPlayer
    policy: ObservedPolicy
    conductor: Conductor
    journal: TranscriptJournal
    store: MongoSessionStore
    session: AgentSession[None]
    voice: PiperTTS
    tasks: list[Any] = field(default_factory=list)
    # When voice activity detection reported the candidate silent again.
    fell_silent: list[float] = field(default_factory=list)

    @property
    def rules(self) -> BackchannelRules:
        return self.policy.rules

    async def say(self, text: str) -> Sounded:
        """The candidate says ``text`` into the microphone."""
        return await self.microphone.say(text, await speech(self.voice, text))

    async def interviewer_done(self, *, quiet_s: float = 1.0, within_s: float = 30.0) -> None:
        """Wait until the interviewer has spoken and then been quiet for ``quiet_s``."""
        spoken = len(self.speaker.lines)
        async with asyncio.timeout(within_s):
            while True:
                if (
                    len(self.speaker.lines) > spoken
                    and not self.speaker.busy
                    and self.session.agent_state == "listening"
                    and time.time() - self.speaker.quiet_since() >= quiet_s
                ):
                    return
                await asyncio.sleep(0.05)

    def require_real_time(self, *, within_s: float = 1.0) -> None:
        """Fail plainly if the end of any speech was detected late (a machine too busy).

        Every rule here is about time; a pipeline that lags the microphone by seconds would
        fail them for a reason that has nothing to do with them.
        """
        vad_silence_s = 0.5
        t0 = self.microphone.spoken[0].started_at if self.microphone.spoken else 0.0
        for said in self.microphone.spoken:
            # Piper's audio ends in a little silence: the detector may be done before it is.
            later = [at for at in self.fell_silent if at > said.started_at]
            if not later:
                continue
            lag = min(later) - said.ended_at - vad_silence_s
            spoken = [
                (round(s.started_at - t0, 1), round(s.ended_at - t0, 1))
                for s in self.microphone.spoken
            ]
            silent = [round(at - t0, 1) for at in self.fell_silent]
            assert lag < within_s, (
                f"the end of {said.label!r} was detected {lag:.1f} s late: the machine cannot "
                f"keep up with real-time audio (load average {os.getloadavg()[0]:.1f}); "
                f"spoken {spoken}, silent from {silent}"
            )

    async def stored(self) -> list[Turn]:
        """The transcript as stored, turn by turn."""
        await self.journal.drain()
        record = await self.store.get(SESSION_ID)
        assert record is not None
        return list(record.turns)

    def lines_between(self, start: float, end: float) -> list[Sounded]:
        """The interviewer's lines on the main track that sounded between two moments."""
        return [s for s in self.speaker.lines if s.started_at < end and s.ended_at > start]

    def clips_between(self, start: float, end: float) -> list[Sounded]:
        """Back-channel clips that started between two moments."""
        return [c for c in self.player.clips if start <= c.started_at < end]

    def considered_between(self, start: float, end: float) -> list[Considered]:
        """What the policy was asked between two moments."""
        return [c for c in self.policy.considered if start <= c.at < end]


async def hear_interview(
    spec: InterviewSpec,
    models: SharedModels,
    recognizer: SphinxSTT,
    settings: InterviewerSettings,
) -> HeardInterview:
    """Start an interview wired as the worker wires it, with audio in and out of this process."""
    store = in_memory_sessions()
    await stored_session(store, spec)
    turn_taking = turn_taking_policy(settings)
    # Joined as after a dropped connection: "welcome back" and the question, not the whole
    # greeting (twenty seconds of real time in every test).
    asked = Conductor(spec, seed=7, turn_taking=turn_taking)
    asked.start(0)
    for index, turn in enumerate(asked.turns):
        await store.append_turn(SESSION_ID, turn, turn.question_id, index=index)
    conductor = Conductor.resume_from(spec, asked.turns, seed=7, turn_taking=turn_taking)
    journal = TranscriptJournal(
        store,
        SESSION_ID,
        lambda: conductor.turns,
        stored=len(asked.turns),
        current_question=lambda: conductor.question_id,
    )
    clock = SessionClock(time.time())
    audio = RecentAudio()
    detector = PolicyTurnDetector(turn_taking, audio, models.end_of_turn)
    voice = offline_voice(piper=models.piper)
    interviewer = Interviewer(
        conductor,
        journal,
        clock,
        voice=voice,
        candidate_audio=audio,
        resumed=True,
        silence_check_interval_s=settings.silence_check_interval_s,
    )
    session: AgentSession[None] = AgentSession(
        stt=IncrementalSphinx(recognizer, models.vad),
        vad=models.vad,
        llm=ConductorModel(),
        turn_handling=turn_handling(settings, detector),
        user_away_timeout=None,
    )
    microphone, speaker, player = ScriptedMicrophone(), RecordingSpeaker(), RecordingClipPlayer()
    session.input.audio = microphone
    session.output.audio = speaker
    detector.attach(session)
    await session.start(interviewer, record=False)
    policy = ObservedPolicy(seed=7)
    clips = await render_clips(voice.neutral, policy.rules.clips)
    coach = BackchannelCoach(policy, clips, player, conductor, journal, detector, clock)
    interviewer.backchannels = coach
    coach.attach(session)
    heard = HeardInterview(
        microphone, speaker, player, policy, conductor, journal, store, session, models.piper
    )
    heard.tasks = [coach, speaker, player, session]

    def on_candidate_state(event: UserStateChangedEvent) -> None:
        if event.old_state == "speaking":
            heard.fell_silent.append(event.created_at)

    session.on("user_state_changed", on_candidate_state)
    return heard


async def close(heard: HeardInterview) -> None:
    """Stop the interview and everything playing in it."""
    coach, speaker, player, session = heard.tasks
    await coach.aclose()
    await session.aclose()
    await speaker.aclose()
    await player.aclose()

"""Short "mhm"s while the candidate talks, on their own audio track, never over anyone.

The clips are rendered once per interview in the interviewer's voice and played by LiveKit's
``BackgroundAudioPlayer`` on a second track: the interviewer's main track (and the candidate's
turn) are untouched, so a back-channel can neither interrupt the candidate nor be taken for
the interviewer's turn. ``BackchannelPolicy`` decides when; only pauses the turn-taking policy
finds mid-sentence qualify, judged on the words of the speech just before the pause (never on
older words while the recognizer is still catching up: that pause may be the end of the
answer). Each clip played is logged with ``record_backchannel``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from livekit import rtc
from livekit.agents import (
    AgentSession,
    AgentStateChangedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
    tts,
)

from voice_agent.domain import BackchannelPolicy, Conductor, ListeningObservation
from voice_agent.worker.journal import TranscriptJournal
from voice_agent.worker.turn_detection import PolicyTurnDetector

logger = logging.getLogger(__name__)

MIXER_RATE = 48_000  # what the background player mixes at
FRAME_MS = 20


async def render_clips(
    voice: tts.TTS[Any], clips: Sequence[str]
) -> dict[str, list[rtc.AudioFrame]]:
    """Each clip in ``voice``, as 20 ms frames at the background player's rate."""
    rendered: dict[str, list[rtc.AudioFrame]] = {}
    for clip in clips:
        audio = await voice.synthesize(clip).collect()
        resampler = rtc.AudioResampler(audio.sample_rate, MIXER_RATE, num_channels=1)
        pcm = b"".join(bytes(f.data) for f in [*resampler.push(audio), *resampler.flush()])
        step = MIXER_RATE * FRAME_MS // 1000 * 2
        rendered[clip] = [
            rtc.AudioFrame(pcm[i : i + step], MIXER_RATE, 1, len(pcm[i : i + step]) // 2)
            for i in range(0, len(pcm) - step + 1, step)
        ]
    return rendered


async def _play(frames: Sequence[rtc.AudioFrame]) -> AsyncIterator[rtc.AudioFrame]:
    for frame in frames:
        yield frame


class ClipPlayer(Protocol):
    """Plays audio beside the interviewer's voice: LiveKit's ``BackgroundAudioPlayer``."""

    def play(self, audio: AsyncIterator[rtc.AudioFrame]) -> object:
        """Start playing ``audio`` now, mixed over whatever else plays on the track."""
        ...


class BackchannelCoach:
    """Watches the candidate's pauses and plays a clip when the policy says so."""

    def __init__(
        self,
        policy: BackchannelPolicy,
        clips: Mapping[str, Sequence[rtc.AudioFrame]],
        player: ClipPlayer,
        conductor: Conductor,
        journal: TranscriptJournal,
        turn_detector: PolicyTurnDetector,
        clock: Any,
        *,
        check_interval_s: float = 0.1,
    ) -> None:
        self.policy = policy
        self._clips = clips
        self._player = player
        self._conductor = conductor
        self._journal = journal
        self._detector = turn_detector
        self._clock = clock
        self._interval = check_interval_s
        self._answer_started: int | None = None
        self._pause_started: int | None = None
        self._last_clip_at: int | None = None
        self._candidate_speaking = False
        self._interviewer_speaking = False
        self._words: list[str] = []  # what the recognizer made of this answer so far
        self._words_current = False  # whether they include the speech before this pause
        self._task: asyncio.Task[None] | None = None
        self.played: list[str] = []

    def attach(self, session: AgentSession[Any]) -> None:
        """Follow ``session``'s speaking states and start watching."""
        session.on("user_state_changed", self.on_candidate_state)
        session.on("user_input_transcribed", self.on_transcript)
        session.on("agent_state_changed", self._on_agent_state)
        self._task = asyncio.create_task(self._watch(), name="backchannels")

    def turn_ended(self) -> None:
        """The candidate's turn is over: the rest of the silence is the interviewer's."""
        self._answer_started = None
        self._pause_started = None

    async def aclose(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()

    def on_candidate_state(self, event: UserStateChangedEvent) -> None:
        """The candidate started or stopped speaking."""
        now = self._clock.now_ms()
        self._candidate_speaking = event.new_state == "speaking"
        if self._candidate_speaking:
            if self._answer_started is None and not self._interviewer_speaking:
                self._answer_started = now
                self._last_clip_at = None
                self._words = []
                self.policy.begin_answer()
            self._pause_started = None
            self._words_current = False
        elif self._answer_started is not None:
            self._pause_started = now

    def on_transcript(self, event: UserInputTranscribedEvent) -> None:
        """The recognizer finished (or revised) the words of the candidate's latest speech."""
        if not event.is_final:
            return
        if event.transcript.strip():
            self._words.append(event.transcript.strip())
        # The recognizer finishes an utterance when the voice activity detector ends it, about
        # when the candidate is reported silent (either may come first).
        self._words_current = True

    def _on_agent_state(self, event: AgentStateChangedEvent) -> None:
        self._interviewer_speaking = event.new_state == "speaking"
        if self._interviewer_speaking:
            self.turn_ended()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                self.consider()
            except Exception:
                logger.exception("back-channel check failed")

    def consider(self) -> str | None:
        """Play a clip now if the policy wants one; returns the clip played."""
        if (
            self._answer_started is None
            or self._pause_started is None
            or self._candidate_speaking
            or self._interviewer_speaking
        ):
            return None
        if not self._words_current:
            return None  # not judged yet: it may be the end of the answer
        mid_answer = self._detector.policy.sounds_unfinished(" ".join(self._words))
        now = self._clock.now_ms()
        observation = ListeningObservation(
            candidate_speaking=False,
            pause_ms=now - self._pause_started,
            ms_since_answer_start=now - self._answer_started,
            ms_since_last_backchannel=(
                None if self._last_clip_at is None else now - self._last_clip_at
            ),
            # Only a pause inside an unfinished sentence is the listener's to fill.
            end_of_turn_probability=0.0 if mid_answer else 1.0,
        )
        clip = self.policy.decide(observation)
        if clip is None or clip not in self._clips:
            return None
        frames = self._clips[clip]
        self._player.play(_play(frames))
        duration_ms = len(frames) * FRAME_MS
        self._last_clip_at = now
        self._conductor.record_backchannel(clip, now, now + duration_ms)
        self._journal.ready(len(self._conductor.turns) - 1)
        self.played.append(clip)
        return clip

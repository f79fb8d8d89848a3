"""Short "mhm"s while the candidate talks, on their own audio track, never over anyone.

The clips are rendered once per interview in the interviewer's voice and played by LiveKit's
``BackgroundAudioPlayer`` on a second track: the interviewer's main track (and the candidate's
turn) are untouched, so a back-channel can neither interrupt the candidate nor be taken for
the interviewer's turn. ``BackchannelPolicy`` decides when, given how likely the candidate is
to be finishing (``finishing_probability``): words that sound finished count as finishing (the
turn-taking policy is about to end the turn), and words that trail off count as finishing only
when the audio end-of-turn model says so. Both are judged on the speech just before the pause,
never on older words while the recognizer is still catching up (that pause may be the end of
the answer). Each pause is logged once, with what the coach knew and why it stayed quiet; each
clip played is recorded with ``record_backchannel``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from livekit import rtc
from livekit.agents import (
    AgentSession,
    AgentStateChangedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
    tts,
)

from voice_agent.domain import (
    BackchannelPolicy,
    Conductor,
    Decline,
    ListeningObservation,
    TurnTakingPolicy,
    finishing_probability,
)
from voice_agent.worker.journal import TranscriptJournal
from voice_agent.worker.turn_detection import PolicyTurnDetector

logger = logging.getLogger(__name__)

MIXER_RATE = 48_000  # what the background player mixes at
FRAME_MS = 20
# How long the coach waits, after the words of a pause, for the audio model's view of it
# (computed off the event loop as the turn detector is asked); past it the words alone judge.
AUDIO_JUDGEMENT_WAIT_MS = 400


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


@dataclass
class PauseNote:
    """What the coach knew about one pause, and what it did: logged when the pause is over."""

    started_ms: int
    words: str = ""
    words_current: bool = False
    audio_probability: float | None = None
    finishing: float | None = None
    declined_by: str | None = None
    clip: str | None = None
    longest_ms: int = 0

    def fields(self) -> dict[str, object]:
        """The note as log fields."""
        return {
            "pause_ms": self.longest_ms,
            # The end of the words is what the judgement rests on.
            "last_words": " ".join(self.words.split()[-6:]),
            "words_current": self.words_current,
            "sounds_unfinished": TurnTakingPolicy.sounds_unfinished(self.words),
            "audio_end_of_turn_probability": self.audio_probability,
            "finishing_probability": self.finishing,
            "declined_by": None if self.declined_by is None else str(self.declined_by),
            "clip": self.clip,
        }


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
        self._words_at: int | None = None  # when those words arrived
        self._note: PauseNote | None = None
        self._task: asyncio.Task[None] | None = None
        self.played: list[str] = []
        self.pauses: list[PauseNote] = []  # every pause of the session, as logged

    def attach(self, session: AgentSession[Any]) -> None:
        """Follow ``session``'s speaking states and start watching."""
        session.on("user_state_changed", self.on_candidate_state)
        session.on("user_input_transcribed", self.on_transcript)
        session.on("agent_state_changed", self._on_agent_state)
        self._task = asyncio.create_task(self._watch(), name="backchannels")

    def turn_ended(self) -> None:
        """The candidate's turn is over: the rest of the silence is the interviewer's."""
        self._close_note(Decline.ANSWER_ENDED)
        self._answer_started = None
        self._pause_started = None

    async def aclose(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()

    def on_candidate_state(self, event: UserStateChangedEvent) -> None:
        """The candidate started or stopped speaking."""
        # LiveKit dates the change when the voice activity detector placed the speech's end
        # (or start), not when it told us: the pause began then.
        at = self._clock.ms(event.created_at)
        self._candidate_speaking = event.new_state == "speaking"
        if self._candidate_speaking:
            self._close_note(None)
            if self._answer_started is None and not self._interviewer_speaking:
                self._answer_started = at
                self._last_clip_at = None
                self._words = []
                self.policy.begin_answer()
            self._pause_started = None
            self._words_current = False
            self._words_at = None
        elif self._answer_started is not None:
            self._pause_started = at
            self._note = PauseNote(started_ms=at)

    def on_transcript(self, event: UserInputTranscribedEvent) -> None:
        """The recognizer finished (or revised) the words of the candidate's latest speech."""
        if not event.is_final:
            return
        if event.transcript.strip():
            self._words.append(event.transcript.strip())
        # The recognizer finishes an utterance when the voice activity detector ends it, about
        # when the candidate is reported silent (either may come first).
        self._words_current = True
        self._words_at = self._clock.now_ms()

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
        now = self._clock.now_ms()
        note = self._note or PauseNote(started_ms=self._pause_started)
        self._note = note
        note.longest_ms = max(note.longest_ms, now - self._pause_started)
        if not self._words_current or self._words_at is None:
            note.declined_by = "not_heard_yet"  # it may be the end of the answer
            return None
        words = " ".join(self._words)
        audio = self._audio_probability()
        if (
            audio is None
            and self._detector.end_of_turn is not None
            and TurnTakingPolicy.sounds_unfinished(words)
            and now - self._words_at < AUDIO_JUDGEMENT_WAIT_MS
        ):
            note.declined_by = "awaiting_audio_judgement"
            return None
        finishing = finishing_probability(words, audio)
        note.words, note.words_current = words, True
        note.audio_probability, note.finishing = audio, finishing
        observation = ListeningObservation(
            candidate_speaking=False,
            pause_ms=now - self._pause_started,
            ms_since_answer_start=now - self._answer_started,
            ms_since_last_backchannel=(
                None if self._last_clip_at is None else now - self._last_clip_at
            ),
            end_of_turn_probability=finishing,
        )
        clip = self.policy.decide(observation)
        if clip is None:
            if note.clip is None:
                note.declined_by = self.policy.declined_by(observation)
            return None
        if clip not in self._clips:
            return None
        frames = self._clips[clip]
        self._player.play(_play(frames))
        duration_ms = len(frames) * FRAME_MS
        self._last_clip_at = now
        self._conductor.record_backchannel(clip, now, now + duration_ms)
        self._journal.ready(len(self._conductor.turns) - 1)
        self.played.append(clip)
        note.clip, note.declined_by = clip, None
        return clip

    def _audio_probability(self) -> float | None:
        # The turn detector asks the audio model once per pause, and forgets it when speech
        # resumes: a value here is this pause's.
        return self._detector.last_probability

    def _close_note(self, ended_by: Decline | None) -> None:
        note, self._note = self._note, None
        if note is None:
            return
        if ended_by is not None and note.clip is None and note.declined_by is None:
            note.declined_by = ended_by
        self.pauses.append(note)
        logger.info("candidate pause", extra=note.fields())

"""When the candidate's turn is over: the conductor's ``TurnTakingPolicy`` as the turn detector.

LiveKit asks the turn detector once the candidate stops speaking and has words transcribed, and
commits the turn when it answers (a resumed candidate cancels the question). Here the answer
waits for the policy: the detector re-reads ``TurnTakingPolicy.decide`` as the silence grows and
answers once it says the turn is over. So a finished-sounding answer ends after a short silence,
a trailing one ("...and then, um") keeps the floor up to ``max_think_pause_ms``, and "let me
think" ends at once (the conductor then waits quietly). LiveKit's local audio end-of-turn model
(livekit-local-inference; no download, no network) may hurry a finished-sounding answer; it never
holds one for the whole think time, since on synthetic and real voices alike it is often unsure.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Final

import numpy as np
from livekit import rtc
from livekit.agents import AgentSession, UserStateChangedEvent, llm
from livekit.agents.language import LanguageCode

from voice_agent.domain import Intent, TurnDecision, TurnTakingPolicy
from voice_agent.worker.timeline import ReplyTimeline

logger = logging.getLogger(__name__)

SAMPLE_RATE: Final = 16_000
# What the local end-of-turn model listens to: its receptive field, 1.2 s.
WINDOW_SAMPLES: Final = 19_200
ENDS_TURN: Final = 1.0


class RecentAudio:
    """The last 1.2 s of the candidate's microphone at 16 kHz, for the end-of-turn model."""

    def __init__(self) -> None:
        self._chunks: deque[np.ndarray] = deque()
        self._samples = 0
        self._lock = threading.Lock()
        # One resampler for the whole stream: a fresh one per frame clicks at every edge.
        self._resampler: rtc.AudioResampler | None = None
        self._rate = 0

    def push(self, frame: rtc.AudioFrame) -> None:
        """Keep ``frame`` (any rate), dropping what is older than the window."""
        pcm = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
        if frame.sample_rate != SAMPLE_RATE:
            if self._resampler is None or self._rate != frame.sample_rate:
                self._resampler = rtc.AudioResampler(frame.sample_rate, SAMPLE_RATE, num_channels=1)
                self._rate = frame.sample_rate
            mono = rtc.AudioFrame(pcm.tobytes(), frame.sample_rate, 1, len(pcm))
            out = self._resampler.push(mono)
            pcm = np.frombuffer(b"".join(bytes(f.data) for f in out), dtype=np.int16)
        chunk = pcm
        with self._lock:
            self._chunks.append(chunk)
            self._samples += len(chunk)
            while self._chunks and self._samples - len(self._chunks[0]) >= WINDOW_SAMPLES:
                self._samples -= len(self._chunks.popleft())

    def window(self) -> np.ndarray:
        """The most recent samples, at most ``WINDOW_SAMPLES``."""
        with self._lock:
            if not self._chunks:
                return np.zeros(0, dtype=np.int16)
            return np.concatenate(list(self._chunks))[-WINDOW_SAMPLES:]


class AudioEndOfTurn:
    """LiveKit's local audio end-of-turn model (``livekit.local_inference.EOT``)."""

    def __init__(self) -> None:
        from livekit.local_inference import EOT

        self._model: Any = EOT()
        self._lock = threading.Lock()

    def probability(self, pcm_16k: np.ndarray) -> float:
        """P(the speaker has finished) for up to 1.2 s of 16 kHz audio ending now."""
        if pcm_16k.size == 0:
            return 0.5
        with self._lock:
            return float(self._model.predict(pcm_16k[-WINDOW_SAMPLES:]))


def load_audio_end_of_turn() -> AudioEndOfTurn | None:
    """The local end-of-turn model, or None where livekit-local-inference cannot load."""
    try:
        return AudioEndOfTurn()
    except Exception:  # a missing native library must not stop interviews
        logger.exception("the local end-of-turn model could not load; turn-taking uses silence")
        return None


class PolicyTurnDetector:
    """A LiveKit turn detector that waits for the conductor's turn-taking policy."""

    def __init__(
        self,
        policy: TurnTakingPolicy,
        audio: RecentAudio,
        end_of_turn: AudioEndOfTurn | None,
        *,
        vad_silence_s: float = 0.5,
        now: Callable[[], float] = time.time,
        poll_s: float = 0.02,
        on_words: Callable[[str], None] | None = None,
    ) -> None:
        self.policy = policy
        self.audio = audio
        self.end_of_turn = end_of_turn
        self._vad_silence_s = vad_silence_s
        self._now = now
        self._poll_s = poll_s
        # Told the words of every pause that may end the turn, so the reply can be got ready.
        self.on_words = on_words
        self.timeline = ReplyTimeline()
        self.stopped_speaking_at: float | None = None
        self.last_probability: float | None = None
        self.last_decision: TurnDecision | None = None
        # Whether the words of the current pause trail off mid-sentence; None: not judged yet.
        self.mid_answer: bool | None = None
        # The turn under way: when the candidate started it and their words as of its last
        # pause (what an "end now" keeps); cleared when the turn is taken.
        self.open_since: float | None = None
        self.open_words = ""

    @property
    def model(self) -> str:
        return "turn-taking-policy"

    @property
    def provider(self) -> str:
        return "mocksy"

    def attach(self, session: AgentSession[Any]) -> None:
        """Follow when the candidate stops speaking in ``session``."""
        session.on("user_state_changed", self._on_user_state)

    def _on_user_state(self, event: UserStateChangedEvent) -> None:
        if event.old_state == "speaking" and event.new_state != "speaking":
            # LiveKit dates the change at the speech's end: the VAD's report, back-dated by the
            # silence it waited for. Taking that silence off again counted every pause (and so
            # the think time) about 0.4 s long.
            self.stopped_speaking_at = event.created_at
            self.timeline = ReplyTimeline(
                speech_ended=self.stopped_speaking_at,
                vad_end=event.created_at + self._vad_silence_s,
            )
        elif event.new_state == "speaking":
            if self.open_since is None:
                self.open_since = event.created_at
            self.last_decision = None
            self.mid_answer = None
            self.last_probability = None  # the next pause gets its own
            self.timeline = ReplyTimeline()

    def take_timeline(self) -> ReplyTimeline:
        """The timeline of the turn that just ended (taken, so nothing is under way any more);
        the next turn starts a new one."""
        timeline, self.timeline = self.timeline, ReplyTimeline()
        self.open_since = None
        self.open_words = ""
        return timeline

    async def unlikely_threshold(self, language: LanguageCode | None) -> float | None:
        return 0.5

    async def supports_language(self, language: LanguageCode | None) -> bool:
        return True

    async def predict_end_of_turn(
        self,
        chat_ctx: llm.ChatContext,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (LiveKit's protocol)
    ) -> float:
        """Answers 1.0 once the policy ends the turn; cancelled if the candidate goes on."""
        timeline = self.timeline
        timeline.transcript = self._now()
        words = _last_candidate_words(chat_ctx)
        self.open_words = words
        self.mid_answer = self.policy.sounds_unfinished(words)
        if self.policy.classifier.classify(words) is Intent.THINK:
            # Asking for time is a whole turn: the conductor takes it and stays quiet.
            self.last_decision = TurnDecision.END_TURN
            timeline.turn_end = self._now()
            return ENDS_TURN
        if self.on_words is not None and not self.mid_answer:
            try:
                self.on_words(words)
            except Exception:  # getting ahead is an optimisation: never stop turn-taking for it
                logger.exception("could not get the reply ready ahead of the turn's end")
        # The audio model is heard out beside the silence, not before it: its view only ever
        # hurries a finished-sounding answer (an unsure one leaves the words to decide), so the
        # words may end the turn while it is still listening (50-100 ms on two cores).
        judging: asyncio.Future[float | None] | None = asyncio.ensure_future(
            self._audio_probability()
        )
        probability: float | None = None
        try:
            while True:
                if judging is not None and judging.done():
                    probability = self._judged(judging, words, timeline)
                    judging = None
                silence_ms = self._silence_ms()
                decision = self.policy.decide(silence_ms, words, probability)
                self.last_decision = decision
                if decision is TurnDecision.END_TURN:
                    timeline.turn_end = self._now()
                    logger.debug(
                        "turn over",
                        extra={"silence_ms": silence_ms, "end_of_turn_probability": probability},
                    )
                    return ENDS_TURN
                await asyncio.sleep(self._poll_s)
        finally:
            if judging is not None:
                judging.cancel()

    def _judged(
        self, judging: asyncio.Future[float | None], words: str, timeline: ReplyTimeline
    ) -> float | None:
        """The audio model's probability as the policy takes it (None: the words decide)."""
        try:
            probability = judging.result()
        except Exception:  # the model failing must not end (or hold) anyone's turn
            logger.exception("the end-of-turn model failed; the words decide")
            return None
        self.last_probability = probability
        timeline.end_of_turn_probability = probability
        if (
            probability is not None
            and probability < self.policy.rules.end_of_turn_threshold
            and not self.policy.sounds_unfinished(words)
        ):
            return None  # unsure audio: the words decide, with the longer silence
        return probability

    async def _audio_probability(self) -> float | None:
        if self.end_of_turn is None:
            return None
        return await asyncio.to_thread(self.end_of_turn.probability, self.audio.window())

    def _silence_ms(self) -> int:
        stopped = self.stopped_speaking_at
        if stopped is None:
            return round(self._vad_silence_s * 1000)
        return max(0, round((self._now() - stopped) * 1000))


def _last_candidate_words(chat_ctx: llm.ChatContext) -> str:
    for item in reversed(chat_ctx.items):
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return item.text_content or ""
    return ""

"""When the candidate's turn is over: the conductor's ``TurnTakingPolicy`` as the turn detector.

LiveKit asks a turn detector once the candidate stops speaking: a probability at or above the
detector's threshold ends the turn after the session's ``min_delay`` of silence, one below it
waits up to ``max_delay``. Here the policy decides, from the words so far and LiveKit's local
audio end-of-turn model (shipped in livekit-local-inference; no download, no network):
finished-sounding answers end after a short silence, trailing ones ("...and then, um") get up
to ``max_think_pause_ms`` to go on, and "let me think" ends the turn at once (the conductor
then waits quietly).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import Any, Final

import numpy as np
from livekit import rtc
from livekit.agents import llm
from livekit.agents.language import LanguageCode

from voice_agent.domain import Intent, TurnDecision, TurnTakingPolicy

logger = logging.getLogger(__name__)

SAMPLE_RATE: Final = 16_000
# What the local end-of-turn model listens to: its receptive field, 1.2 s.
WINDOW_SAMPLES: Final = 19_200
ENDS_TURN: Final = 1.0
KEEPS_LISTENING: Final = 0.0


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
    """A LiveKit turn detector that asks the conductor's turn-taking policy."""

    def __init__(
        self,
        policy: TurnTakingPolicy,
        audio: RecentAudio,
        end_of_turn: AudioEndOfTurn | None,
    ) -> None:
        self.policy = policy
        self.audio = audio
        self.end_of_turn = end_of_turn
        self.last_probability: float | None = None
        self.last_decision: TurnDecision | None = None

    @property
    def model(self) -> str:
        return "turn-taking-policy"

    @property
    def provider(self) -> str:
        return "mocksy"

    @property
    def decision_silence_ms(self) -> int:
        """The silence after which a finished answer ends: the session's ``min_delay``."""
        rules = self.policy.rules
        return (
            rules.end_silence_with_detector_ms
            if self.end_of_turn is not None
            else rules.end_silence_ms
        )

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
        """1.0 when the policy would end the turn after the short silence, else 0.0."""
        words = _last_candidate_words(chat_ctx)
        probability: float | None = None
        if self.end_of_turn is not None:
            probability = await asyncio.to_thread(self.end_of_turn.probability, self.audio.window())
        self.last_probability = probability
        if self.policy.classifier.classify(words) is Intent.THINK:
            # Asking for time is a whole turn: the conductor takes it and stays quiet.
            self.last_decision = TurnDecision.END_TURN
            return ENDS_TURN
        decision = self.policy.decide(self.decision_silence_ms, words, probability)
        self.last_decision = decision
        logger.debug(
            "turn decision",
            extra={"decision": decision.value, "end_of_turn_probability": probability},
        )
        return ENDS_TURN if decision is TurnDecision.END_TURN else KEEPS_LISTENING


def _last_candidate_words(chat_ctx: llm.ChatContext) -> str:
    for item in reversed(chat_ctx.items):
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return item.text_content or ""
    return ""

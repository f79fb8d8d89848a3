"""When to play a short "mhm" while the candidate talks, and which clip."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from voice_agent.domain.turn_taking import TurnTakingPolicy

DEFAULT_CLIPS: tuple[str, ...] = ("mhm", "right", "I see", "okay")


class Decline(StrEnum):
    """Why no back-channel plays: the rule that held it back."""

    ANSWER_ENDED = "answer_ended"
    SPEAKING = "speaking"
    SHORT_PAUSE = "short_pause"
    QUIET_START = "quiet_start"
    CAP = "cap"
    # One long pause collects one clip, however long it goes on.
    SAME_PAUSE = "same_pause"
    MIN_GAP = "min_gap"
    FINISHING = "finishing"


@dataclass(frozen=True)
class BackchannelRules:
    """Limits on back-channels; each default is what a polite listener does."""

    # Only in a real pause: shorter gaps are between words, not between thoughts.
    min_pause_ms: int = 600
    # Not while the candidate is still getting started.
    quiet_start_ms: int = 3_000
    # Not so often that it sounds like impatience.
    min_gap_ms: int = 4_000
    max_per_answer: int = 3
    # Not when the candidate is probably finishing: above this end-of-turn probability (more
    # likely done than not) the silence is the interviewer's, not a pause to fill.
    max_end_of_turn_probability: float = 0.5
    clips: tuple[str, ...] = DEFAULT_CLIPS

    def __post_init__(self) -> None:
        for name in ("min_pause_ms", "quiet_start_ms", "min_gap_ms", "max_per_answer"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if not 0.0 <= self.max_end_of_turn_probability <= 1.0:
            raise ValueError(
                "max_end_of_turn_probability must be between 0 and 1, "
                f"got {self.max_end_of_turn_probability}"
            )
        if not self.clips or any(not clip.strip() for clip in self.clips):
            raise ValueError("clips must hold at least one non-blank clip name")
        if len(set(self.clips)) != len(self.clips):
            raise ValueError("clips must not repeat a clip name")


@dataclass(frozen=True)
class ListeningObservation:
    """What voice activity detection says about the candidate right now."""

    candidate_speaking: bool
    pause_ms: int  # length of the current pause; 0 while speaking
    ms_since_answer_start: int
    ms_since_last_backchannel: int | None = None  # None: none yet in this answer
    end_of_turn_probability: float | None = None  # from a turn detector, when there is one
    answer_ended: bool = False  # the turn is over; silence now is the interviewer's to fill

    def __post_init__(self) -> None:
        for name in ("pause_ms", "ms_since_answer_start"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if self.ms_since_last_backchannel is not None and self.ms_since_last_backchannel < 0:
            raise ValueError(
                f"ms_since_last_backchannel must be >= 0, got {self.ms_since_last_backchannel}"
            )
        p = self.end_of_turn_probability
        if p is not None and not 0.0 <= p <= 1.0:
            raise ValueError(f"end_of_turn_probability must be between 0 and 1, got {p}")


def finishing_probability(words: str, audio_probability: float | None) -> float:
    """How likely the candidate is finishing, from the words before a pause and the audio."""
    # Words that sound finished: the turn-taking policy ends that turn after a short silence,
    # and the silence is the interviewer's. Words that trail off ("...and") keep the turn open
    # up to the think time, so there the audio end-of-turn model decides (0 without one).
    if not TurnTakingPolicy.sounds_unfinished(words):
        return 1.0
    return 0.0 if audio_probability is None else audio_probability


class BackchannelPolicy:
    """Picks back-channel clips for one session: pure, deterministic for a given seed.

    Call ``begin_answer`` when the candidate starts an answer, then ``decide`` on each
    observation; a returned clip counts as played.
    """

    def __init__(self, rules: BackchannelRules | None = None, *, seed: int = 0) -> None:
        self.rules = rules or BackchannelRules()
        self._random = random.Random(seed)
        self._order: list[str] = []
        self._last_clip: str | None = None
        self._played_this_answer = 0

    @property
    def played_this_answer(self) -> int:
        """Back-channels played since the answer began."""
        return self._played_this_answer

    def begin_answer(self) -> None:
        """A new answer starts: the per-answer count starts again."""
        self._played_this_answer = 0

    def decide(self, now: ListeningObservation) -> str | None:
        """The clip to play now, or None to stay quiet."""
        if self.declined_by(now) is not None:
            return None
        clip = self._next_clip()
        self._played_this_answer += 1
        return clip

    def declined_by(self, now: ListeningObservation) -> Decline | None:
        """The rule that keeps quiet now, or None when a clip is due."""
        rules = self.rules
        if now.answer_ended:
            return Decline.ANSWER_ENDED
        if now.candidate_speaking:
            return Decline.SPEAKING
        if now.pause_ms < rules.min_pause_ms:
            return Decline.SHORT_PAUSE
        if now.ms_since_answer_start < rules.quiet_start_ms:
            return Decline.QUIET_START
        if self._played_this_answer >= rules.max_per_answer:
            return Decline.CAP
        since_last = now.ms_since_last_backchannel
        if since_last is not None and since_last <= now.pause_ms:
            return Decline.SAME_PAUSE
        if since_last is not None and since_last < rules.min_gap_ms:
            return Decline.MIN_GAP
        p = now.end_of_turn_probability
        if p is not None and p > rules.max_end_of_turn_probability:
            return Decline.FINISHING
        return None

    def _next_clip(self) -> str:
        if not self._order:
            order = list(self.rules.clips)
            self._random.shuffle(order)
            # A fresh round must not open with the clip that closed the last one.
            if len(order) > 1 and order[0] == self._last_clip:
                order[0], order[-1] = order[-1], order[0]
            self._order = order
        clip = self._order.pop(0)
        self._last_clip = clip
        return clip

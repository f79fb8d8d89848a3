"""The interviewer's tone: which style each line gets, and how a style drives each TTS engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Final, Literal

from common.events import Style

InterviewerKind = Literal[
    "greeting", "question", "follow_up", "acknowledgement", "closing", "other"
]


class AnswerQuality(StrEnum):
    """How the candidate's last answer went, as far as tone is concerned."""

    NONE = "none"  # no answer to react to (greeting, first question, a repeat)
    STRUGGLING = "struggling"  # "I don't know", very short, or full of hesitations
    PARTIAL = "partial"
    GOOD = "good"  # most key points covered


@dataclass(frozen=True)
class AnswerReading:
    """The facts about an answer that its quality is judged from."""

    word_count: int
    coverage: float
    has_key_points: bool
    filler_share: float
    dont_know: bool = False


@dataclass(frozen=True)
class ToneSelector:
    """Picks a style for each interviewer line from its kind and the answer before it."""

    very_short_words: int = 6
    hesitant_filler_share: float = 0.2
    good_coverage: float = 0.6
    # An answer without key points to check is "good" once it has some substance.
    substantial_words: int = 40

    def __post_init__(self) -> None:
        if self.very_short_words < 0:
            raise ValueError(f"very_short_words must be >= 0, got {self.very_short_words}")
        for name in ("hesitant_filler_share", "good_coverage"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")

    def assess(self, answer: AnswerReading) -> AnswerQuality:
        """How an answer went: struggling, partial or good."""
        covered_well = (
            answer.coverage >= self.good_coverage
            if answer.has_key_points
            else answer.word_count >= self.substantial_words
        )
        if answer.dont_know:
            return AnswerQuality.STRUGGLING
        if not covered_well and (
            answer.word_count < self.very_short_words
            or answer.filler_share >= self.hesitant_filler_share
        ):
            return AnswerQuality.STRUGGLING
        return AnswerQuality.GOOD if covered_well else AnswerQuality.PARTIAL

    @property
    def reassuring(self) -> Style:
        """The style of a line that reassures a silent candidate ("Take your time...")."""
        return "empathetic"

    def style_for(self, kind: InterviewerKind, after: AnswerQuality = AnswerQuality.NONE) -> Style:
        """The style of a line of ``kind`` spoken right after an answer of quality ``after``."""
        if kind in ("greeting", "closing"):
            return "warm"
        if after is AnswerQuality.STRUGGLING and kind != "question":
            return "empathetic"
        if kind == "follow_up":
            return "probing"
        if kind == "acknowledgement" and after is AnswerQuality.GOOD:
            return "encouraging"
        return "neutral"


@dataclass(frozen=True)
class StyleProsody:
    """Engine-neutral voice settings for one style."""

    rate: float  # speaking-rate multiplier, 1.0 = the engine's default pace
    pitch_semitones: float  # shift from the voice's natural pitch
    expressiveness: float  # 0 = flat, 1 = lively; drives Piper's noise scales
    instructions: str  # for TTS engines that take free-text direction (OpenAI)

    def __post_init__(self) -> None:
        if not 0.25 <= self.rate <= 4.0:
            raise ValueError(f"rate must be between 0.25 and 4.0, got {self.rate}")
        if not -12.0 <= self.pitch_semitones <= 12.0:
            raise ValueError(
                f"pitch_semitones must be between -12 and 12, got {self.pitch_semitones}"
            )
        if not 0.0 <= self.expressiveness <= 1.0:
            raise ValueError(f"expressiveness must be between 0 and 1, got {self.expressiveness}")


@dataclass(frozen=True)
class PiperControls:
    """Piper synthesis settings (``length_scale`` > 1 is slower; pitch is shifted after)."""

    length_scale: float
    noise_scale: float
    noise_w: float
    pitch_semitones: float = 0.0

    # Piper's speech lengthens more slowly than its length_scale: measured on en_US-joe-medium,
    # 1.3 makes it 1.21 times as long and 0.8 makes it 0.89 times (bench/voice_styles.py).
    DURATION_EXPONENT: ClassVar[float] = 1.5

    @staticmethod
    def length_for(stretch: float) -> float:
        """The ``length_scale`` that makes Piper's speech ``stretch`` times as long."""
        return float(stretch**PiperControls.DURATION_EXPONENT)


@dataclass(frozen=True)
class EspeakControls:
    """espeak-ng command-line settings: ``-s`` words per minute and ``-p`` pitch 0..99."""

    words_per_minute: int
    pitch: int

    def args(self) -> list[str]:
        """The espeak-ng arguments for these settings."""
        return ["-s", str(self.words_per_minute), "-p", str(self.pitch)]


@dataclass(frozen=True)
class OpenAIControls:
    """OpenAI speech settings: free-text ``instructions`` and ``speed`` (0.25..4.0)."""

    instructions: str
    speed: float


# The defaults, tuned so that every style is audibly apart from every other on the offline
# voice (Piper en_US-joe-medium; bench/voice_styles.py measures them, the speech tests hold the
# order): at least 5% in length or a semitone in pitch between any two styles.
#
#   style        rate   pitch (semitones)  why
#   warm         0.90   +1.5               greeting and closing: unhurried, a smile in the voice
#   neutral      1.00    0                 questions: the voice as it is
#   encouraging  1.05   +2.5               after a good answer: brighter and a little quicker
#   empathetic   0.86   -2.0               after a struggling answer or a long silence: calm, slow
#   probing      1.10   -1.5               follow-ups: engaged and brisk, never slower than neutral
#
# "rate" is the speaking-rate multiplier (OpenAI's ``speed``; espeak-ng's words per minute;
# Piper's ``length_scale`` through ``PiperControls.length_for``); pitch is espeak-ng's ``-p``
# and a resampling of Piper's audio; OpenAI TTS gets ``instructions`` instead of a pitch.
DEFAULT_PROSODY: Final[Mapping[Style, StyleProsody]] = {
    "warm": StyleProsody(
        rate=0.9,
        pitch_semitones=1.5,
        expressiveness=0.7,
        instructions=(
            "Speak warmly and a little slowly, like a friendly interviewer welcoming a guest, "
            "with a smile in your voice."
        ),
    ),
    "neutral": StyleProsody(
        rate=1.0,
        pitch_semitones=0.0,
        expressiveness=0.5,
        instructions=(
            "Speak clearly at an even, professional pace, like an attentive interviewer "
            "reading a question."
        ),
    ),
    "encouraging": StyleProsody(
        rate=1.05,
        pitch_semitones=2.5,
        expressiveness=0.8,
        instructions=(
            "Sound upbeat and genuinely appreciative, encouraging the candidate, at a natural pace."
        ),
    ),
    "empathetic": StyleProsody(
        rate=0.86,
        pitch_semitones=-2.0,
        expressiveness=0.35,
        instructions=(
            "Speak gently, calmly and slowly, reassuring the candidate with no hint of "
            "judgement or impatience."
        ),
    ),
    "probing": StyleProsody(
        rate=1.1,
        pitch_semitones=-1.5,
        expressiveness=0.45,
        instructions=(
            "Sound curious and engaged, asking with interest rather than challenge, "
            "at a measured pace."
        ),
    ),
}

# Piper's own defaults; expressiveness 0.5 reproduces them.
_PIPER_NOISE_SCALE = 0.667
_PIPER_NOISE_W = 0.8
# espeak-ng's defaults, and roughly how many of its pitch units make a semitone.
_ESPEAK_WPM = 175
_ESPEAK_PITCH = 50
_ESPEAK_PITCH_PER_SEMITONE = 4.0


@dataclass(frozen=True)
class TtsProsody:
    """Maps a style onto the controls of each TTS engine Mocksy can speak with."""

    styles: Mapping[Style, StyleProsody] = field(default_factory=lambda: dict(DEFAULT_PROSODY))
    espeak_base_wpm: int = _ESPEAK_WPM
    espeak_base_pitch: int = _ESPEAK_PITCH

    def __post_init__(self) -> None:
        missing = [s for s in DEFAULT_PROSODY if s not in self.styles]
        if missing:
            raise ValueError(f"styles is missing settings for: {', '.join(missing)}")
        if not 80 <= self.espeak_base_wpm <= 450:
            raise ValueError(
                f"espeak_base_wpm must be between 80 and 450, got {self.espeak_base_wpm}"
            )
        if not 0 <= self.espeak_base_pitch <= 99:
            raise ValueError(
                f"espeak_base_pitch must be between 0 and 99, got {self.espeak_base_pitch}"
            )

    def for_style(self, style: Style) -> StyleProsody:
        """Engine-neutral settings of ``style``."""
        return self.styles[style]

    def piper(self, style: Style) -> PiperControls:
        """Rate becomes ``length_scale``, liveliness the generator noise, pitch a resampling."""
        p = self.styles[style]
        liveliness = 0.5 + p.expressiveness  # 1.0 at the neutral 0.5
        return PiperControls(
            length_scale=round(PiperControls.length_for(1.0 / p.rate), 3),
            noise_scale=round(_PIPER_NOISE_SCALE * liveliness, 3),
            # Not scaled with liveliness: more duration noise makes Piper speak slower on
            # average (measured), which undid the rate of the lively and the calm styles.
            noise_w=_PIPER_NOISE_W,
            pitch_semitones=p.pitch_semitones,
        )

    def espeak(self, style: Style) -> EspeakControls:
        """espeak-ng speed and pitch, clamped to the ranges it accepts."""
        p = self.styles[style]
        wpm = round(self.espeak_base_wpm * p.rate)
        pitch = round(self.espeak_base_pitch + p.pitch_semitones * _ESPEAK_PITCH_PER_SEMITONE)
        return EspeakControls(words_per_minute=min(450, max(80, wpm)), pitch=min(99, max(0, pitch)))

    def openai(self, style: Style) -> OpenAIControls:
        """OpenAI TTS ``instructions`` and ``speed``."""
        p = self.styles[style]
        return OpenAIControls(
            instructions=p.instructions, speed=round(min(4.0, max(0.25, p.rate)), 3)
        )

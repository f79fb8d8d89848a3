"""When a silence ends the candidate's turn, and when it only calls for a gentle prompt."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from voice_agent.domain.intents import Intent, IntentClassifier
from voice_agent.domain.language import FILLERS, normalize


class TurnDecision(StrEnum):
    """What to do about the current silence."""

    KEEP_LISTENING = "keep_listening"
    END_TURN = "end_turn"
    # The candidate has been silent a long time: offer help, never the next question.
    PROMPT = "prompt"


# Words after which a sentence is obviously unfinished: "...and then, um".
_TRAILING: Final[frozenset[str]] = FILLERS | frozenset(
    """
    and but so because or then also like with to the a an of if which that when where while
    for by into about as than my our their its is are was were would will could should
    """.split()
)
# The recognizer hears an "and" trailing off into a pause as "n" (Piper says it "'n'"); "n" is
# otherwise a word only in complexity ("o of n", "n log n", "n squared"), after these words.
_N_AS_A_VARIABLE: Final[frozenset[str]] = frozenset(
    "of o log times by plus minus than to is be over".split()
)


@dataclass(frozen=True)
class TurnTakingRules:
    """Silence thresholds in milliseconds; the defaults favour giving the candidate time."""

    # A finished-sounding answer ends after this silence when a turn detector agrees...
    end_silence_with_detector_ms: int = 800
    # ...and after this one when there is no turn detector to ask.
    end_silence_ms: int = 2_000
    # Inside an answer that is not finished, a pause up to this long never ends the turn.
    max_think_pause_ms: int = 8_000
    # Silence before the candidate has said anything gets a gentle prompt after this...
    prompt_after_ms: int = 10_000
    # ...and after this when they asked for time ("let me think").
    think_prompt_after_ms: int = 15_000
    # End-of-turn probability at or above which the detector says the candidate is done.
    end_of_turn_threshold: float = 0.5
    # A finished-sounding answer the detector is sure about (probability at or above
    # ``sure_end_of_turn_threshold``) ends after this shorter silence. Words that trail off
    # never end early, however sure the detector is: think time comes first.
    end_silence_when_sure_ms: int = 800
    sure_end_of_turn_threshold: float = 1.0
    # What the words say counts too: a request ("could you repeat that", "skip this one",
    # "that's all") is a whole turn and ends after ``end_silence_when_sure_ms``; an answer of
    # at least this many words that does not trail off ends after the detector's silence even
    # when the audio model is unsure (0: the audio alone decides).
    complete_answer_words: int = 0

    def __post_init__(self) -> None:
        for name in (
            "end_silence_with_detector_ms",
            "end_silence_when_sure_ms",
            "end_silence_ms",
            "max_think_pause_ms",
            "prompt_after_ms",
            "think_prompt_after_ms",
        ):
            value = getattr(self, name)
            if not 0 <= value <= 120_000:
                raise ValueError(f"{name} must be between 0 and 120000 ms, got {value}")
        if not 0.0 <= self.end_of_turn_threshold <= 1.0:
            raise ValueError(
                f"end_of_turn_threshold must be between 0 and 1, got {self.end_of_turn_threshold}"
            )
        if not 0 <= self.complete_answer_words <= 500:
            raise ValueError(
                f"complete_answer_words must be between 0 and 500, got {self.complete_answer_words}"
            )
        if not self.end_of_turn_threshold <= self.sure_end_of_turn_threshold <= 1.0:
            raise ValueError(
                "sure_end_of_turn_threshold must be between end_of_turn_threshold "
                f"({self.end_of_turn_threshold}) and 1, got {self.sure_end_of_turn_threshold}"
            )
        if self.end_silence_when_sure_ms > self.end_silence_with_detector_ms:
            raise ValueError(
                "end_silence_when_sure_ms must be at most end_silence_with_detector_ms "
                f"({self.end_silence_with_detector_ms}), got {self.end_silence_when_sure_ms}"
            )
        if self.think_prompt_after_ms < self.prompt_after_ms:
            raise ValueError(
                "think_prompt_after_ms must be at least prompt_after_ms "
                f"({self.prompt_after_ms}), got {self.think_prompt_after_ms}"
            )


@dataclass(frozen=True)
class TurnTakingPolicy:
    """Decides from a silence, the last words and an optional turn detector who speaks next."""

    rules: TurnTakingRules = field(default_factory=TurnTakingRules)
    classifier: IntentClassifier = field(default_factory=IntentClassifier)

    def decide(
        self,
        silence_ms: int,
        last_words: str,
        end_of_turn_probability: float | None = None,
    ) -> TurnDecision:
        """What to do after ``silence_ms`` of silence following the candidate's ``last_words``.

        ``last_words`` is what the candidate has said since the interviewer last spoke
        ("" when they have said nothing yet).
        """
        if silence_ms < 0:
            raise ValueError(f"silence_ms must be >= 0, got {silence_ms}")
        if end_of_turn_probability is not None and not 0.0 <= end_of_turn_probability <= 1.0:
            raise ValueError(
                f"end_of_turn_probability must be between 0 and 1, got {end_of_turn_probability}"
            )
        rules = self.rules
        if not normalize(last_words):
            return self._prompt_after(silence_ms, rules.prompt_after_ms)
        intent = self.classifier.classify(last_words)
        if intent is Intent.THINK:
            return self._prompt_after(silence_ms, rules.think_prompt_after_ms)
        if self.sounds_unfinished(last_words) or (
            end_of_turn_probability is not None
            and end_of_turn_probability < rules.end_of_turn_threshold
        ):
            if silence_ms > rules.max_think_pause_ms:
                return TurnDecision.END_TURN
            return TurnDecision.KEEP_LISTENING
        if intent is not Intent.ANSWER or (
            end_of_turn_probability is not None
            and end_of_turn_probability >= rules.sure_end_of_turn_threshold
        ):
            limit = rules.end_silence_when_sure_ms
        elif end_of_turn_probability is not None or self._complete(last_words):
            limit = rules.end_silence_with_detector_ms
        else:
            limit = rules.end_silence_ms
        return TurnDecision.END_TURN if silence_ms >= limit else TurnDecision.KEEP_LISTENING

    def prompt_due(self, silence_ms: int, *, thinking: bool) -> bool:
        """Whether a silence with no answer in progress has gone on long enough for a prompt."""
        limit = self.rules.think_prompt_after_ms if thinking else self.rules.prompt_after_ms
        return silence_ms >= limit

    def _complete(self, last_words: str) -> bool:
        wanted = self.rules.complete_answer_words
        return wanted > 0 and len(normalize(last_words).split()) >= wanted

    @staticmethod
    def sounds_unfinished(last_words: str) -> bool:
        """Whether the words trail off mid-sentence ("...and then, um", "so the first step is")."""
        stripped = last_words.rstrip()
        if stripped.endswith((",", "...", "\u2026", "-", "\u2014", ":")):
            return True
        tokens = normalize(stripped).split()
        if not tokens:
            return False
        if tokens[-1] == "n":
            return len(tokens) == 1 or tokens[-2] not in _N_AS_A_VARIABLE
        return tokens[-1] in _TRAILING

    @staticmethod
    def _prompt_after(silence_ms: int, limit_ms: int) -> TurnDecision:
        return TurnDecision.PROMPT if silence_ms >= limit_ms else TurnDecision.KEEP_LISTENING

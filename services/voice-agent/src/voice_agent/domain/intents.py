"""What the candidate means by a short utterance: an answer, or a request about the interview."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from voice_agent.domain.language import FILLERS, STOPWORDS, normalize


class Intent(StrEnum):
    """How the conductor should read one candidate turn."""

    ANSWER = "answer"
    REPEAT = "repeat"
    SKIP = "skip"
    THINK = "think"
    END_INTERVIEW = "end_interview"
    # "I'm done" / "that's all": ends the interview only when nothing was said for the
    # current question yet; after an answer it means "that is my answer".
    FINISHED = "finished"
    DONT_KNOW = "dont_know"


_SOFT_WORDS: Final[frozenset[str]] = frozenset(
    """
    sorry honestly afraid unfortunately sadly frankly truly totally exactly completely
    part bit moment second sec minute idea clue right hey oh ah hi thanks thank again
    """.split()
)


@dataclass(frozen=True)
class _Rule:
    intent: Intent
    pattern: re.Pattern[str]
    # Content words allowed beside the phrase before the turn counts as an answer instead:
    # "I don't know, maybe a cache?" is a hedged answer, not a request to move on.
    max_extra_words: int


def _rule(intent: Intent, pattern: str, max_extra_words: int) -> _Rule:
    return _Rule(intent, re.compile(pattern), max_extra_words)


# Tried in this order; the first match that passes its word limit wins, so
# "I don't know, can we skip it?" is a skip and "I don't know, let me think" is a think.
_RULES: Final[tuple[_Rule, ...]] = (
    _rule(
        Intent.END_INTERVIEW,
        r"\b((i|i'd) (want|would like|like|need) to (stop|end|quit|leave)"
        r"|(i|i'd) (want|would like|like|need) to finish (here|now|the interview|this interview)"
        r"|(stop|end|finish|quit) (the|this) (interview|session)"
        r"|let's (stop|end|finish)( here| now| the interview)?"
        r"|can we (stop|end|finish)( here| now| the interview)?"
        r"|i quit|i give up on (the|this) interview)\b",
        2,
    ),
    _rule(
        Intent.SKIP,
        r"(\bskip (this|that|it|the question)\b|\b(let's|can we|could we|can i|i'd like to|"
        r"i want to|i will|i'll) skip\b|^skip$|\bnext question\b|\bmove on\b|\bnext one\b"
        r"|^(i'll |i will |i'd like to |can i |let me )?pass( on (this|that)( one)?)?$"
        r"|\bpass on (this|that)( one)?\b)",
        2,
    ),
    _rule(
        Intent.REPEAT,
        r"\b(repeat|say (that|it) again|say again|come again|pardon|one more time"
        r"|didn't (catch|hear|get|understand) (that|it|the question|you)|rephrase"
        r"|what was the question|what's the question|what (did|do) you (say|mean))\b",
        3,
    ),
    _rule(
        Intent.THINK,
        r"\b(let me (think|see|consider)|give me (a|one) (second|sec|moment|minute)"
        r"|(one|just a|wait a) (second|sec|moment|minute)|need (a moment|a minute|some time)"
        r"|let me gather my thoughts|hold on|bear with me)\b|^(i'm |i am )?(still )?thinking$",
        3,
    ),
    _rule(
        Intent.DONT_KNOW,
        r"\b(i( really| honestly| just| truly)? (do not|don't|dont)( really)? know"
        r"|no idea|(i'm |i am )?not sure|i have no (idea|clue)"
        r"|no clue|i (can't|cannot) (remember|recall)|i don't remember"
        r"|i (haven't|have not|never) (done|used|worked with|heard of|seen) (that|this|it)"
        r"|i'm (stuck|blanking)|my mind (is|went) blank)\b",
        0,
    ),
    _rule(
        Intent.FINISHED,
        r"^(so |and |yeah |ok |okay |well )*(i'm done|i am done|that's all|that is all"
        r"|that's it|that is it|nothing (else|more)|i have nothing (else|more)( to add)?"
        r"|that's everything|i'm finished|i am finished)\b",
        1,
    ),
)

_AFFIRMATIVE: Final = re.compile(
    r"^(yes|yeah|yep|yup|sure|please|ok|okay|go ahead|yes please|sure please|please do"
    r"|that would help|that'd help|could you|would you)( please| thanks| thank you)*$"
)
_NEGATIVE: Final = re.compile(
    r"^(no|nope|no thanks|no thank you|i'm fine|i'm good|i'm ok|i'm okay|not yet)"
    r"( thanks| thank you|,? i'm (fine|good|okay|ok)| i'm still thinking| still thinking)*$"
)


@dataclass(frozen=True)
class IntentClassifier:
    """Rule-based reading of a candidate turn; deterministic and free of I/O."""

    rules: tuple[_Rule, ...] = field(default=_RULES, repr=False)

    def classify(self, text: str, *, offered_repeat: bool = False) -> Intent:
        """The intent of ``text``; ``offered_repeat`` when the interviewer just offered a repeat."""
        spoken = _without_fillers(normalize(text))
        if not spoken:
            return Intent.ANSWER
        if offered_repeat:
            # A reply to "would you like me to repeat the question?"
            if _AFFIRMATIVE.match(spoken):
                return Intent.REPEAT
            if _NEGATIVE.match(spoken):
                return Intent.THINK
        for rule in self.rules:
            match = rule.pattern.search(spoken)
            if match and _extra_words(spoken, match) <= rule.max_extra_words:
                return rule.intent
        return Intent.ANSWER


def _without_fillers(text: str) -> str:
    return " ".join(w for w in text.split() if w not in FILLERS)


def _extra_words(text: str, match: re.Match[str]) -> int:
    rest = f"{text[: match.start()]} {text[match.end() :]}"
    return sum(1 for w in rest.split() if w not in STOPWORDS and w not in _SOFT_WORDS)

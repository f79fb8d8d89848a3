"""Speech metrics: pace, fillers, hedges, answer length, response delay and talk ratio."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from common.events import SpeechMetrics, Transcript, Turn
from scoring.domain.answers import Answer, conversation
from scoring.domain.language import normalize, words
from scoring.domain.lexicon import FILLER_PHRASES, HEDGE_PHRASES


def _alternation(phrases: Sequence[str]) -> str:
    # Longest first, so "i'm not sure" is one hedge rather than "not sure" plus change.
    ordered = sorted(phrases, key=lambda p: (-len(p), p))
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


# "kind of" and "sort of" are fillers except after a determiner ("what kind of index").
_DETERMINER_GUARDS = "".join(
    f"(?<!\\b{d} )" for d in ("what", "this", "that", "any", "the", "some", "a", "one", "which")
)
_FILLERS = re.compile(
    r"(?<![\w'])(?:"
    + "|".join(
        (_DETERMINER_GUARDS + re.escape(p).replace(r"\ ", r"\s+"))
        if p in ("kind of", "sort of")
        else (r"(?<!\bdo )(?<!\bif )" + re.escape(p).replace(r"\ ", r"\s+"))
        if p == "you know"
        else re.escape(p).replace(r"\ ", r"\s+")
        for p in sorted(FILLER_PHRASES, key=lambda p: (-len(p), p))
    )
    + r")(?![\w'])"
)
# "like" is a filler when set off by commas or dropped between other fillers and conjunctions,
# not when it compares ("it's like a dictionary") or is a verb ("I'd like to").
_FILLER_LIKE = re.compile(
    r"\blike\s*,|(?:^|[,.;!?]|\b(?:um|uh|and|so|but|just|like|yeah|mean|was|were))\s*"
    r"\blike\b(?!\s*,)(?!\s+(?:a|an|the|this|that|these|those|when|how|what|to|it|i|we|you|"
    r"they|him|her|them|my|our|your|his|their)\b)"
)
_HEDGES = re.compile(r"(?<![\w'])(?:" + _alternation(HEDGE_PHRASES) + r")(?![\w'])")


def filler_count(text: str) -> int:
    """Filler words and phrases in a text."""
    lowered = normalize(text)
    return len(_FILLERS.findall(lowered)) + len(_FILLER_LIKE.findall(lowered))


def hedge_count(text: str) -> int:
    """Hedging phrases in a text."""
    return len(_HEDGES.findall(normalize(text)))


def filler_examples(text: str, limit: int = 3) -> list[str]:
    """The filler phrases used, most frequent first."""
    lowered = normalize(text)
    found = [re.sub(r"\s+", " ", m) for m in _FILLERS.findall(lowered)]
    found += ["like"] * len(_FILLER_LIKE.findall(lowered))
    counts: dict[str, int] = {}
    for f in found:
        counts[f] = counts.get(f, 0) + 1
    return [f for f, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]


def _duration(turns: Sequence[Turn]) -> int:
    return sum(t.end_ms - t.start_ms for t in turns)


@dataclass(frozen=True)
class SpeechProfile:
    """The speech metrics plus the raw counts behind them."""

    metrics: SpeechMetrics
    words: int
    fillers: int
    hedges: int
    timed: bool


def measure_speech(transcript: Transcript, answers: Sequence[Answer]) -> SpeechProfile:
    """Speech metrics of the candidate's answers in a transcript."""
    answer_turns = [t for a in answers for t in a.turns]
    texts = [t.text for t in answer_turns]
    total_words = sum(len(words(t)) for t in texts)
    fillers = sum(filler_count(t) for t in texts)
    hedges = sum(hedge_count(t) for t in texts)
    timed_turns = [t for t in answer_turns if t.end_ms > t.start_ms]
    timed_words = sum(len(words(t.text)) for t in timed_turns)
    minutes = _duration(timed_turns) / 60_000
    wpm = timed_words / minutes if minutes > 0 else 0.0
    answered = [a for a in answers if a.answered]
    mean_words = sum(a.word_count for a in answered) / len(answered) if answered else 0.0

    spoken = conversation(transcript)
    delays = []
    for prompt, reply in pairwise(spoken):
        if (
            prompt.speaker == "interviewer"
            and prompt.kind in ("question", "follow_up")
            and reply.speaker == "candidate"
            and reply.kind == "answer"
        ):
            delays.append(max(0, reply.start_ms - prompt.end_ms))
    mean_delay = sum(delays) / len(delays) if delays else None

    candidate = [t for t in spoken if t.speaker == "candidate"]
    interviewer = [t for t in spoken if t.speaker == "interviewer"]
    talk = _duration(candidate)
    total_talk = talk + _duration(interviewer)
    if total_talk > 0:
        ratio = talk / total_talk
    else:
        # Untimed transcripts still say who did the talking.
        cand_words = sum(len(words(t.text)) for t in candidate)
        all_words = cand_words + sum(len(words(t.text)) for t in interviewer)
        ratio = cand_words / all_words if all_words else 0.0

    per_100 = 100.0 / total_words if total_words else 0.0
    metrics = SpeechMetrics(
        words_per_minute=round(wpm, 1),
        filler_words_per_100=round(fillers * per_100, 2),
        hedges_per_100=round(hedges * per_100, 2),
        mean_answer_words=round(mean_words, 1),
        mean_response_delay_ms=round(mean_delay) if mean_delay is not None else None,
        candidate_talk_ratio=round(ratio, 3),
    )
    return SpeechProfile(
        metrics=metrics, words=total_words, fillers=fillers, hedges=hedges, timed=minutes > 0
    )

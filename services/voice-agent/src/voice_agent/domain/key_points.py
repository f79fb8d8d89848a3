"""Which key points of a question the candidate's words have covered so far."""

from __future__ import annotations

import math
from collections.abc import Sequence

from voice_agent.domain.language import content_terms, filler_count, words

DEFAULT_MATCH_SHARE = 0.6


def key_point_terms(key_point: str) -> frozenset[str]:
    """The terms a key point is made of, in the same form as an answer's terms."""
    return content_terms(key_point)


def mentions(terms: frozenset[str], key_point: str, share: float = DEFAULT_MATCH_SHARE) -> bool:
    """Whether ``terms`` hold enough of ``key_point``'s terms to count as covering it."""
    wanted = key_point_terms(key_point)
    if not wanted:
        return False
    # Short key points need every term ("hash map"); longer ones tolerate a missing word.
    needed = max(1, math.ceil(share * len(wanted) - 1e-9))
    return len(wanted & terms) >= needed


class KeyPointTracker:
    """Accumulates one question's answer and reports which key points it covers.

    Matching is lexical: words are stemmed and folded onto a small synonym table, so
    "caching" covers "uses a cache" and "hash table" covers "hash map". Deterministic.
    """

    def __init__(self, key_points: Sequence[str], *, share: float = DEFAULT_MATCH_SHARE) -> None:
        if not 0.0 < share <= 1.0:
            raise ValueError(f"share must be within (0, 1], got {share}")
        self._key_points = tuple(key_points)
        self._share = share
        self._terms: frozenset[str] = frozenset()
        self._texts: list[str] = []
        self._word_count = 0
        self._filler_count = 0

    @property
    def key_points(self) -> tuple[str, ...]:
        """The question's key points, in their original order."""
        return self._key_points

    def add(self, text: str) -> tuple[str, ...]:
        """Take in more of the answer; returns the key points this text newly covered."""
        before = set(self.covered)
        self._texts.append(text)
        self._terms = self._terms | content_terms(text)
        spoken = words(text)
        self._word_count += len(spoken)
        self._filler_count += filler_count(text)
        return tuple(k for k in self.covered if k not in before)

    @property
    def covered(self) -> tuple[str, ...]:
        """Key points the answer so far covers."""
        return tuple(k for k in self._key_points if mentions(self._terms, k, self._share))

    @property
    def missed(self) -> tuple[str, ...]:
        """Key points the answer so far has not covered."""
        return tuple(k for k in self._key_points if not mentions(self._terms, k, self._share))

    @property
    def coverage(self) -> float:
        """Share of key points covered; 0.0 for a question without key points."""
        if not self._key_points:
            return 0.0
        return len(self.covered) / len(self._key_points)

    @property
    def answer_text(self) -> str:
        """Everything the candidate said in answer so far, in order."""
        return " ".join(self._texts)

    @property
    def word_count(self) -> int:
        """Words the candidate has said in answer so far."""
        return self._word_count

    @property
    def filler_share(self) -> float:
        """Hesitation sounds per word of the answer so far."""
        return self._filler_count / self._word_count if self._word_count else 0.0

    def targets(self, text: str, key_point: str) -> bool:
        """Whether a line (a prepared follow-up, say) is about ``key_point``."""
        return mentions(content_terms(text), key_point, self._share)

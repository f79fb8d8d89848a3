"""Choosing verbatim quotes from the candidate's turns as evidence for a judgement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MAX_QUOTE_CHARS = 240
MAX_QUOTES = 3


def trim_quote(sentence: str) -> str:
    """A sentence cut at a word boundary to a readable length; the kept part stays verbatim."""
    sentence = sentence.strip()
    if len(sentence) <= MAX_QUOTE_CHARS:
        return sentence
    cut = sentence[:MAX_QUOTE_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > MAX_QUOTE_CHARS // 2 else cut


class QuoteBook:
    """The candidate's own words; hands out only quotes that appear in them verbatim."""

    def __init__(self, candidate_texts: Iterable[str]) -> None:
        self._texts = tuple(candidate_texts)

    def is_verbatim(self, quote: str) -> bool:
        """Whether the quote appears word for word in a candidate turn."""
        return bool(quote) and any(quote in text for text in self._texts)

    def pick(self, ranked: Sequence[tuple[float, str]], limit: int = MAX_QUOTES) -> list[str]:
        """Up to ``limit`` distinct verbatim quotes, highest ranked first, ties in given order."""
        order = sorted(range(len(ranked)), key=lambda i: (-ranked[i][0], i))
        chosen: list[str] = []
        for i in order:
            weight, sentence = ranked[i]
            if weight <= 0:
                continue
            quote = trim_quote(sentence)
            if quote in chosen or not self.is_verbatim(quote):
                continue
            chosen.append(quote)
            if len(chosen) == limit:
                break
        return chosen

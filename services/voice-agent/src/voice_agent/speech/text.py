"""Written text as spoken words: what the recognizer's vocabulary and word error rate count."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

# How people say what is written with symbols; applied before punctuation is dropped.
_SPOKEN_SYMBOLS: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), spoken)
    for pattern, spoken in (
        (r"\bc#", "c sharp"),
        (r"\bf#", "f sharp"),
        (r"\bc\+\+", "c plus plus"),
        (r"\basp\.net\b", "asp dot net"),
        (r"(?<![a-z0-9])\.net\b", "dot net"),
        (r"\bk8s\b", "kubernetes"),
        (r"\bn\+1\b", "n plus one"),
        (r"\bi/o\b", "i o"),
        (r"\b([a-z]+)\.js\b", r"\1 js"),
        (r"\bo\(\s*1\s*\)", "o of one"),
        (r"\bo\(\s*n\s*\^\s*2\s*\)", "o of n squared"),
        (r"\bo\(\s*n²\s*\)", "o of n squared"),
        (r"\bo\(\s*([a-z0-9 ]+?)\s*\)", r"o of \1"),
        (r"%", " percent"),
        (r"&", " and "),
        (r"\+", " plus "),
    )
)
_NUMBERS: Final[tuple[str, ...]] = tuple(
    (
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen"
    ).split()
)
_TENS: Final[tuple[str, ...]] = (
    "",
    "",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
)
_TOKEN: Final = re.compile(r"[a-z0-9']+")
_DIGITS: Final = re.compile(r"^\d+$")


def _number_words(value: int) -> list[str]:
    if value < 20:
        return [_NUMBERS[value]]
    if value < 100:
        tens, ones = divmod(value, 10)
        return [_TENS[tens]] + ([_NUMBERS[ones]] if ones else [])
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        return [_NUMBERS[hundreds], "hundred"] + (_number_words(rest) if rest else [])
    if value < 1_000_000:
        thousands, rest = divmod(value, 1000)
        return [*_number_words(thousands), "thousand"] + (_number_words(rest) if rest else [])
    # Long numbers are read digit by digit, like ids.
    return [_NUMBERS[int(d)] for d in str(value)]


def spoken_words(text: str) -> list[str]:
    """The words a person reading ``text`` aloud says, lowercase ("C#" -> "c", "sharp")."""
    lowered = text.lower().replace("\u2019", "'")
    for pattern, spoken in _SPOKEN_SYMBOLS:
        lowered = pattern.sub(f" {spoken} ", lowered)
    words: list[str] = []
    for token in _TOKEN.findall(lowered):
        token = token.strip("'")
        if not token:
            continue
        if _DIGITS.match(token):
            words.extend(_number_words(int(token)))
        elif any(c.isdigit() for c in token):
            # "s3", "v8", "http2": letters as written, digits as numbers.
            for part in re.findall(r"[a-z']+|\d+", token):
                words.extend(_number_words(int(part)) if part.isdigit() else [part])
        else:
            words.append(token)
    return words


def word_error_rate(reference: str | Sequence[str], hypothesis: str | Sequence[str]) -> float:
    """Word edits (substitutions, deletions, insertions) per reference word, on spoken words."""
    ref = spoken_words(reference) if isinstance(reference, str) else list(reference)
    hyp = spoken_words(hypothesis) if isinstance(hypothesis, str) else list(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, start=1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (ref_word != hyp_word),
            )
        previous = current
    return previous[-1] / len(ref)

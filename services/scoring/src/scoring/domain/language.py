"""Text normalisation for spoken answers: words, light stems, concepts and sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from common.vocabulary import TECH_ALIASES, TECH_STACK
from scoring.domain.lexicon import STOPWORDS, SYNONYM_GROUPS

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?[#+]*")
# Code identifiers in key points ("useMemo", "getServerSideProps", "AsNoTracking") are said as
# separate words ("use memo"), so they are split where the case changes: lower to upper, and an
# acronym before a capitalised word ("HTTPServer" -> "HTTP Server").
_IDENTIFIER = re.compile(r"\b[A-Za-z]*[a-z][A-Z][A-Za-z]*\b|\b[A-Z]{2,}[a-z][A-Za-z]*\b")
# A cheap scan first: most spoken text has no identifier at all.
_HUMP_HINT = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_HUMP = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Plural acronyms ("APIs", "IDs") are one word, not "AP Is".
_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,}s")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
# Speech-to-text output often has no punctuation at all; long runs are cut into chunks so that
# a quote stays readable and a key point's evidence points at one place in the answer.
MAX_SENTENCE_WORDS = 35
_CHUNK_WORDS = 25

_IRREGULAR: dict[str, str] = {
    "indices": "index",
    "indexes": "index",
    "written": "write",
    "wrote": "write",
    "used": "use",
    "using": "use",
    "uses": "use",
    "ran": "run",
    "built": "build",
    "made": "make",
    "did": "do",
    "done": "do",
    "does": "do",
    "went": "go",
    "gone": "go",
    "took": "take",
    "taken": "take",
    "led": "lead",
    "spoke": "speak",
    "spoken": "speak",
    "chose": "choose",
    "chosen": "choose",
    "found": "find",
    "thought": "think",
    "knew": "know",
    "known": "know",
    "brought": "bring",
    "sent": "send",
    "kept": "keep",
    "began": "begin",
    "begun": "begin",
    "gave": "give",
    "given": "give",
    "got": "get",
    "learnt": "learn",
    "met": "meet",
    "said": "say",
    "told": "tell",
    "felt": "feel",
    "taught": "teach",
    "grew": "grow",
    "shown": "show",
    "lost": "lose",
    "meant": "mean",
    "saw": "see",
    "seen": "see",
    "children": "child",
    "analyses": "analysis",
    "slower": "slow",
    "faster": "fast",
    "bigger": "big",
    "smaller": "small",
    "larger": "large",
}
_KEEP_DOUBLE = frozenset("lsz")
_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light, deterministic stem: plural, -ed, -ing, -ly and a final e go; -ise becomes -ize."""
    if word.endswith("'s"):
        word = word[:-2]
    word = _IRREGULAR.get(word, word)
    if len(word) <= 3 or not word.isalpha():
        return word
    # British and American spellings meet on -iz-.
    for british, american in (("isation", "ization"), ("ising", "izing"), ("ised", "ized")):
        if word.endswith(british) and len(word) > len(british) + 2:
            word = word[: -len(british)] + american
            break
    else:
        if word.endswith("ise") and len(word) > 5:
            word = word[:-3] + "ize"
    w = word
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ied") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith(("ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is", "'s")):
        w = w[:-1]
    elif w.endswith("ing") and _has_vowel(w[:-3]) and len(w) - 3 >= 3:
        w = _undouble(w[:-3])
    elif w.endswith("eed"):
        # "agreed" -> "agree", but "need" and "speed" stay.
        if len(w) > 5:
            w = w[:-1]
    elif w.endswith("ed") and _has_vowel(w[:-2]) and len(w) - 2 >= 3:
        w = _undouble(w[:-2])
    elif w.endswith("ly") and len(w) - 2 >= 4:
        w = w[:-2]
    if w.endswith("ization"):
        w = w[:-5]
    elif w.endswith("ation") and len(w) > 7:
        w = w[:-3]
    elif w.endswith("ment") and len(w) - 4 >= 4:
        w = w[:-4]
    if w.endswith("e") and not w.endswith("ee") and len(w) > 3:
        w = w[:-1]
    return w


def _has_vowel(text: str) -> bool:
    return any(ch in _VOWELS for ch in text)


def _undouble(w: str) -> str:
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in _KEEP_DOUBLE and w[-1] not in _VOWELS:
        return w[:-1]
    return w


# Product names written in camel case are one spoken word ("JavaScript", "PostgreSQL").
_WHOLE_WORDS = frozenset(n for n in (*TECH_STACK, *TECH_ALIASES) if n.isalpha())


def _identifier_parts(token: str) -> list[str] | None:
    if token.lower() in _WHOLE_WORDS or _PLURAL_ACRONYM.fullmatch(token):
        return None
    parts = _HUMP.split(token)
    return parts if len(parts) > 1 else None


def split_identifiers(text: str) -> str:
    """Code identifiers split into the words they are spoken as: "useMemo" -> "use Memo"."""

    def spaced(match: re.Match[str]) -> str:
        parts = _identifier_parts(match.group())
        return " ".join(parts) if parts else match.group()

    if not _HUMP_HINT.search(text):
        return text
    return _IDENTIFIER.sub(spaced, text)


def joined_identifiers(text: str) -> dict[str, tuple[str, ...]]:
    """Identifiers in ``text`` by the stem of their run-together spoken form, with their words.

    Speech-to-text may write "useMemo" as "usememo" and a candidate may type "hashmap" for
    "HashMap"; the joined form then stands for the identifier's words.
    """
    found: dict[str, tuple[str, ...]] = {}
    for match in _IDENTIFIER.finditer(text):
        parts = _identifier_parts(match.group())
        if parts:
            lowered = tuple(p.lower() for p in parts)
            found[stem("".join(lowered))] = lowered
    return found


def normalize(text: str) -> str:
    """Lower-case text with identifiers split and typographic apostrophes and dashes made plain."""
    return (
        split_identifiers(text)
        .lower()
        .replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u2014", " ")
        .replace("\u2013", " ")
    )


def words(text: str) -> list[str]:
    """The spoken words of a text, lower-cased ("don't" is one word, "b-tree" is two)."""
    return _WORD.findall(normalize(text))


def _build_phrase_index() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    owner: dict[tuple[str, ...], str] = {}
    for concept, phrases in SYNONYM_GROUPS.items():
        for phrase in (concept, *phrases):
            stems = tuple(stem(w) for w in words(phrase))
            if not stems:
                continue
            previous = owner.setdefault(stems, concept)
            if previous != concept:
                raise ValueError(f"phrase {phrase!r} belongs to both {previous!r} and {concept!r}")
            by_first.setdefault(stems[0], []).append((stems, concept))
    # Longest phrase first, so "full table scan" wins over "table".
    return {
        first: tuple(sorted(set(entries), key=lambda e: (-len(e[0]), e[0])))
        for first, entries in sorted(by_first.items())
    }


PHRASE_INDEX = _build_phrase_index()
STOP_STEMS = frozenset(stem(w) for w in STOPWORDS)
CONCEPT_PREFIX = "@"


def terms_of(stems: list[str]) -> list[tuple[str, int]]:
    """Content terms with the index of their first stem: synonyms become one concept term."""
    out: list[tuple[str, int]] = []
    i = 0
    n = len(stems)
    while i < n:
        candidates = PHRASE_INDEX.get(stems[i])
        if candidates:
            for phrase, concept in candidates:
                size = len(phrase)
                if tuple(stems[i : i + size]) == phrase:
                    out.append((CONCEPT_PREFIX + concept, i))
                    i += size
                    break
            else:
                if stems[i] not in STOP_STEMS:
                    out.append((stems[i], i))
                i += 1
            continue
        if stems[i] not in STOP_STEMS:
            out.append((stems[i], i))
        i += 1
    return out


def content_terms(text: str) -> list[str]:
    """The content terms of a text, in order."""
    return [term for term, _ in terms_of([stem(w) for w in words(text)])]


@dataclass(frozen=True)
class Sentence:
    """A verbatim piece of a candidate's turn with its content terms."""

    text: str
    terms: tuple[str, ...]
    word_count: int


def split_sentences(text: str) -> list[str]:
    """Verbatim sentences of a turn; unpunctuated runs are cut into chunks of about 25 words."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    out: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        tokens = piece.split()
        if len(tokens) <= MAX_SENTENCE_WORDS:
            out.append(piece)
            continue
        for k in range(0, len(tokens), _CHUNK_WORDS):
            chunk = tokens[k : k + _CHUNK_WORDS]
            # Rejoining on single spaces keeps the quote verbatim for single-spaced text, which
            # is what speech-to-text produces; the evidence module checks it before quoting.
            out.append(" ".join(chunk))
    return out


def analyze_sentence(text: str) -> Sentence:
    """Terms and word count of one sentence."""
    ws = words(text)
    return Sentence(
        text=text, terms=tuple(t for t, _ in terms_of([stem(w) for w in ws])), word_count=len(ws)
    )

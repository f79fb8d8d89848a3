"""Plain-English text handling shared by the policies: words, stems, fillers and synonyms."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

_BIG_O = re.compile(r"\bo\s*\([^)]{0,20}\)")
_WORD = re.compile(r"[a-z0-9][a-z0-9+#']*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})

# Words that carry no subject matter, in key points or answers. Verbs that describe what a
# strong answer does ("mentions", "explains") are here too: a key point written as
# "explains trade-offs" is about trade-offs, and no candidate says "explains".
STOPWORDS: Final[frozenset[str]] = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing don't down during each either
    else etc even ever every few for from further get gets got had has have having he her here
    hers him his how however i i'd i'll i'm i've if in into is isn't it it's its itself just
    let let's me might more most much must my myself no nor not now of off on once one only or
    other our ours out over own per please quite rather really same she should so some such
    than that that's the their theirs them then there these they thing things this those
    through to too under until up upon us very via was we we'd we'll we're were what when where
    which while who whom why will with would you you'd your yours yourself yeah yes okay ok
    well maybe kind sort like actually basically probably perhaps sure think guess mean know
    want try way lot lots bit something anything everything stuff answer question
    use uses used using mention mentions mentioned explain explains explained explaining
    describe describes described describing discuss discusses discussed discussing give gives
    gave giving provide provides provided providing show shows showed talk talks talked
    candidate clear clearly good well-structured address addresses addressed consider considers
    considered identify identifies identified cover covers covered state states stated
    """.split()
)

# Hesitation sounds, counted to tell a struggling answer from a fluent one.
FILLERS: Final[frozenset[str]] = frozenset(
    {"um", "umm", "uh", "uhh", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mmm", "eh"}
)
FILLER_PHRASES: Final[tuple[str, ...]] = ("you know", "i mean")

# Multi-word spellings folded into one token before the words are split, so "hash table",
# "hash map" and "hashmap" are the same thing to every policy.
PHRASES: Final[Mapping[str, str]] = {
    "hash table": "hashmap",
    "hash tables": "hashmap",
    "hash map": "hashmap",
    "hash maps": "hashmap",
    "hash set": "hashset",
    "hash sets": "hashset",
    "trade off": "tradeoff",
    "trade offs": "tradeoff",
    "trade-off": "tradeoff",
    "trade-offs": "tradeoff",
    "pros and cons": "tradeoff",
    "big o": "complexity",
    "big-o": "complexity",
    "load balancer": "loadbalancer",
    "load balancers": "loadbalancer",
    "load balancing": "loadbalancer",
    "unit test": "test",
    "unit tests": "test",
    "unit testing": "test",
    "end to end": "e2e",
    "end-to-end": "e2e",
    "time complexity": "complexity",
    "space complexity": "memory",
    "single responsibility": "srp",
    "code review": "codereview",
    "code reviews": "codereview",
    "pull request": "codereview",
    "pull requests": "codereview",
    "follow up": "followup",
    "followed up": "followup",
    "root cause": "rootcause",
}

# Small synonym groups: the first word names the group. Written as plain words and stemmed
# once at import, so the table reads naturally and always agrees with ``stem``.
SYNONYM_GROUPS: Final[tuple[tuple[str, ...], ...]] = (
    ("hashmap", "dictionary", "dict", "hashtable", "hashset"),
    ("tradeoff", "downside", "drawback", "compromise", "tradeoffs"),
    ("cache", "memoize", "memoization", "memo", "memoise"),
    ("test", "tdd", "coverage", "pytest", "jest"),
    ("result", "outcome", "impact"),
    ("metric", "measure", "measurement", "number", "percent", "percentage", "kpi", "quantify"),
    ("team", "colleague", "teammate", "coworker", "peer"),
    ("conflict", "disagreement", "disagree", "tension", "argument"),
    ("scale", "scalability", "scalable", "grow", "growth"),
    ("performance", "latency", "speed", "fast", "slow", "throughput"),
    ("complexity", "asymptotic"),
    ("error", "exception", "failure", "fail", "bug"),
    ("database", "db", "datastore"),
    ("user", "customer", "enduser"),
    ("deadline", "timeline"),
    ("learn", "lesson", "takeaway", "learning"),
    ("responsibility", "ownership", "accountable", "accountability"),
    ("communicate", "communication", "inform", "update"),
    ("situation", "context", "background"),
    ("task", "goal", "objective", "assignment"),
    ("prioritize", "priority", "prioritise", "triage"),
    ("mentor", "coach", "teach", "guide"),
    ("feedback", "critique", "review"),
    ("security", "secure", "vulnerability"),
    ("monitor", "observability", "logging", "alert", "dashboard"),
    ("queue", "kafka", "broker", "rabbitmq"),
    ("index", "indices", "indexes"),
    ("accessibility", "a11y", "aria"),
)

_IRREGULAR: Final[Mapping[str, str]] = {
    "indices": "index",
    "apis": "api",
    "analyses": "analysis",
    "children": "child",
    "people": "person",
    "data": "data",
    "wrote": "writ",
    "written": "writ",
    "did": "did",
    "was": "was",
    "has": "has",
    "does": "does",
    "this": "this",
    "its": "its",
    "gas": "gas",
    "bus": "bus",
    "status": "status",
    "process": "process",
    "success": "success",
    "less": "less",
}

# (suffix, replacement) in the order they are tried; the first that fits wins.
_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("ational", "at"),
    ("ization", "iz"),
    ("isation", "iz"),
    ("ability", ""),
    ("ibility", ""),
    ("fulness", ""),
    ("ations", "at"),
    ("ation", "at"),
    ("ments", ""),
    ("ment", ""),
    ("ness", ""),
    ("ings", ""),
    ("ing", ""),
    ("able", ""),
    ("ible", ""),
    ("ity", ""),
    ("ion", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ed", ""),
    ("es", ""),
    ("ly", ""),
    ("s", ""),
)
_VOWELS = frozenset("aeiouy")


def normalize(text: str) -> str:
    """Lower-case text with curly quotes straightened and known phrases folded to one token."""
    lowered = f" {text.translate(_APOSTROPHES).lower()} "
    # Big-O notation, "O(n log n)", is about complexity whatever is inside the brackets.
    lowered = _BIG_O.sub(" complexity ", lowered)
    lowered = re.sub(r"[^a-z0-9+#'\-\s]", " ", lowered)
    for phrase, token in _PHRASES_LONGEST_FIRST:
        lowered = lowered.replace(f" {phrase} ", f" {token} ")
    return " ".join(lowered.replace("-", " ").split())


def words(text: str) -> list[str]:
    """The words of ``text`` in order, lower-cased, punctuation dropped."""
    return _WORD.findall(normalize(text))


def _strip_suffix(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if not word.endswith(suffix):
            continue
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            return word
        root = word[: -len(suffix)] + replacement
        if suffix == "es" and not root.endswith(("s", "x", "z", "ch", "sh")):
            root = word[:-1]  # "scales" is "scale" + "s", not "scal" + "es"
        # A stem needs a vowel and some length, or "string" would shrink to "str".
        if len(root) >= 3 and _VOWELS.intersection(root):
            return root
    return word


def stem(word: str) -> str:
    """A crude, deterministic stem: "caching", "caches" and "cache" all become "cach"."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    stemmed = word
    # Two rounds fold stacked suffixes ("strings" -> "string", "tests" -> "test").
    for _ in range(2):
        shorter = _strip_suffix(stemmed)
        if shorter == stemmed:
            break
        stemmed = shorter
    if stemmed.endswith("e") and len(stemmed) > 3:
        stemmed = stemmed[:-1]
    return stemmed


def _build_synonyms(groups: Iterable[tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for group in groups:
        head = stem(group[0])
        for member in group:
            table.setdefault(stem(member), head)
    return table


_PHRASES_LONGEST_FIRST: Final[tuple[tuple[str, str], ...]] = tuple(
    sorted(PHRASES.items(), key=lambda item: -len(item[0]))
)
_SYNONYMS: Final[Mapping[str, str]] = _build_synonyms(SYNONYM_GROUPS)


def term(word: str) -> str:
    """The comparable form of one word: its stem, mapped onto its synonym group."""
    stemmed = stem(word)
    return _SYNONYMS.get(stemmed, stemmed)


def content_terms(text: str) -> frozenset[str]:
    """The subject-matter terms of ``text``: stopwords and fillers out, stems and synonyms in."""
    return frozenset(
        term(w) for w in words(text) if w not in STOPWORDS and w not in FILLERS and len(w) > 1
    )


def content_words(text: str) -> list[str]:
    """The words of ``text`` that are neither stopwords nor fillers."""
    return [w for w in words(text) if w not in STOPWORDS and w not in FILLERS]


def filler_count(text: str) -> int:
    """How many hesitation sounds and filler phrases ``text`` holds."""
    tokens = words(text)
    joined = f" {' '.join(tokens)} "
    return sum(1 for w in tokens if w in FILLERS) + sum(
        joined.count(f" {p} ") for p in FILLER_PHRASES
    )

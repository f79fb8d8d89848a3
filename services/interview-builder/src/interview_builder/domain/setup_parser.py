"""A deterministic, rule-based reader of what a candidate says while setting up an interview.

The parser scans the utterance once into phrases it knows (roles, levels, technologies, number
words, negators, corrections) and then reads those phrases in order. It never guesses a slot
from a word it does not know; what it cannot use it reports as a `SlotProblem`.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import Final

from common.events.models import MAX_QUESTIONS
from common.vocabulary import (
    TECH_ALIASES,
    TECH_STACK,
    InterviewType,
    Level,
    Role,
    normalize_tech,
)
from interview_builder.domain.slots import MIN_QUESTIONS, SlotName, SlotProblem, SlotUpdate


class _Kind(Enum):
    ROLE = auto()
    TYPE = auto()
    LEVEL = auto()
    TECH = auto()
    FOREIGN_TECH = auto()  # a real technology Mocksy has no questions for
    NUMBER = auto()
    COUNT_NOUN = auto()
    UNIT = auto()  # "years", "minutes": a number before it is not a question count
    NEGATOR = auto()
    NO = auto()  # declines a proposal; "no" also negates what follows it
    YES = auto()
    YES_FIRST = auto()  # means yes only when it opens the utterance ("right", "fine")
    REPLACER = auto()  # "only", "make it": the technologies named replace the stack
    INSTEAD = auto()
    CORRECTION = auto()
    BOTH = auto()
    CONJ = auto()
    OPEN = auto()  # "no preference", "anything": meaningful only when asked for the stack
    TECH_NONE = auto()  # "no particular technology"
    PUNCT = auto()
    WORD = auto()


@dataclass(frozen=True)
class _Lexeme:
    kind: _Kind
    value: str | int | None = None


@dataclass(frozen=True)
class _Item:
    kind: _Kind
    value: str | int | None
    text: str
    index: int


def _phrases(kind: _Kind, value: str | int | None, *phrases: str) -> dict[str, _Lexeme]:
    return dict.fromkeys(phrases, _Lexeme(kind, value))


_NUMBER_WORDS: Final[dict[str, int]] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "one hundred": 100,
    "dozen": 12,
    "a dozen": 12,
    "half a dozen": 6,
    "couple": 2,
    "a couple": 2,
    "a couple of": 2,
    "a pair of": 2,
    "a single": 1,
    "single": 1,
}

# Spoken or loosely typed spellings the shared vocabulary does not list; all map onto it.
_SPOKEN_TECH: Final[dict[str, str]] = {
    "java script": "javascript",
    "type script": "typescript",
    "next": "next.js",
    "node dot js": "node.js",
    "next dot js": "next.js",
    "vue dot js": "vue",
    "c sharp": "c#",
    "c hash": "c#",
    "dot net core": ".net",
    "net core": ".net",
    "asp net": ".net",
    "postgre": "postgresql",
    "postgre sql": "postgresql",
    "postgres sql": "postgresql",
    "my sql": "mysql",
    "mongo db": "mongodb",
    "spring framework": "spring",
    "sys design": "system design",
    "k8": "kubernetes",
    "amazon aws": "aws",
    "rest api": "rest",
    "restful apis": "rest",
    "unit tests": "testing",
    "automated testing": "testing",
    "test automation": "testing",
    "tdd": "testing",
}

# Technologies candidates name that the vocabulary does not cover: reported, never dropped.
_FOREIGN_TECH: Final[tuple[str, ...]] = (
    "elixir",
    "erlang",
    "ruby",
    "rails",
    "ruby on rails",
    "php",
    "laravel",
    "kotlin",
    "swift",
    "scala",
    "haskell",
    "perl",
    "dart",
    "flutter",
    "svelte",
    "sveltekit",
    "solid",
    "ember",
    "jquery",
    "redux",
    "tailwind",
    "express",
    "nestjs",
    "react native",
    "c++",
    "cpp",
    "terraform",
    "ansible",
    "azure",
    "gcp",
    "google cloud",
    "firebase",
    "elasticsearch",
    "rabbitmq",
    "cassandra",
    "dynamodb",
    "oracle",
    "sqlite",
    "spark",
    "hadoop",
    "android",
    "ios",
    "unity",
    "webassembly",
    "wasm",
    "deno",
    "bun",
    "nosql",
    "grpc",
    "clojure",
    "julia",
    "matlab",
    "cobol",
    "fortran",
    "lua",
    "objective c",
)


def _build_lexicon() -> dict[tuple[str, ...], _Lexeme]:
    table: dict[str, _Lexeme] = {}
    table |= {name: _Lexeme(_Kind.FOREIGN_TECH, name) for name in _FOREIGN_TECH}
    table |= {name: _Lexeme(_Kind.TECH, name) for name in TECH_STACK}
    table |= {alias: _Lexeme(_Kind.TECH, name) for alias, name in TECH_ALIASES.items()}
    table |= {spoken: _Lexeme(_Kind.TECH, name) for spoken, name in _SPOKEN_TECH.items()}
    table |= {word: _Lexeme(_Kind.NUMBER, value) for word, value in _NUMBER_WORDS.items()}
    table |= _phrases(_Kind.ROLE, "frontend", "frontend", "front end", "client side", "ui", "front")
    table |= _phrases(_Kind.ROLE, "backend", "backend", "back end", "server side", "back")
    table |= _phrases(_Kind.ROLE, "fullstack", "fullstack", "full stack")
    table |= _phrases(
        _Kind.TYPE,
        "behavioral",
        "behavioral",
        "behavioural",
        "behavior",
        "behaviour",
        "soft skills",
        "soft skill",
        "people skills",
        "hr",
        "culture fit",
        "cultural fit",
        "non technical",
        "nontechnical",
        "situational",
    )
    table |= _phrases(
        _Kind.TYPE,
        "technical",
        "technical",
        "tech",
        "techie",
        "coding",
        "programming",
        "hands on",
        "hard skills",
        "algorithms",
        "algorithmic",
    )
    table |= _phrases(
        _Kind.TYPE,
        "mixed",
        "mixed",
        "mix",
        "a mix",
        "combination",
        "combo",
        "blend",
        "hybrid",
        "half and half",
        "bit of both",
        "a bit of both",
        "a bit of everything",
    )
    table |= _phrases(
        _Kind.LEVEL,
        "junior",
        "junior",
        "jr",
        "jnr",
        "entry level",
        "entry",
        "graduate",
        "grad",
        "new grad",
        "intern",
        "internship",
        "beginner",
        "trainee",
        "fresher",
        "early career",
        "first job",
    )
    table |= _phrases(
        _Kind.LEVEL,
        "mid",
        "mid",
        "mid level",
        "midlevel",
        "middle",
        "intermediate",
        "medior",
    )
    table |= _phrases(
        _Kind.LEVEL,
        "senior",
        "senior",
        "sr",
        "snr",
        "staff",
        "lead",
        "tech lead",
        "team lead",
        "principal",
        "senior level",
    )
    table |= _phrases(
        _Kind.COUNT_NOUN,
        None,
        "question",
        "questions",
        "qs",
        "q",
        "qns",
        "ques",
        "prompts",
        "of them",
    )
    table |= _phrases(
        _Kind.UNIT,
        None,
        "year",
        "years",
        "yrs",
        "yr",
        "yoe",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "minute",
        "minutes",
        "mins",
        "min",
        "hour",
        "hours",
        "hrs",
        "percent",
        "%",
        "times",
        "people",
        "engineers",
        "interviews",
        "companies",
        "rounds",
    )
    table |= _phrases(
        _Kind.NEGATOR,
        None,
        "not",
        "dont",
        "never",
        "without",
        "except",
        "excluding",
        "minus",
        "skip",
        "drop",
        "remove",
        "delete",
        "exclude",
        "lose",
        "ditch",
        "cut",
        "forget",
        "forget about",
        "take out",
        "leave out",
        "get rid of",
        "no longer",
        "no more",
        "instead of",
        "rather than",
        "replace",
        "swap",
        "switch",
        "change",
        "nothing on",
    )
    table |= _phrases(
        _Kind.NO,
        None,
        "no",
        "nope",
        "nah",
        "not quite",
        "not really",
        "not yet",
        "hold on",
        "hang on",
        "cancel",
        "wrong",
        "no thanks",
    )
    table |= _phrases(
        _Kind.YES,
        None,
        "yes",
        "yeah",
        "yep",
        "yup",
        "yes please",
        "sounds good",
        "sounds great",
        "sounds right",
        "looks good",
        "looks great",
        "looks right",
        "go ahead",
        "do it",
        "create it",
        "lets do it",
        "lets do this",
        "lets go",
        "that works",
        "works for me",
        "thats right",
        "thats correct",
        "thats it",
        "all good",
        "please do",
        "ship it",
        "lgtm",
        "go for it",
        "thats great",
        "thats perfect",
        "thats fine",
        "thats good",
        "sounds perfect",
        "that sounds good",
        "that sounds great",
        "make it so",
    )
    table |= _phrases(
        _Kind.YES_FIRST,
        None,
        "sure",
        "ok",
        "okay",
        "alright",
        "right",
        "correct",
        "perfect",
        "great",
        "good",
        "fine",
        "cool",
        "exactly",
        "absolutely",
        "definitely",
        "confirm",
        "confirmed",
        "ya",
    )
    table |= _phrases(
        _Kind.REPLACER,
        None,
        "only",
        "just",
        "exclusively",
        "nothing but",
        "make it",
        "make that",
        "lets make it",
        "switch to",
        "switch it to",
        "change to",
        "change it to",
        "nothing else",
    )
    table |= _phrases(_Kind.INSTEAD, None, "instead")
    table |= _phrases(
        _Kind.CORRECTION,
        None,
        "actually",
        "wait",
        "sorry",
        "i mean",
        "rather",
        "correction",
        "scratch that",
        "oops",
        "on second thought",
    )
    table |= _phrases(_Kind.BOTH, None, "both")
    table |= _phrases(_Kind.CONJ, None, "and", "&", "plus", "or", "nor", ",", "/", "as well as")
    table |= _phrases(
        _Kind.OPEN,
        None,
        "no preference",
        "no preferences",
        "anything",
        "any",
        "whatever",
        "dont mind",
        "dont care",
        "doesnt matter",
        "does not matter",
        "up to you",
        "you choose",
        "you pick",
        "surprise me",
        "none",
        "nothing",
        "nothing specific",
        "nothing in particular",
        "general",
        "generic",
        "not sure",
        "no idea",
    )
    for opener in ("no particular", "no specific", "any", "not any particular"):
        for noun in ("tech", "technology", "technologies", "stack", "language", "languages"):
            table[f"{opener} {noun}"] = _Lexeme(_Kind.TECH_NONE)
    table |= _phrases(
        _Kind.TECH_NONE,
        None,
        "language agnostic",
        "stack agnostic",
        "tech agnostic",
        "no preference on tech",
        "no preference on the stack",
        "general technical",
    )
    # Phrases that contain a slot word but do not set that slot.
    table |= _phrases(
        _Kind.WORD,
        None,
        "tech stack",
        "tech stacks",
        "the rest",
        "rest of",
        "full time",
        "front of",
        "back to",
        "come back",
        "mid sized",
        "lead to",
        "no problem",
        "no worries",
    )
    table |= _phrases(_Kind.PUNCT, None, ".", ";", ":", "!", "?", "but", "then", "so", "also")
    return {tuple(key.split()): lexeme for key, lexeme in table.items()}


_LEXICON: Final = _build_lexicon()
_LONGEST: Final = max(len(key) for key in _LEXICON)

_TOKEN: Final = re.compile(
    r"[a-z0-9][a-z0-9+#]*(?:\.[a-z0-9][a-z0-9+#]*)*|\.[a-z][a-z0-9]*|[,;:!?&/%]|\."
)
_DIGITS_Q: Final = re.compile(r"^(\d+)(qs?)$")

# "go" is a language and a verb; these neighbours say it is the verb.
_GO_VERB_BEFORE: Final = frozenset(
    {"lets", "let", "to", "can", "will", "ill", "id", "would", "should", "we", "i", "you"}
    | {"gonna", "wanna", "ready", "good", "could", "might", "ahead", "please"}
)
_GO_VERB_AFTER: Final = frozenset(
    {"ahead", "with", "for", "back", "on", "to", "into", "through", "over", "from", "away"}
    | {"along", "up", "down", "there", "here", "now", "lets", "wild"}
)

# Words a negation reaches across: "don't want any kafka", "drop the questions on kafka".
_NEGATION_FILLER: Final = frozenset(
    {"the", "a", "an", "any", "more", "some", "all", "of", "on", "about", "with", "for"}
    | {"need", "needed", "want", "include", "including", "do", "ask", "asking", "me", "to"}
    | {"questions", "question", "cover", "covering", "please", "use", "using", "part", "stuff"}
    | {"bit", "those", "that", "really", "care", "like", "be", "interested", "in", "it"}
)
# Words between a number and "questions" that keep them together: "6 technical questions".
_COUNT_FILLER: Final = frozenset(
    {"short", "quick", "different", "total", "interview", "or", "so", "ish", "good"}
    | {"hard", "tough", "easy", "practice", "mock", "solid", "in", "of", "the", "about"}
)
_COUNT_LEAD_IN: Final = frozenset({"count", "of", "to", "is", "be", "number", "=", "at", "total"})
_NUMBER_PREFIX_FOR_ONE: Final = frozenset({"just", "only", "make it", "make that", "do"})
_TECH_PREPOSITIONS: Final = frozenset(
    {"on", "in", "using", "with", "about", "covering", "around", "add", "use", "include"}
    | {"including", "plus", "also"}
)
_NOT_TECH: Final = frozenset(
    {"the", "a", "an", "my", "our", "your", "this", "that", "these", "those", "it", "them", "me"}
    | {"us", "some", "any", "all", "each", "every", "few", "more", "most", "other", "such"}
    | {"what", "which", "who", "there", "here", "then", "now", "top", "mind", "total", "order"}
    | {"person", "english", "particular", "specific", "mostly", "mainly", "focus", "addition"}
    | {"case", "fact", "detail", "depth", "terms", "practice", "preparation", "prep", "please"}
    | {"interview", "interviews", "role", "roles", "level", "levels", "position", "job", "jobs"}
    | {"company", "team", "teams", "experience", "years", "stack", "technology", "topics"}
    | {"technologies", "topic", "skills", "skill", "areas", "area", "side", "part", "round"}
    | {"thanks", "thank", "too", "well", "really", "like", "around", "about", "i", "im", "ive"}
    | {"id", "you", "we", "they", "want", "need", "would", "will", "can", "could", "should"}
    | {"do", "does", "have", "has", "is", "are", "be", "was", "maybe", "etc", "stuff", "things"}
    | {"thing", "lot", "bit", "frameworks", "framework", "language", "languages", "basics"}
    | {"fundamentals", "concepts", "production", "web", "apps", "applications", "development"}
    | {"developer", "developers", "engineer", "engineering", "dev", "data", "cloud", "database"}
    | {"databases", "general", "mind", "short", "long", "focus", "emphasis", "on", "in", "with"}
    | {"of", "to", "for", "at", "by", "from", "as", "if", "it", "its", "hand", "current", "new"}
    | {"current", "same", "previous", "last", "next", "first", "second", "third", "go", "one"}
    | {"two", "again", "mock", "real", "actual", "big", "small", "startup", "fintech", "end"}
    | {"please", "mostly", "heavy", "light", "medium", "deep", "dive", "modern", "latest"}
    | {"pair", "live", "design", "architecture", "frontend", "backend", "apis", "api", "side"}
    | {"know", "think", "said", "say", "guess", "get", "got", "let", "lets", "see", "yet", "idea"}
    | {"sure", "hmm", "um", "uh", "oh", "fine", "ok", "okay", "great", "good", "cool", "else"}
    | {"something", "everything", "anything", "prefer", "pick", "choose", "questions", "work"}
    | {"question", "today", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday"}
    | {"week", "weekend", "morning", "evening", "time", "while", "way", "myself", "hi"}
    | {"hello", "hey", "want", "wanna", "gonna", "ready", "start", "prepare", "practise", "am"}
    # Topics rather than technologies: the bank covers them inside its questions.
    | {"distributed", "systems", "microservices", "algorithms", "caching", "security", "oop"}
    | {"performance", "scalability", "concurrency", "networking", "accessibility", "debugging"}
    | {"architecture", "patterns", "structures", "async", "frameworks", "devops", "ci", "cd"}
)
_CLOSE_MATCH_NAMES: Final = tuple(sorted(TECH_STACK | TECH_ALIASES.keys()))


def _tokens(text: str) -> list[str]:
    text = text.lower()
    text = re.sub(r"[\u2018\u2019\u02bc`']", "", text)
    text = re.sub(r"[\u2013\u2014]", ",", text)
    text = re.sub(r"(?<=[a-z0-9])-(?=[a-z0-9])|\s-|-\s", " ", text)
    return _TOKEN.findall(text)


def _scan(tokens: list[str]) -> list[_Item]:
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_LONGEST, len(tokens) - i), 0, -1):
            phrase = tuple(tokens[i : i + size])
            lexeme = _LEXICON.get(phrase)
            if lexeme is not None:
                items.append(_Item(lexeme.kind, lexeme.value, " ".join(phrase), len(items)))
                i += size
                break
        else:
            token = tokens[i]
            digits_q = _DIGITS_Q.match(token)
            if token.isdigit():
                items.append(_Item(_Kind.NUMBER, int(token), token, len(items)))
            elif digits_q:
                items.append(_Item(_Kind.NUMBER, int(digits_q[1]), token, len(items)))
                items.append(_Item(_Kind.COUNT_NOUN, None, "q", len(items)))
            else:
                items.append(_Item(_Kind.WORD, None, token, len(items)))
            i += 1
    return _resolve_ambiguous(_join_tens(items))


def _join_tens(items: list[_Item]) -> list[_Item]:
    joined: list[_Item] = []
    for item in items:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.kind is item.kind is _Kind.NUMBER
            and isinstance(previous.value, int)
            and isinstance(item.value, int)
            and previous.value in range(20, 100, 10)
            and 0 < item.value < 10
            and not previous.text.isdigit()
        ):
            joined[-1] = _Item(
                _Kind.NUMBER, previous.value + item.value, f"{previous.text} {item.text}", 0
            )
        else:
            joined.append(item)
    return [_Item(item.kind, item.value, item.text, n) for n, item in enumerate(joined)]


def _resolve_ambiguous(items: list[_Item]) -> list[_Item]:
    resolved: list[_Item] = []
    for n, item in enumerate(items):
        before = items[n - 1].text if n > 0 else ""
        after = items[n + 1] if n + 1 < len(items) else None
        after_text = after.text if after else ""
        as_word = _Item(_Kind.WORD, None, item.text, item.index)
        if item.text == "go" and (before in _GO_VERB_BEFORE or after_text in _GO_VERB_AFTER):
            resolved.append(as_word)
        elif item.text == "rest" and before in {"a", "the", "some"}:
            resolved.append(as_word)
        elif item.text in {"front", "back", "full"} and not (
            after and (after.kind in {_Kind.CONJ, _Kind.PUNCT} or after_text in _ROLE_NOUNS)
        ):
            # Bare "front"/"back"/"full" are roles only in "front and back end", "back role".
            resolved.append(as_word)
        elif item.text in {"next", "ui", "entry", "middle", "lead"} and _is_loose(
            item, items[n - 1] if n > 0 else None, after_text
        ):
            resolved.append(as_word)
        else:
            resolved.append(item)
    return resolved


_FILLER_KINDS: Final = frozenset({_Kind.WORD, _Kind.OPEN, _Kind.COUNT_NOUN})
_ROLE_NOUNS: Final = frozenset(
    {"developer", "dev", "engineer", "role", "position", "job", "end", "side", "stack", "roles"}
)


def _is_loose(item: _Item, before: _Item | None, after: str) -> bool:
    """Whether a word that can name a slot is, here, just a word."""
    if item.text == "next":
        listed = before is not None and (
            before.kind in {_Kind.CONJ, _Kind.TECH} or before.text in {"on", "with", "using"}
        )
        return not listed
    if item.text == "ui":
        return after not in _ROLE_NOUNS
    if item.text == "entry":
        return after not in _ROLE_NOUNS | {"level"}
    if item.text == "middle":
        return after not in _ROLE_NOUNS | {"level", "", ","}
    if item.text == "lead":
        before_text = before.text if before else ""
        return before_text in {"to", "can", "i", "will", "would"} or after in {"a", "the", "teams"}
    return False


class SetupParser:
    """Reads slots, corrections, negations and yes/no out of one setup utterance."""

    def parse(self, text: str, expecting: SlotName | None = None) -> SlotUpdate:
        """Read `text`; `expecting` names the slot the assistant just asked about, if any."""
        return _Reading(_scan(_tokens(text)), expecting).update()


class _Reading:
    """One pass over the scanned items of an utterance."""

    def __init__(self, items: list[_Item], expecting: SlotName | None) -> None:
        self.items = items
        self.expecting = expecting
        self.problems: list[SlotProblem] = []

    def update(self) -> SlotUpdate:
        added, removed = self._technologies()
        tech_none = any(item.kind is _Kind.TECH_NONE for item in self.items)
        opened = tech_none or (
            self.expecting == "tech_stack"
            and not added
            and any(item.kind is _Kind.OPEN for item in self.items)
        )
        stack: list[str] | None = [t for t in added if t not in removed] if added else None
        if stack is None and opened:
            stack = []
        self._unknown_technologies(known_found=bool(added or removed))
        return SlotUpdate(
            role=self._role(),
            interview_type=self._interview_type(),
            level=self._level(),
            question_count=self._question_count(),
            tech_stack=stack,
            tech_removed=removed,
            replace_stack=(stack == [] and opened) or self._replaces_stack(),
            confirmation=self._confirmation(),
            problems=self.problems,
        )

    # -- scope helpers -------------------------------------------------------------------

    def _before(self, item: _Item) -> Iterable[_Item]:
        return reversed(self.items[: item.index])

    def _negated(self, item: _Item, *, through_lists: bool) -> bool:
        current = item
        while True:
            walked, crossed_list = self._walk_back(current, through_lists=through_lists)
            if walked is None:
                return False
            if walked.kind is _Kind.NEGATOR or (walked.kind is _Kind.NO and walked.text == "no"):
                # An opening "no frontend" corrects the role or level; it does not refuse it.
                opening_no = walked.text == "no" and walked.index == 0
                return not (opening_no and item.kind in {_Kind.ROLE, _Kind.LEVEL})
            if not crossed_list:
                return False
            current = walked

    def _walk_back(self, item: _Item, *, through_lists: bool) -> tuple[_Item | None, bool]:
        """The first item before `item` that is not filler, and whether a list was crossed.

        With `through_lists`, a conjunction between two technologies is crossed so that one
        negation covers the list: "drop kafka and redis".
        """
        conjunction: _Item | None = None
        for earlier in self._before(item):
            if earlier.kind in _FILLER_KINDS and earlier.text in _NEGATION_FILLER:
                continue
            if through_lists and earlier.kind is _Kind.CONJ and conjunction is None:
                conjunction = earlier
                continue
            if conjunction is not None:
                linked = earlier.kind in {_Kind.TECH, _Kind.FOREIGN_TECH}
                return (earlier, True) if linked else (None, False)
            return earlier, False
        return None, False

    def _corrected_between(self, first: _Item, second: _Item) -> bool:
        return any(
            item.kind in {_Kind.CORRECTION, _Kind.NO, _Kind.INSTEAD, _Kind.REPLACER}
            for item in self.items[first.index + 1 : second.index]
        )

    def _positive(self, kind: _Kind) -> list[_Item]:
        return [
            item
            for item in self.items
            if item.kind is kind and not self._negated(item, through_lists=False)
        ]

    # -- slots ---------------------------------------------------------------------------

    def _role(self) -> Role | None:
        mentions = self._positive(_Kind.ROLE)
        if not mentions:
            if self.expecting == "role" and any(i.kind is _Kind.BOTH for i in self.items):
                return "fullstack"
            return None
        role = str(mentions[0].value)
        for previous, mention in itertools.pairwise(mentions):
            value = str(mention.value)
            joined = any(
                i.kind in {_Kind.CONJ, _Kind.BOTH}
                for i in self.items[previous.index + 1 : mention.index]
            ) or any(i.kind is _Kind.BOTH for i in self.items[: previous.index])
            together = joined and not self._corrected_between(previous, mention)
            if together and {role, value} == {"frontend", "backend"}:
                role = "fullstack"  # "front end and back end"
            elif not (together and role == "fullstack" and value in {"frontend", "backend"}):
                role = value
        return _ROLES[role]

    def _interview_type(self) -> InterviewType | None:
        mentions = self._positive(_Kind.TYPE)
        if self.expecting != "role":
            mentions += [b for b in self.items if b.kind is _Kind.BOTH and self._means_mixed(b)]
            mentions.sort(key=lambda item: item.index)
        if not mentions:
            return self._type_from_negation()
        current = _type_value(mentions[0])
        previous = mentions[0]
        for mention in mentions[1:]:
            value = _type_value(mention)
            if (
                {current, value} == {"behavioral", "technical"}
                and not self._corrected_between(previous, mention)
            ) or (value == "mixed" and mention.kind is _Kind.BOTH and current != "mixed"):
                current = "mixed"
            else:
                current = value
            previous = mention
        return _TYPES[current]

    def _means_mixed(self, both: _Item) -> bool:
        """'both' picks a mixed interview unless it qualifies something else: "both ends"."""
        following = self.items[both.index + 1 : both.index + 2]
        if not following:
            return True
        after = following[0]
        return after.kind in {_Kind.TYPE, _Kind.PUNCT, _Kind.CONJ} or after.text in {
            "please",
            "types",
            "kinds",
            "of",
            "is",
            "sounds",
            "would",
        }

    def _type_from_negation(self) -> InterviewType | None:
        refused = {
            str(item.value)
            for item in self.items
            if item.kind is _Kind.TYPE and self._negated(item, through_lists=False)
        }
        if refused == {"behavioral"}:
            return "technical"
        if refused == {"technical"}:
            return "behavioral"
        return None

    def _level(self) -> Level | None:
        mentions = self._positive(_Kind.LEVEL)
        return _LEVELS[str(mentions[-1].value)] if mentions else None

    def _question_count(self) -> int | None:
        strong: list[_Item] = []
        loose: list[_Item] = []
        for item in self.items:
            if item.kind is not _Kind.NUMBER or not isinstance(item.value, int):
                continue
            reading = self._count_reading(item)
            if reading == "strong":
                strong.append(item)
            elif reading == "loose":
                loose.append(item)
        per_kind = self._per_kind_counts()
        if per_kind is not None:
            strong = [per_kind]
        candidates = strong or loose
        if not candidates or not isinstance(candidates[-1].value, int):
            return None
        chosen, value = candidates[-1], candidates[-1].value
        if MIN_QUESTIONS <= value <= MAX_QUESTIONS:
            return value
        self.problems.append(
            SlotProblem(
                slot="question_count",
                value=chosen.text,
                message=(
                    f"question_count must be between {MIN_QUESTIONS} and {MAX_QUESTIONS} "
                    f"(you asked for {value})"
                ),
                suggestions=[str(MAX_QUESTIONS if value > MAX_QUESTIONS else MIN_QUESTIONS)],
            )
        )
        return None

    def _per_kind_counts(self) -> _Item | None:
        """'4 behavioral and 4 technical' asks for 8 questions in all."""
        counted: dict[str, int] = {}
        for item in self.items[:-1]:
            following = self.items[item.index + 1]
            if (
                item.kind is _Kind.NUMBER
                and isinstance(item.value, int)
                and following.kind is _Kind.TYPE
                and following.value in {"behavioral", "technical"}
            ):
                counted[str(following.value)] = item.value
        if len(counted) < 2:
            return None
        total = sum(counted.values())
        return _Item(_Kind.NUMBER, total, str(total), -1)

    def _count_reading(self, number: _Item) -> str:
        """'strong' next to "questions", 'loose' for a bare number, 'none' for other numbers."""
        for item in self.items[number.index + 1 : number.index + 5]:
            if item.text in {"more", "fewer", "less", "extra", "additional"}:
                return "none"  # "2 more questions" changes the count by 2; it is not the count
            if item.kind is _Kind.COUNT_NOUN:
                return "strong"
            if item.kind is _Kind.UNIT:
                return "none"
            if item.kind in {_Kind.TYPE, _Kind.LEVEL, _Kind.ROLE, _Kind.TECH}:
                continue
            if item.kind is _Kind.WORD and item.text in _COUNT_FILLER:
                continue
            break
        for item in reversed(self.items[max(0, number.index - 3) : number.index]):
            if item.kind is _Kind.COUNT_NOUN:
                return "strong"  # "questions: 8", "number of questions to 8"
            if item.text not in _COUNT_LEAD_IN:
                break
        previous = self.items[number.index - 1] if number.index > 0 else None
        if previous is not None and previous.kind in {_Kind.TECH, _Kind.FOREIGN_TECH}:
            return "none"  # a version: "python 3", "java 17"
        if number.text in {"one", "single", "a single"}:
            alone = len(self.items) == 1
            prefixed = previous is not None and previous.text in _NUMBER_PREFIX_FOR_ONE
            return "loose" if alone or prefixed else "none"
        if number.text in {"couple", "a couple", "a couple of", "a pair of"}:
            return "none"  # "a couple of things" is not a count unless "questions" follows
        return "loose"

    # -- technologies --------------------------------------------------------------------

    def _technologies(self) -> tuple[list[str], list[str]]:
        added: dict[str, None] = {}
        removed: dict[str, None] = {}
        for item in self.items:
            if item.kind is not _Kind.TECH:
                continue
            target = removed if self._negated(item, through_lists=True) else added
            target.setdefault(str(item.value), None)
        for name in removed:
            added.pop(name, None)
        return list(added), list(removed)

    def _replaces_stack(self) -> bool:
        techs = [
            item
            for item in self.items
            if item.kind is _Kind.TECH and not self._negated(item, through_lists=True)
        ]
        if not techs:
            return False
        if any(item.kind is _Kind.INSTEAD for item in self.items):
            return True
        for tech in techs:
            nearby = self.items[max(0, tech.index - 3) : tech.index]
            if any(item.kind is _Kind.REPLACER for item in nearby):
                return True
            following = self.items[tech.index + 1 : tech.index + 2]
            if any(item.text in {"only", "exclusively", "nothing else"} for item in following):
                return True
        return False

    def _unknown_technologies(self, *, known_found: bool) -> None:
        unknown: dict[str, None] = {}
        for item in self.items:
            if item.kind is _Kind.FOREIGN_TECH and not self._negated(item, through_lists=True):
                unknown.setdefault(item.text, None)
            elif item.kind is _Kind.WORD and self._looks_like_technology(item, known_found):
                unknown.setdefault(item.text, None)
        for name in unknown:
            suggestions = _close_matches(name)
            hint = f"; close matches: {', '.join(suggestions)}" if suggestions else ""
            self.problems.append(
                SlotProblem(
                    slot="tech_stack",
                    value=name,
                    message=f"tech_stack: {name!r} is not a technology Mocksy covers yet{hint}",
                    suggestions=suggestions,
                )
            )

    def _looks_like_technology(self, item: _Item, known_found: bool) -> bool:
        word = item.text
        if word in _NOT_TECH or len(word) < 2 or word.isdigit() or word in _NUMBER_WORDS:
            return False
        if self.expecting == "tech_stack" and not known_found and self._only_names():
            return True  # the answer to "which technologies?" is just a name or two
        previous = self._previous_content(item)
        if previous is None:
            return False
        if previous.kind is _Kind.TECH and previous.index == item.index - 1:
            return False  # "react hooks", "python asyncio": a detail of a known technology
        if previous.kind is _Kind.CONJ:
            before_conj = self._previous_content(previous)
            return before_conj is not None and before_conj.kind in {
                _Kind.TECH,
                _Kind.FOREIGN_TECH,
            }
        return previous.text in _TECH_PREPOSITIONS

    def _previous_content(self, item: _Item) -> _Item | None:
        for earlier in self._before(item):
            if earlier.kind is _Kind.WORD and earlier.text in {"the", "a", "an", "some", "my"}:
                continue
            return earlier
        return None

    def _only_names(self) -> bool:
        meaningful = {
            _Kind.ROLE,
            _Kind.TYPE,
            _Kind.LEVEL,
            _Kind.NUMBER,
            _Kind.YES,
            _Kind.YES_FIRST,
            _Kind.NO,
            _Kind.OPEN,
            _Kind.TECH_NONE,
        }
        if any(item.kind in meaningful for item in self.items):
            return False
        content = [i for i in self.items if i.kind is _Kind.WORD and i.text not in _NOT_TECH]
        return len(content) <= 2

    # -- yes / no ------------------------------------------------------------------------

    def _confirmation(self) -> bool | None:
        opening = next(
            (item for item in self.items if item.text not in {"oh", "um", "uh", "well", "hmm"}),
            None,
        )
        if opening is None:
            return None
        if opening.kind is _Kind.NO or (
            opening.kind is _Kind.CORRECTION and opening.text == "wait"
        ):
            return False
        if opening.kind in {_Kind.YES, _Kind.YES_FIRST}:
            return True
        if any(item.kind is _Kind.YES for item in self.items):
            return True
        return None


def _type_value(item: _Item) -> str:
    return "mixed" if item.kind is _Kind.BOTH else str(item.value)


def _close_matches(word: str) -> list[str]:
    found: dict[str, None] = {}
    for match in difflib.get_close_matches(word, _CLOSE_MATCH_NAMES, n=5, cutoff=0.7):
        canonical = normalize_tech(match)
        if canonical is not None:
            found.setdefault(canonical, None)
    return list(found)[:3]


_ROLES: Final[Mapping[str, Role]] = {
    "frontend": "frontend",
    "backend": "backend",
    "fullstack": "fullstack",
}
_TYPES: Final[Mapping[str, InterviewType]] = {
    "behavioral": "behavioral",
    "technical": "technical",
    "mixed": "mixed",
}
_LEVELS: Final[Mapping[str, Level]] = {"junior": "junior", "mid": "mid", "senior": "senior"}

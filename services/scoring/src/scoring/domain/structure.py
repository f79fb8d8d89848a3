"""Answer structure: STAR for behavioral answers; approach, trade-offs, complexity, examples."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from common.events import QuestionKind
from scoring.domain.language import Sentence, normalize

_NUMBER_WORDS = (
    r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
    r"half|a few)"
)

_SITUATION = re.compile(
    r"\b(?:(?:at|in|on|during) (?:my|our|a|the|one) (?:\w+ )?(?:job|company|role|team|"
    r"internship|project|startup|employer|position|release|sprint|client)|when i was|"
    r"back when|last (?:year|month|quarter)|"
    + _NUMBER_WORDS
    + r" (?:years?|months?|weeks?) ago|a while ago|there was (?:a|this|one)|we (?:had|were) "
    r"(?:a|an|building|working|migrating|using)|our team|in (?:19|20)\d\d|once)\b"
)
_TASK = re.compile(
    r"\b(?:i was (?:responsible|asked|tasked|in charge|the one|leading|given|assigned|"
    r"supposed|expected|the owner)|my (?:task|job|role|goal|responsibility|part) was|"
    r"i (?:had|needed) to|the (?:goal|challenge|problem|requirement|task|aim|deadline) was|"
    r"we (?:had|needed) to|it was my (?:call|job|task)|was on me|i owned|i was leading|"
    r"i volunteered|i was given|i had to|so i needed)\b"
)
_I_ACTION = re.compile(
    r"\bi (?:then |also |first |finally |quickly |immediately )?"
    r"((?:\w+ed)|built|wrote|set|made|took|ran|led|met|sat|spoke|brought|began|drew|gave|"
    r"found|chose|sent|kept|put|got|did|told|went|spent|split|cut|read|rewrote|"
    r"broke|fought|sought|taught|held|left|let|ran|saw|thought|won)\b"
)
_WE_ACTION = re.compile(
    r"\bwe (?:then |also |first |finally )?"
    r"((?:\w+ed)|built|wrote|set|made|took|ran|met|sat|split|cut|did|went|spent|chose|"
    r"rewrote|moved|kept|put|got)\b"
)
# Further verbs in a list after an action: "I told the manager, split the work and paired".
_CHAINED_ACTION = re.compile(
    r"(?:,|\band|\bthen)\s+(?:then\s+)?(\w+ed|split|built|wrote|set up|ran|cut|met|led|took|made)\b"
)
# Past-tense forms that are states, not actions the candidate took.
_NOT_ACTIONS = frozenset(
    {
        "wanted",
        "needed",
        "used",
        "liked",
        "hoped",
        "felt",
        "seemed",
        "supposed",
        "tried",
        "realised",
        "realized",
        "noticed",
        "guessed",
        "believed",
        "assumed",
        "expected",
        "learned",
        "learnt",
        "thought",
        "worked",
        "was",
        "had",
    }
)
_RESULT = re.compile(
    r"\b(?:as a result|in the end|eventually|the result|the outcome|ended up|turned out|"
    r"we (?:shipped|launched|delivered|released|finished|cut|reduced|improved|increased|"
    r"saved|agreed|went live|hit|met|made it)|went (?:from|up|down)|dropped (?:to|from)|"
    r"(?:cut|reduced|improved|increased) (?:it|the|our|a|by)|"
    + _NUMBER_WORDS
    + r" ?(?:percent|%|times faster|x faster)|worked out|it worked|that worked|"
    r"which (?:meant|saved|cut)|after (?:that|launch|the change|rollout)|"
    r"(?:delivered|launched|shipped|released|finished) (?:on time|it|the|on the)|"
    r"on time|the demo went)\b"
)
_REFLECTION = re.compile(
    r"\b(?:i learned|i learnt|i've learned|the lesson|lessons? (?:for me|learned)|takeaway|"
    r"in hindsight|looking back|next time|would do (?:it |things )?differently|"
    r"if i did it again|since then i|now i (?:always|try|make sure)|taught me|"
    r"what i learned|i realised|i realized)\b"
)

_APPROACH = re.compile(
    r"\b(?:first|i would|i'd|i'll|we could|you could|you can|start (?:by|with)|"
    r"then|finally|after that|the way|approach|my plan|step|before \w+ing|"
    r"the idea is|what i do|i usually|i always|i check|i measure|i look)\b"
)
_TRADEOFF_STRONG = re.compile(
    r"\b(?:trade ?-?offs?|downsides?|drawbacks?|costs?|at the expense|"
    r"on the other hand|pros and cons|it depends|depends on|versus|instead of|whereas|"
    r"not free|the catch|the risk|the price|isn't free|aren't free|wouldn't|"
    r"i wouldn't|be careful|only when|only if|unless|the hard part)\b"
)
_TRADEOFF_WEAK = re.compile(r"\b(?:but|however|although|though)\b")
_COMPLEXITY_STRONG = re.compile(
    r"(?:\bo ?\(|\bo of\b|\bbig o\b|\blog n\b|\blogarithmic\b|\blinear\b|\bconstant time\b|"
    r"\bquadratic\b|\bn squared\b|\bcomplexity\b|\bscales? with\b|\bo\(1\)|\bo\(n)"
)
_COMPLEXITY_WEAK = re.compile(
    r"\b(?:milliseconds|seconds|latency|throughput|memory|cpu|p9[59]|p50|"
    r"\d+ ?ms|per second|cheap|expensive|overhead)\b"
)
_EXAMPLE_STRONG = re.compile(
    r"\b(?:for example|for instance|e\.g\.|such as|let's say|say you have|imagine|"
    r"(?:in|at|on) my (?:last|current|previous|first|old) (?:job|company|project|team|role)|"
    r"at my (?:last|current|previous) \w+|we had (?:a|an)|we used|in production|"
    r"on a (?:\w+ )?(?:project|dashboard|team|service|app)|in my last|like when)\b"
)
_EXAMPLE_WEAK = re.compile(r"\b" + _NUMBER_WORDS + r" (?:rows|users|requests|items|records)\b")

StructureKind = Literal["star", "technical"]


@dataclass(frozen=True)
class StructurePart:
    """One part of a well-built answer, how clearly it is present, and where."""

    name: str
    presence: float
    evidence: str | None

    @property
    def present(self) -> bool:
        """Whether the part is there clearly enough to count."""
        return self.presence >= 0.5


@dataclass(frozen=True)
class Structure:
    """The parts of an answer's structure and a 0..1 score."""

    kind: StructureKind
    parts: tuple[StructurePart, ...]
    score: float
    reflection: bool

    def part(self, name: str) -> StructurePart:
        """The named part."""
        return next(p for p in self.parts if p.name == name)

    @property
    def present_parts(self) -> list[str]:
        """Names of the parts the answer has."""
        return [p.name for p in self.parts if p.present]

    @property
    def missing_parts(self) -> list[str]:
        """Names of the parts the answer lacks."""
        return [p.name for p in self.parts if not p.present]


STAR_WEIGHTS = {"situation": 0.2, "task": 0.2, "action": 0.35, "result": 0.25}
TECHNICAL_WEIGHTS = {"approach": 0.3, "trade-offs": 0.3, "complexity": 0.15, "examples": 0.25}
REFLECTION_BONUS = 0.1


def _first(pattern: re.Pattern[str], sentences: Sequence[Sentence], texts: list[str]) -> str | None:
    for sentence, text in zip(sentences, texts, strict=True):
        if pattern.search(text):
            return sentence.text
    return None


def _graded(
    strong: re.Pattern[str],
    weak: re.Pattern[str],
    weak_presence: float,
    sentences: Sequence[Sentence],
    texts: list[str],
) -> tuple[float, str | None]:
    hit = _first(strong, sentences, texts)
    if hit is not None:
        return 1.0, hit
    hit = _first(weak, sentences, texts)
    return (weak_presence, hit) if hit is not None else (0.0, None)


def star(sentences: Sequence[Sentence]) -> Structure:
    """STAR parts of a behavioral answer."""
    texts = [normalize(s.text) for s in sentences]
    actions: dict[str, float] = {}
    action_evidence = None
    for sentence, text in zip(sentences, texts, strict=True):
        found = False
        for pattern, value in ((_I_ACTION, 1.0), (_WE_ACTION, 0.5)):
            for verb in pattern.findall(text):
                if verb in _NOT_ACTIONS:
                    continue
                actions[verb] = max(actions.get(verb, 0.0), value)
                found = True
        if found:
            for verb in _CHAINED_ACTION.findall(text):
                if verb not in _NOT_ACTIONS:
                    actions.setdefault(verb, 0.5)
        if found and action_evidence is None:
            action_evidence = sentence.text
    situation = _first(_SITUATION, sentences, texts)
    task = _first(_TASK, sentences, texts)
    result = _first(_RESULT, sentences, texts)
    reflection = _first(_REFLECTION, sentences, texts)
    parts = (
        StructurePart("situation", 1.0 if situation else 0.0, situation),
        StructurePart("task", 1.0 if task else 0.0, task),
        StructurePart("action", min(1.0, sum(actions.values()) / 3.0), action_evidence),
        StructurePart("result", 1.0 if result else 0.0, result),
    )
    score = sum(STAR_WEIGHTS[p.name] * p.presence for p in parts)
    if reflection:
        score = min(1.0, score + REFLECTION_BONUS)
    return Structure(kind="star", parts=parts, score=score, reflection=reflection is not None)


def technical(sentences: Sequence[Sentence]) -> Structure:
    """Approach, trade-offs, complexity and examples in a technical answer."""
    texts = [normalize(s.text) for s in sentences]
    approach_hits = [s.text for s, t in zip(sentences, texts, strict=True) if _APPROACH.search(t)]
    approach = StructurePart(
        "approach",
        min(1.0, len(approach_hits) / 3.0),
        approach_hits[0] if approach_hits else None,
    )
    tradeoffs = StructurePart(
        "trade-offs", *_graded(_TRADEOFF_STRONG, _TRADEOFF_WEAK, 0.4, sentences, texts)
    )
    complexity = StructurePart(
        "complexity", *_graded(_COMPLEXITY_STRONG, _COMPLEXITY_WEAK, 0.6, sentences, texts)
    )
    examples = StructurePart(
        "examples", *_graded(_EXAMPLE_STRONG, _EXAMPLE_WEAK, 0.6, sentences, texts)
    )
    parts = (approach, tradeoffs, complexity, examples)
    score = sum(TECHNICAL_WEIGHTS[p.name] * p.presence for p in parts)
    reflection = _first(_REFLECTION, sentences, texts) is not None
    return Structure(kind="technical", parts=parts, score=score, reflection=reflection)


def analyze_structure(kind: QuestionKind, sentences: Sequence[Sentence]) -> Structure:
    """The structure expected for the question's kind."""
    return star(sentences) if kind == "behavioral" else technical(sentences)

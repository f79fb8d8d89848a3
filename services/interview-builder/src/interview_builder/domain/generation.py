"""Picking an interview's questions from the bank for a confirmed setup.

Every choice is a minimum over one sort key, so the same bank, setup, seed and history always
give the same interview. The key, most important first:

1. how well the entry fits: right role at the right or a neighbouring level is a match; other
   roles are a fallback used only when the matches run out;
2. recency: questions from the candidate's recent interviews come after fresh ones, the least
   recently asked first;
3. focus: with a tech stack, questions on it before general technical questions;
4. the exact fit (right level before neighbouring level, and so on);
5. spread: a topic, competency or technology already in the interview comes later;
6. a seeded shuffle.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from common.events.models import Question
from common.vocabulary import LEVELS, Level, Role
from interview_builder.domain.bank import BankEntry, QuestionBank
from interview_builder.domain.slots import SetupSlots, smallest_count_covering

_GENERAL = ""  # the spread bucket of technical questions tied to no technology


class GenerationError(ValueError):
    """The bank cannot produce the interview the setup asks for."""


class StackTooLargeError(GenerationError):
    """Too few technical questions to give every technology in the stack one."""


class NotEnoughQuestionsError(GenerationError):
    """The bank holds fewer suitable questions than the interview needs."""


@dataclass(frozen=True)
class _Selection:
    role: Role
    level: Level
    stack: tuple[str, ...]
    recency: dict[str, int]
    shuffled: dict[str, int]

    def fit(self, entry: BankEntry) -> tuple[int, int]:
        """(0 for a match else 1, exact fit rank)."""
        wanted = LEVELS.index(self.level)
        level_gap = min(abs(LEVELS.index(level) - wanted) for level in entry.levels)
        if self.role in entry.roles:
            return (0, 0) if level_gap == 0 else (0, 1) if level_gap == 1 else (1, 2)
        return (1, 3) if level_gap == 0 else (1, 4)

    def key(self, entry: BankEntry, spread: tuple[int, ...], focus: int = 0) -> tuple[int, ...]:
        group, exact = self.fit(entry)
        recency = self.recency.get(entry.question_id, 0)
        return (group, recency, focus, exact, *spread, self.shuffled[entry.question_id])


class InterviewGenerator:
    """Chooses questions from a bank for a setup: deterministic for a seed."""

    def __init__(self, bank: QuestionBank | Iterable[BankEntry]) -> None:
        self._bank = bank if isinstance(bank, QuestionBank) else QuestionBank(bank)

    def generate(
        self, slots: SetupSlots, seed: int, exclude_question_ids: Sequence[str] = ()
    ) -> list[Question]:
        """The interview's questions in the order they are asked.

        `exclude_question_ids` lists the questions of the candidate's recent interviews, most
        recent first; they are reused only when fresh questions run out, least recent first.
        """
        entries = self.choose(slots, seed, exclude_question_ids)
        return [entry.to_question() for entry in entries]

    def choose(
        self, slots: SetupSlots, seed: int, exclude_question_ids: Sequence[str] = ()
    ) -> list[BankEntry]:
        """The bank entries behind `generate`, in the same order."""
        behavioral_count, technical_count = slots.split
        stack = tuple(slots.tech_stack) if technical_count else ()
        if len(stack) > technical_count > 0:
            needed = smallest_count_covering(slots.interview_type, len(stack))
            raise StackTooLargeError(
                f"question_count {slots.question_count} gives a {slots.interview_type} interview "
                f"{technical_count} technical questions, fewer than the {len(stack)} technologies "
                f"in tech_stack ({', '.join(stack)}); ask for at least {needed} questions or "
                "drop a technology"
            )
        order = list(self._bank.entries)
        random.Random(seed).shuffle(order)
        recent: dict[str, int] = {}
        for position, question_id in enumerate(exclude_question_ids):
            recent.setdefault(question_id, len(exclude_question_ids) - position)
        selection = _Selection(
            role=slots.role,
            level=slots.level,
            stack=stack,
            recency=recent,
            shuffled={entry.question_id: position for position, entry in enumerate(order)},
        )
        behavioral = _behavioral(self._bank, selection, behavioral_count)
        technical = _technical(self._bank, selection, technical_count)
        return _interleave(behavioral, technical)


def _behavioral(bank: QuestionBank, selection: _Selection, count: int) -> list[BankEntry]:
    pool = [entry for entry in bank if entry.kind == "behavioral"]
    _require(len(pool) >= count, f"{count} behavioral questions", len(pool))
    chosen: list[BankEntry] = []
    competencies: Counter[str | None] = Counter()
    topics: Counter[str] = Counter()
    for _ in range(count):
        entry = _best(
            pool,
            chosen,
            lambda e: selection.key(e, (competencies[e.competency], topics[e.topic])),
        )
        chosen.append(entry)
        competencies[entry.competency] += 1
        topics[entry.topic] += 1
    return chosen


def _technical(bank: QuestionBank, selection: _Selection, count: int) -> list[BankEntry]:
    stack = selection.stack
    pool = [
        entry
        for entry in bank
        if entry.kind == "technical"
        and (not stack or not entry.tech or set(entry.tech) & set(stack))
    ]
    _require(
        len(pool) >= count,
        f"{count} technical questions" + (f" on {', '.join(stack)}" if stack else ""),
        len(pool),
    )
    chosen: list[BankEntry] = []
    load: Counter[str] = Counter()
    topics: Counter[str] = Counter()

    def buckets(entry: BankEntry) -> list[str]:
        named = [name for name in entry.tech if not stack or name in stack]
        return named or [_GENERAL]

    def key(entry: BankEntry) -> tuple[int, ...]:
        general = _GENERAL in buckets(entry)
        least_used = min(load[name] for name in buckets(entry))
        if stack:
            # The stack's own questions, even a level off, before general questions.
            return selection.key(entry, (least_used, topics[entry.topic]), focus=int(general))
        # Without a stack, general questions alternate with a spread of technologies.
        return selection.key(entry, (least_used + int(not general), topics[entry.topic]))

    def take(entry: BankEntry) -> None:
        chosen.append(entry)
        topics[entry.topic] += 1
        for name in buckets(entry):
            load[name] += 1

    for name in stack:
        if load[name]:
            continue  # an earlier question already covered it
        covering = [entry for entry in pool if name in entry.tech]
        if not covering:
            raise NotEnoughQuestionsError(f"the question bank has no technical questions on {name}")
        take(_best(covering, chosen, key))
    while len(chosen) < count:
        take(_best(pool, chosen, key))
    return chosen


def _best(
    pool: Sequence[BankEntry],
    chosen: Sequence[BankEntry],
    key: Callable[[BankEntry], tuple[int, ...]],
) -> BankEntry:
    taken = {entry.question_id for entry in chosen}
    return min((entry for entry in pool if entry.question_id not in taken), key=key)


def _require(enough: bool, wanted: str, available: int) -> None:
    if not enough:
        raise NotEnoughQuestionsError(
            f"the question bank holds {available} suitable questions, fewer than the {wanted} "
            "asked for; ask for fewer questions"
        )


def _interleave(behavioral: list[BankEntry], technical: list[BankEntry]) -> list[BankEntry]:
    # A mixed interview opens with a behavioral question as a warm-up, then alternates.
    ordered: list[BankEntry] = []
    for index in range(max(len(behavioral), len(technical))):
        ordered += behavioral[index : index + 1] + technical[index : index + 1]
    return ordered

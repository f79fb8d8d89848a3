"""Interview generation: matching the setup, covering the stack, spreading, history, seeds."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.vocabulary import INTERVIEW_TYPES, LEVELS, ROLES, TECH_STACK, Level, Role
from interview_builder.domain.bank import COMPETENCIES, BankEntry, QuestionBank, load_bank
from interview_builder.domain.generation import (
    InterviewGenerator,
    NotEnoughQuestionsError,
    StackTooLargeError,
)
from interview_builder.domain.slots import SetupSlots, question_split, smallest_count_covering


def _entry(
    question_id: str,
    *,
    kind: str = "technical",
    roles: Sequence[str] = ROLES,
    levels: Sequence[str] = LEVELS,
    tech: Sequence[str] = (),
    competency: str | None = None,
    topic: str | None = None,
) -> BankEntry:
    return BankEntry.model_validate(
        {
            "question_id": question_id,
            "text": f"Question {question_id}?",
            "kind": kind,
            "topic": topic or question_id,
            "competency": competency if kind == "behavioral" else None,
            "roles": list(roles),
            "levels": list(levels),
            "tech": list(tech),
            "key_points": ["first point", "second point", "third point"],
            "follow_ups": ["Why?"],
        }
    )


def _synthetic_bank() -> QuestionBank:
    """Six questions per technology and level, ten general per level, three per competency."""
    entries: list[BankEntry] = []
    for level in LEVELS:
        for name in sorted(TECH_STACK):
            slug = name.replace(" ", "-").replace(".", "dot").replace("#", "sharp")
            entries += [
                _entry(f"t-{slug}-{level}-{n}", levels=[level], tech=[name]) for n in range(6)
            ]
        entries += [_entry(f"g-{level}-{n}", levels=[level]) for n in range(10)]
        for competency in COMPETENCIES:
            entries += [
                _entry(
                    f"b-{competency}-{level}-{n}",
                    kind="behavioral",
                    levels=[level],
                    competency=competency,
                )
                for n in range(3)
            ]
    return QuestionBank(entries)


SYNTHETIC = _synthetic_bank()
SHIPPED = load_bank()


@st.composite
def setups(draw: st.DrawFn, max_stack: int = 4, max_count: int = 20) -> SetupSlots:
    interview_type = draw(st.sampled_from(INTERVIEW_TYPES))
    stack = draw(st.lists(st.sampled_from(sorted(TECH_STACK)), max_size=max_stack, unique=True))
    lowest = smallest_count_covering(interview_type, len(stack))
    return SetupSlots(
        role=draw(st.sampled_from(ROLES)),
        interview_type=interview_type,
        level=draw(st.sampled_from(LEVELS)),
        question_count=draw(st.integers(min_value=lowest, max_value=max(lowest, max_count))),
        tech_stack=stack,
    )


def _by_id(bank: QuestionBank, question_ids: Sequence[str]) -> list[BankEntry]:
    found = [bank.get(question_id) for question_id in question_ids]
    assert all(entry is not None for entry in found)
    return [entry for entry in found if entry is not None]


def _check_interview(bank: QuestionBank, slots: SetupSlots, seed: int) -> list[BankEntry]:
    """The properties every interview has, for any bank and setup."""
    questions = InterviewGenerator(bank).generate(slots, seed)
    entries = _by_id(bank, [question.question_id for question in questions])
    behavioral, technical = question_split(slots.interview_type, slots.question_count)

    assert len(questions) == slots.question_count
    assert len({question.question_id for question in questions}) == len(questions)
    kinds = Counter(question.kind for question in questions)
    assert kinds["behavioral"] == behavioral
    assert kinds["technical"] == technical
    if technical:
        asked_about = {
            name for entry in entries if entry.kind == "technical" for name in entry.tech
        }
        assert set(slots.tech_stack) <= asked_about
        for entry in entries:
            if entry.kind == "technical" and slots.tech_stack and entry.tech:
                assert set(entry.tech) & set(slots.tech_stack), entry.question_id
    return entries


# -- properties over random setups ------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(slots=setups(), seed=st.integers(min_value=0, max_value=2**32))
def test_any_setup_gets_an_interview_that_matches_it(slots: SetupSlots, seed: int) -> None:
    entries = _check_interview(SYNTHETIC, slots, seed)

    # A question from another level appears only once the same kind of question (on the same
    # technologies, for a technical one) at the candidate's own level is used up.
    chosen = {entry.question_id for entry in entries}
    for entry in entries:
        if slots.level in entry.levels:
            continue
        assert entry.levels != [LEVELS[2 - LEVELS.index(slots.level)]] or slots.level == "mid"
        alike = [
            other
            for other in SYNTHETIC
            if other.kind == entry.kind
            and slots.level in other.levels
            and (set(other.tech) & set(entry.tech) if entry.tech else not other.tech)
        ]
        assert all(other.question_id in chosen for other in alike), entry.question_id


@settings(max_examples=150, deadline=None)
@given(slots=setups(), seed=st.integers(min_value=0, max_value=2**32))
def test_any_setup_gets_a_matching_interview_from_the_shipped_bank(
    slots: SetupSlots, seed: int
) -> None:
    _check_interview(SHIPPED, slots, seed)


@settings(max_examples=100, deadline=None)
@given(slots=setups(), seed=st.integers(min_value=0, max_value=2**32))
def test_same_seed_same_interview_whatever_the_bank_order(slots: SetupSlots, seed: int) -> None:
    shuffled = list(SYNTHETIC)
    random.Random(seed).shuffle(shuffled)

    first = InterviewGenerator(SYNTHETIC).generate(slots, seed)
    again = InterviewGenerator(SYNTHETIC).generate(slots, seed)
    from_shuffled = InterviewGenerator(shuffled).generate(slots, seed)

    assert first == again == from_shuffled


@settings(max_examples=100, deadline=None)
@given(slots=setups(max_stack=3, max_count=8), seeds=st.tuples(st.integers(), st.integers()))
def test_next_interview_avoids_the_last_ones_questions(
    slots: SetupSlots, seeds: tuple[int, int]
) -> None:
    generator = InterviewGenerator(SYNTHETIC)
    last = [question.question_id for question in generator.generate(slots, seeds[0])]

    following = generator.generate(slots, seeds[1], exclude_question_ids=last)

    assert not {question.question_id for question in following} & set(last)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    role=st.sampled_from(ROLES),
    level=st.sampled_from(LEVELS),
    count=st.integers(min_value=1, max_value=20),
    seed=st.integers(),
)
def test_behavioral_questions_spread_across_competencies(
    role: Role, level: Level, count: int, seed: int
) -> None:
    slots = SetupSlots(role=role, interview_type="behavioral", level=level, question_count=count)

    entries = InterviewGenerator(SYNTHETIC).choose(slots, seed)

    per_competency = Counter(entry.competency for entry in entries)
    # No competency is asked twice before every competency has been asked once.
    assert max(per_competency.values()) - min(per_competency.values()) <= 1
    assert len(per_competency) == min(count, len(COMPETENCIES))


@settings(max_examples=100, deadline=None)
@given(slots=setups(max_stack=4), seed=st.integers())
def test_stack_technologies_share_the_technical_questions_evenly(
    slots: SetupSlots, seed: int
) -> None:
    entries = InterviewGenerator(SYNTHETIC).choose(slots, seed)

    per_tech = Counter(name for entry in entries for name in entry.tech)
    if slots.tech_stack:
        counts = [per_tech[name] for name in slots.tech_stack]
        assert max(counts) - min(counts) <= 1
        # Every stack technology has at least 12 questions at or next to any level, so
        # general questions are needed only beyond that.
        _, technical = slots.split
        if technical <= 12 * len(slots.tech_stack):
            assert not any(entry.kind == "technical" and not entry.tech for entry in entries)


# -- the shipped bank ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "interview_type", "level"), list(itertools.product(ROLES, INTERVIEW_TYPES, LEVELS))
)
def test_shipped_bank_gives_every_combination_a_five_question_interview(
    role: Role, interview_type: str, level: Level
) -> None:
    slots = SetupSlots.model_validate(
        {"role": role, "interview_type": interview_type, "level": level, "question_count": 5}
    )

    entries = _check_interview(SHIPPED, slots, seed=7)

    # The shipped bank is big enough that every question fits the role and level exactly.
    assert all(role in entry.roles and level in entry.levels for entry in entries)


@pytest.mark.parametrize("name", sorted(TECH_STACK))
def test_shipped_bank_covers_each_technology_for_every_role_and_level(name: str) -> None:
    for role, level in itertools.product(ROLES, LEVELS):
        slots = SetupSlots(
            role=role, interview_type="technical", level=level, question_count=5, tech_stack=[name]
        )
        entries = _check_interview(SHIPPED, slots, seed=3)
        assert any(name in entry.tech for entry in entries)


def test_shipped_bank_typical_mixed_interview_spreads_competencies() -> None:
    slots = SetupSlots(
        role="backend",
        interview_type="mixed",
        level="senior",
        question_count=12,
        tech_stack=["python", "kafka", "postgresql"],
    )

    entries = _check_interview(SHIPPED, slots, seed=11)

    competencies = [entry.competency for entry in entries if entry.kind == "behavioral"]
    assert len(set(competencies)) == 6
    assert [entry.kind for entry in entries[:2]] == ["behavioral", "technical"]


# -- hand-built banks ------------------------------------------------------------------------


def test_mixed_interview_splits_floor_behavioral_ceil_technical_and_alternates() -> None:
    slots = SetupSlots(role="backend", interview_type="mixed", level="mid", question_count=5)

    kinds = [question.kind for question in InterviewGenerator(SYNTHETIC).generate(slots, 1)]

    assert kinds == ["behavioral", "technical", "behavioral", "technical", "technical"]


def test_questions_for_the_role_and_level_come_before_near_misses() -> None:
    bank = [
        _entry("exact", roles=["frontend"], levels=["junior"]),
        _entry("next-level", roles=["frontend"], levels=["mid"]),
        _entry("two-levels-off", roles=["frontend"], levels=["senior"]),
        _entry("other-role", roles=["backend"], levels=["junior"]),
    ]
    slots = SetupSlots(
        role="frontend", interview_type="technical", level="junior", question_count=4
    )

    chosen = [entry.question_id for entry in InterviewGenerator(bank).choose(slots, seed=5)]

    assert chosen == ["exact", "next-level", "two-levels-off", "other-role"]


def test_stack_questions_even_a_level_off_come_before_general_ones() -> None:
    bank = [
        _entry("general-a", levels=["junior"]),
        _entry("general-b", levels=["junior"]),
        _entry("react-junior", levels=["junior"], tech=["react"]),
        _entry("react-mid", levels=["mid"], tech=["react"]),
    ]
    slots = SetupSlots(
        role="frontend",
        interview_type="technical",
        level="junior",
        question_count=3,
        tech_stack=["react"],
    )

    chosen = {entry.question_id for entry in InterviewGenerator(bank).choose(slots, seed=2)}

    assert {"react-junior", "react-mid"} <= chosen


def test_unknown_to_the_role_technology_is_still_covered_from_another_role() -> None:
    bank = [
        *(_entry(f"fe-{n}", roles=["frontend"]) for n in range(4)),
        _entry("rust-backend", roles=["backend"], tech=["rust"]),
    ]
    slots = SetupSlots(
        role="frontend",
        interview_type="technical",
        level="mid",
        question_count=3,
        tech_stack=["rust"],
    )

    chosen = [entry.question_id for entry in InterviewGenerator(bank).choose(slots, seed=0)]

    assert "rust-backend" in chosen


def test_excluded_questions_are_reused_least_recent_first_when_fresh_ones_run_out() -> None:
    bank = [_entry(f"q{n}") for n in range(5)]
    slots = SetupSlots(role="backend", interview_type="technical", level="mid", question_count=4)
    # Most recent first: q0 was asked last time, q3 the longest ago.
    history = ["q0", "q1", "q2", "q3"]

    chosen = [
        entry.question_id
        for entry in InterviewGenerator(bank).choose(slots, seed=9, exclude_question_ids=history)
    ]

    assert chosen == ["q4", "q3", "q2", "q1"]


def test_different_seeds_give_different_interviews() -> None:
    slots = SetupSlots(
        role="fullstack", interview_type="mixed", level="mid", question_count=6, tech_stack=["go"]
    )
    generator = InterviewGenerator(SHIPPED)

    interviews = {
        tuple(question.question_id for question in generator.generate(slots, seed))
        for seed in range(10)
    }

    assert len(interviews) >= 5


def test_more_technologies_than_technical_questions_is_an_error_naming_the_limit() -> None:
    slots = SetupSlots(
        role="backend",
        interview_type="mixed",
        level="mid",
        question_count=4,
        tech_stack=["python", "kafka", "go"],
    )

    with pytest.raises(StackTooLargeError) as raised:
        InterviewGenerator(SYNTHETIC).generate(slots, seed=1)

    message = str(raised.value)
    assert "2 technical questions" in message
    assert "3 technologies" in message
    assert "at least 5 questions" in message


def test_behavioral_interview_ignores_the_stack() -> None:
    slots = SetupSlots(
        role="backend",
        interview_type="behavioral",
        level="mid",
        question_count=1,
        tech_stack=["python", "kafka"],
    )

    questions = InterviewGenerator(SYNTHETIC).generate(slots, seed=1)

    assert [question.kind for question in questions] == ["behavioral"]


def test_technology_missing_from_the_bank_is_named() -> None:
    bank = [_entry(f"g{n}") for n in range(5)]
    slots = SetupSlots(
        role="backend", interview_type="technical", level="mid", question_count=3, tech_stack=["go"]
    )

    with pytest.raises(NotEnoughQuestionsError, match="no technical questions on go"):
        InterviewGenerator(bank).generate(slots, seed=1)


def test_too_small_a_bank_says_how_many_it_holds() -> None:
    bank = [_entry("b1", kind="behavioral", competency="teamwork")]
    slots = SetupSlots(role="backend", interview_type="behavioral", level="mid", question_count=3)

    with pytest.raises(NotEnoughQuestionsError, match="holds 1 suitable questions, fewer than"):
        InterviewGenerator(bank).generate(slots, seed=1)

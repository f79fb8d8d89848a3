"""The question bank data: every file loads, reads well aloud, and can fill any interview."""

from __future__ import annotations

import re
from collections import Counter
from importlib.resources import files

import pytest

from common.vocabulary import LEVELS, ROLES, TECH_STACK, Level, QuestionKind, Role
from interview_builder.domain.bank import (
    COMPETENCIES,
    BankEntry,
    Competency,
    load_bank,
    parse_bank_file,
)

# A 10-question interview must be fillable for every role, type and level.
INTERVIEW_LENGTH = 10
MIN_PER_TECH = 5
MIN_BANK_SIZE = 300
# Questions are read aloud: longer than this and a listener loses the thread.
MAX_SPOKEN_WORDS = 45
# Markup the interviewer's voice would read out literally.
MARKUP = re.compile(r"[`*#_<>{}\[\]]")

BANK_FOLDER = files("interview_builder") / "bank"
BANK_FILES = sorted(item.name for item in BANK_FOLDER.iterdir() if item.name.endswith(".json"))


@pytest.fixture(scope="module")
def bank() -> list[BankEntry]:
    return list(load_bank())


def _normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.mark.parametrize("name", BANK_FILES)
def test_every_bank_file_holds_valid_questions(name: str) -> None:
    entries = parse_bank_file(name, (BANK_FOLDER / name).read_text(encoding="utf-8"))

    assert entries, f"{name} is empty"


def test_question_ids_and_texts_are_unique(bank: list[BankEntry]) -> None:
    ids = Counter(entry.question_id for entry in bank)
    texts = Counter(_normalized(entry.text) for entry in bank)

    assert [qid for qid, n in ids.items() if n > 1] == []
    assert [text for text, n in texts.items() if n > 1] == []


def test_key_points_and_follow_ups_do_not_repeat_within_a_question(
    bank: list[BankEntry],
) -> None:
    repeated = [
        entry.question_id
        for entry in bank
        if len({_normalized(p) for p in entry.key_points}) < len(entry.key_points)
        or len(set(entry.follow_ups)) < len(entry.follow_ups)
    ]

    assert repeated == []


def test_entries_keep_the_format_the_generator_relies_on(bank: list[BankEntry]) -> None:
    # Pinned here as well as in the loader's model: the scorer and conductor depend on them.
    bad_key_points = [e.question_id for e in bank if not 3 <= len(e.key_points) <= 6]
    bad_follow_ups = [e.question_id for e in bank if not 1 <= len(e.follow_ups) <= 3]
    unknown_tech = {(e.question_id, t) for e in bank for t in e.tech if t not in TECH_STACK}
    bad_roles = [e.question_id for e in bank if not e.roles or len(set(e.roles)) < len(e.roles)]
    bad_levels = [e.question_id for e in bank if not e.levels or len(set(e.levels)) < len(e.levels)]
    bad_competency = [
        e.question_id
        for e in bank
        if (e.kind == "behavioral") != (e.competency is not None)
        or (e.kind == "behavioral" and e.tech)
    ]

    assert bad_key_points == []
    assert bad_follow_ups == []
    assert unknown_tech == set()
    assert bad_roles == []
    assert bad_levels == []
    assert bad_competency == []


def test_question_ids_say_what_kind_of_question_they_are(bank: list[BankEntry]) -> None:
    wrong = [
        entry.question_id
        for entry in bank
        if not entry.question_id.startswith("beh-" if entry.kind == "behavioral" else "tech-")
    ]

    assert wrong == []


def test_questions_read_well_aloud(bank: list[BankEntry]) -> None:
    too_long = [e.question_id for e in bank if len(e.text.split()) > MAX_SPOKEN_WORDS]
    markup = [e.question_id for e in bank if MARKUP.search(e.text)]
    unasked = [e.question_id for e in bank if not e.text.rstrip().endswith((".", "?"))]

    assert too_long == []
    assert markup == []
    assert unasked == []


def test_follow_ups_read_well_aloud(bank: list[BankEntry]) -> None:
    follow_ups = [(e.question_id, f) for e in bank for f in e.follow_ups]

    too_long = [qid for qid, f in follow_ups if len(f.split()) > MAX_SPOKEN_WORDS]
    markup = [qid for qid, f in follow_ups if MARKUP.search(f)]
    unfinished = [qid for qid, f in follow_ups if not f.rstrip().endswith((".", "?"))]

    assert too_long == []
    assert markup == []
    assert unfinished == []


def test_bank_is_large_enough(bank: list[BankEntry]) -> None:
    assert len(bank) >= MIN_BANK_SIZE


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("kind", ["behavioral", "technical"])
def test_every_role_level_and_kind_fills_an_interview(
    bank: list[BankEntry], role: Role, level: Level, kind: QuestionKind
) -> None:
    matching = [e for e in bank if e.kind == kind and role in e.roles and level in e.levels]

    assert len(matching) >= INTERVIEW_LENGTH


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("level", LEVELS)
def test_every_role_and_level_has_questions_that_need_no_particular_technology(
    bank: list[BankEntry], role: Role, level: Level
) -> None:
    # A candidate whose stack the bank knows little about still gets a technical interview.
    general = [
        e
        for e in bank
        if e.kind == "technical" and not e.tech and role in e.roles and level in e.levels
    ]

    assert len(general) >= INTERVIEW_LENGTH // 2


@pytest.mark.parametrize("tech", sorted(TECH_STACK))
def test_every_technology_has_questions(bank: list[BankEntry], tech: str) -> None:
    asking = [e for e in bank if tech in e.tech]

    assert len(asking) >= MIN_PER_TECH


@pytest.mark.parametrize("competency", COMPETENCIES)
@pytest.mark.parametrize("level", LEVELS)
def test_every_competency_is_asked_at_every_level(
    bank: list[BankEntry], competency: Competency, level: Level
) -> None:
    asking = [e for e in bank if e.competency == competency and level in e.levels]

    assert len(asking) >= 3

"""The question bank data: every file is well formed and the bank can fill any interview."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib.resources import files
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from common.vocabulary import LEVELS, ROLES, TECH_STACK, Level, QuestionKind, Role

Competency = Literal["teamwork", "conflict", "ownership", "failure", "leadership", "communication"]
COMPETENCIES: tuple[Competency, ...] = (
    "teamwork",
    "conflict",
    "ownership",
    "failure",
    "leadership",
    "communication",
)
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]

# A 10-question interview must be fillable for every role, type and level.
INTERVIEW_LENGTH = 10
MIN_PER_TECH = 5
MIN_BANK_SIZE = 300
# Questions are read aloud: longer than this and a listener loses the thread.
MAX_SPOKEN_WORDS = 45


class BankEntry(BaseModel):
    """One bank question, mirroring the JSON format the generator reads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: Annotated[str, StringConstraints(pattern=r"^(beh|tech)-[a-z0-9-]+-\d{3}$")]
    text: Annotated[str, StringConstraints(min_length=10, max_length=400)]
    kind: QuestionKind
    topic: Annotated[str, StringConstraints(min_length=3, max_length=60)]
    competency: Competency | None
    roles: list[Role] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    tech: list[str]
    key_points: list[Phrase] = Field(min_length=3, max_length=6)
    follow_ups: list[Annotated[str, StringConstraints(min_length=10)]] = Field(
        min_length=1, max_length=3
    )


def _bank_files() -> list[str]:
    bank = files("interview_builder") / "bank"
    return sorted(item.name for item in bank.iterdir() if item.name.endswith(".json"))


def _load(name: str) -> list[BankEntry]:
    raw = json.loads((files("interview_builder") / "bank" / name).read_text(encoding="utf-8"))
    assert isinstance(raw, list), f"{name} must hold a JSON list"
    return [BankEntry.model_validate(item) for item in raw]


BANK_FILES = _bank_files()


@pytest.fixture(scope="module")
def bank() -> list[BankEntry]:
    return [entry for name in BANK_FILES for entry in _load(name)]


def _normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.mark.parametrize("name", BANK_FILES)
def test_every_bank_file_holds_well_formed_questions(name: str) -> None:
    entries = _load(name)

    assert entries, f"{name} is empty"


def test_a_malformed_entry_is_refused_with_the_field_named() -> None:
    entry = {
        "question_id": "tech-react-999",
        "text": "What is the virtual DOM?",
        "kind": "technical",
        "topic": "react rendering",
        "competency": None,
        "roles": ["frontend"],
        "levels": ["junior"],
        "tech": ["react"],
        "key_points": ["diffing"],
        "follow_ups": ["Why are keys needed in lists?"],
    }

    with pytest.raises(ValidationError, match="key_points"):
        BankEntry.model_validate(entry)


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


def test_roles_and_levels_are_listed_once_each(bank: list[BankEntry]) -> None:
    repeated = [
        entry.question_id
        for entry in bank
        if len(set(entry.roles)) < len(entry.roles) or len(set(entry.levels)) < len(entry.levels)
    ]

    assert repeated == []


def test_technologies_use_canonical_names(bank: list[BankEntry]) -> None:
    unknown = {(entry.question_id, t) for entry in bank for t in entry.tech if t not in TECH_STACK}

    assert unknown == set()


def test_behavioral_questions_name_a_competency_and_no_technology(bank: list[BankEntry]) -> None:
    wrong = [
        entry.question_id
        for entry in bank
        if entry.kind == "behavioral" and (entry.competency is None or entry.tech)
    ]

    assert wrong == []


def test_technical_questions_have_no_competency(bank: list[BankEntry]) -> None:
    wrong = [e.question_id for e in bank if e.kind == "technical" and e.competency is not None]

    assert wrong == []


def test_question_ids_say_what_kind_of_question_they_are(bank: list[BankEntry]) -> None:
    wrong = [
        entry.question_id
        for entry in bank
        if not entry.question_id.startswith("beh-" if entry.kind == "behavioral" else "tech-")
    ]

    assert wrong == []


def test_questions_read_well_aloud(bank: list[BankEntry]) -> None:
    too_long = [e.question_id for e in bank if len(e.text.split()) > MAX_SPOKEN_WORDS]
    markup = [e.question_id for e in bank if re.search(r"[`*#_<>{}\[\]]", e.text)]
    unasked = [e.question_id for e in bank if not e.text.rstrip().endswith((".", "?"))]

    assert too_long == []
    assert markup == []
    assert unasked == []


def test_follow_ups_are_questions(bank: list[BankEntry]) -> None:
    not_questions = [
        (entry.question_id, follow_up)
        for entry in bank
        for follow_up in entry.follow_ups
        if not follow_up.rstrip().endswith("?")
    ]

    assert not_questions == []


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

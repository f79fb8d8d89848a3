"""The question bank: entries as the bank files store them, validated, and a loader."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from typing import Annotated, Final, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from common.events.models import MAX_ID, MAX_SHORT_TEXT, MAX_TEXT, Question
from common.vocabulary import TECH_STACK, Level, QuestionKind, Role, normalize_tech

Competency = Literal["teamwork", "conflict", "ownership", "failure", "leadership", "communication"]
COMPETENCIES: Final[tuple[Competency, ...]] = (
    "teamwork",
    "conflict",
    "ownership",
    "failure",
    "leadership",
    "communication",
)

_Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class BankError(ValueError):
    """The bank files hold an entry that is not a valid question."""


def _unique(values: list[str], field: str) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError(f"{field} must not repeat values")
    return values


class BankEntry(BaseModel):
    """One question of the bank, with who it suits and what a strong answer covers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")] = Field(
        max_length=MAX_ID
    )
    text: _Line = Field(max_length=MAX_TEXT)
    kind: QuestionKind
    topic: _Line = Field(max_length=MAX_SHORT_TEXT)
    competency: Competency | None
    roles: list[Role] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    tech: list[str]
    key_points: list[Annotated[_Line, StringConstraints(max_length=MAX_SHORT_TEXT)]] = Field(
        min_length=3, max_length=6
    )
    follow_ups: list[Annotated[_Line, StringConstraints(max_length=MAX_TEXT)]] = Field(
        min_length=1, max_length=3
    )

    @field_validator("roles", "levels")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        return _unique(value, "roles and levels")

    @field_validator("tech")
    @classmethod
    def _canonical_tech(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in TECH_STACK:
                canonical = normalize_tech(name)
                hint = f" (write {canonical!r})" if canonical else ""
                raise ValueError(f"tech {name!r} is not a canonical technology name{hint}")
        return _unique(value, "tech")

    @model_validator(mode="after")
    def _competency_matches_kind(self) -> Self:
        if self.kind == "behavioral" and self.competency is None:
            raise ValueError("a behavioral question needs a competency")
        if self.kind == "technical" and self.competency is not None:
            raise ValueError("a technical question has no competency")
        return self

    def to_question(self) -> Question:
        """The question as it travels in events."""
        return Question(
            question_id=self.question_id,
            text=self.text,
            kind=self.kind,
            topic=self.topic,
            key_points=list(self.key_points),
            follow_ups=list(self.follow_ups),
        )


class QuestionBank:
    """An immutable set of bank entries with unique ids, in a stable order."""

    def __init__(self, entries: Iterable[BankEntry]) -> None:
        ordered = sorted(entries, key=lambda entry: entry.question_id)
        counts = Counter(entry.question_id for entry in ordered)
        repeated = sorted(question_id for question_id, seen in counts.items() if seen > 1)
        if repeated:
            raise BankError(f"question_id must be unique; repeated: {', '.join(repeated)}")
        self._entries: tuple[BankEntry, ...] = tuple(ordered)
        self._by_id = {entry.question_id: entry for entry in ordered}

    def __iter__(self) -> Iterator[BankEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    @property
    def entries(self) -> Sequence[BankEntry]:
        """All entries, ordered by question id."""
        return self._entries

    def get(self, question_id: str) -> BankEntry | None:
        """The entry with this id, if the bank has it."""
        return self._by_id.get(question_id)


def parse_bank_file(name: str, content: str) -> list[BankEntry]:
    """Validate one bank file's JSON; errors name the file, the entry and the field."""
    try:
        raw = json.loads(content)
    except json.JSONDecodeError as error:
        raise BankError(f"{name}: not valid JSON ({error})") from error
    if not isinstance(raw, list):
        raise BankError(f"{name}: a bank file must hold a JSON list of entries")
    entries: list[BankEntry] = []
    for position, item in enumerate(raw):
        try:
            entries.append(BankEntry.model_validate(item))
        except ValidationError as error:
            label = item.get("question_id", "?") if isinstance(item, dict) else "?"
            details = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'entry'}: {problem['msg']}"
                for problem in error.errors()
            )
            raise BankError(f"{name} entry {position} ({label}): {details}") from error
    return entries


def load_bank(package: str = "interview_builder") -> QuestionBank:
    """Read and validate every `bank/*.json` file shipped in the package."""
    folder = resources.files(package).joinpath("bank")
    entries: list[BankEntry] = []
    files = sorted(
        (item for item in folder.iterdir() if item.name.endswith(".json")),
        key=lambda item: item.name,
    )
    for item in files:
        entries += parse_bank_file(item.name, item.read_text(encoding="utf-8"))
    return QuestionBank(entries)

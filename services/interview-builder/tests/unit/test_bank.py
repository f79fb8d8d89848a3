"""The question bank: entry validation, file loading and the shipped bank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from common.events.models import Question
from common.vocabulary import TECH_STACK
from interview_builder.domain.bank import (
    COMPETENCIES,
    BankEntry,
    BankError,
    QuestionBank,
    load_bank,
    parse_bank_file,
)


def _raw(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "question_id": "be-py-001",
        "text": "How does the GIL affect a CPU-bound Python service?",
        "kind": "technical",
        "topic": "python concurrency",
        "competency": None,
        "roles": ["backend", "fullstack"],
        "levels": ["mid", "senior"],
        "tech": ["python"],
        "key_points": ["one thread runs bytecode", "use processes", "I/O releases the GIL"],
        "follow_ups": ["When would you reach for asyncio?"],
    }
    return entry | changes


def test_valid_entry_becomes_an_event_question() -> None:
    question = BankEntry.model_validate(_raw()).to_question()

    assert question == Question(
        question_id="be-py-001",
        text="How does the GIL affect a CPU-bound Python service?",
        kind="technical",
        topic="python concurrency",
        key_points=["one thread runs bytecode", "use processes", "I/O releases the GIL"],
        follow_ups=["When would you reach for asyncio?"],
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"key_points": ["a", "b"]}, "key_points", "at least 3"),
        ({"key_points": ["a", "b", "c", "d", "e", "f", "g"]}, "key_points", "at most 6"),
        ({"follow_ups": []}, "follow_ups", "at least 1"),
        ({"follow_ups": ["a", "b", "c", "d"]}, "follow_ups", "at most 3"),
        ({"tech": ["postgres"]}, "tech", "write 'postgresql'"),
        ({"tech": ["elixir"]}, "tech", "not a canonical technology"),
        ({"roles": []}, "roles", "at least 1"),
        ({"roles": ["devops"]}, "roles", "frontend"),
        ({"levels": ["mid", "mid"]}, "levels", "must not repeat"),
        ({"kind": "behavioral"}, "competency", "needs a competency"),
        ({"competency": "teamwork"}, "competency", "has no competency"),
        ({"competency": "charisma", "kind": "behavioral"}, "competency", "teamwork"),
        ({"question_id": "Be Py 1"}, "question_id", "pattern"),
        ({"difficulty": 3}, "difficulty", "Extra inputs"),
    ],
)
def test_invalid_entries_are_refused_naming_the_field(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        BankEntry.model_validate(_raw(**changes))

    text = str(raised.value)
    assert message in text
    assert field in text


def test_repeated_question_ids_are_refused_by_name() -> None:
    entry = BankEntry.model_validate(_raw())
    other = BankEntry.model_validate(_raw(question_id="be-py-002"))

    with pytest.raises(BankError, match="repeated: be-py-001"):
        QuestionBank([entry, other, entry])


def test_bank_file_errors_name_the_file_entry_and_field() -> None:
    content = json.dumps([_raw(), _raw(question_id="be-py-002", key_points=["only one"])])

    with pytest.raises(BankError) as raised:
        parse_bank_file("python.json", content)

    assert str(raised.value).startswith("python.json entry 1 (be-py-002): key_points")


def test_bank_file_must_be_a_json_list() -> None:
    with pytest.raises(BankError, match=r"broken.json: not valid JSON"):
        parse_bank_file("broken.json", "[{")
    with pytest.raises(BankError, match=r"object.json: a bank file must hold a JSON list"):
        parse_bank_file("object.json", json.dumps(_raw()))


def test_load_bank_reads_every_json_file_of_a_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "practice_bank_pkg"
    (package / "bank").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "bank" / "a.json").write_text(json.dumps([_raw()]))
    (package / "bank" / "b.json").write_text(json.dumps([_raw(question_id="be-py-002")]))
    (package / "bank" / "notes.txt").write_text("not a bank file")
    monkeypatch.syspath_prepend(str(tmp_path))

    bank = load_bank("practice_bank_pkg")

    assert [entry.question_id for entry in bank] == ["be-py-001", "be-py-002"]


def test_shipped_bank_is_valid_and_covers_the_vocabulary() -> None:
    bank = load_bank()

    assert len(bank) >= 300
    covered = {name for entry in bank for name in entry.tech}
    assert covered == TECH_STACK
    behavioral = [entry for entry in bank if entry.kind == "behavioral"]
    assert {entry.competency for entry in behavioral} == set(COMPETENCIES)
    assert all(entry.to_question().question_id == entry.question_id for entry in bank)

"""The mocksy-builder console script."""

from __future__ import annotations

import io
import json

import pytest

from interview_builder.cli import EXIT_INVALID, main


def test_parse_setup_prints_the_five_slots_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["parse-setup", "senior backend, technical, 6 questions on Python and Kafka"])

    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "role": "backend",
        "interview_type": "technical",
        "level": "senior",
        "question_count": 6,
        "tech_stack": ["python", "kafka"],
    }


def test_parse_setup_prints_null_for_what_the_text_does_not_say(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["parse-setup", "a dozen questions please"])

    assert json.loads(capsys.readouterr().out) == {
        "role": None,
        "interview_type": None,
        "level": None,
        "question_count": 12,
        "tech_stack": None,
    }


def test_parse_setup_reports_problems_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    main(["parse-setup", "50 questions on pyhton"])

    captured = capsys.readouterr()
    assert json.loads(captured.out)["question_count"] is None
    assert "question_count must be between 1 and 20 (you asked for 50)" in captured.err
    assert "'pyhton'" in captured.err
    assert "python" in captured.err


def test_parse_setup_uses_the_slot_being_asked_about(capsys: pytest.CaptureFixture[str]) -> None:
    main(["parse-setup", "both", "--expecting", "role"])

    assert json.loads(capsys.readouterr().out)["role"] == "fullstack"


def test_chat_runs_to_confirmed_slots(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("backend\nsenior\ntechnical\ngo and redis\nyes\n"))

    code = main(["chat"])

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert code == 0
    assert json.loads(last_line) == {
        "role": "backend",
        "interview_type": "technical",
        "level": "senior",
        "question_count": 5,
        "tech_stack": ["go", "redis"],
    }


def test_generate_prints_the_questions(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--role", "frontend", "--type", "mixed", "--level", "junior"]

    code = main([*argv, "--count", "4", "--stack", "react, css", "--seed", "3"])

    questions = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [question["kind"] for question in questions] == [
        "behavioral",
        "technical",
        "behavioral",
        "technical",
    ]


def test_generate_refuses_a_count_over_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--role", "backend", "--type", "technical", "--level", "mid"]

    code = main([*argv, "--count", "30"])

    assert code == EXIT_INVALID
    assert "question_count" in capsys.readouterr().err

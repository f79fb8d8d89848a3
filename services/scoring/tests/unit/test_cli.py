"""The mocksy-scoring console script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.events import Feedback
from scoring.cli import main

FIXTURE = Path(__file__).parents[1] / "fixtures" / "mixed_session.json"


def test_score_prints_feedback_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(FIXTURE)]) == 0
    feedback = Feedback.model_validate(json.loads(capsys.readouterr().out))
    assert feedback.gradable
    assert feedback.session_id == "sess-demo-0001"


def test_score_prints_a_markdown_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(FIXTURE), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Interview feedback")
    assert "**Overall score:" in out
    assert "### Q2 (database indexing)" in out
    assert "| Words per minute |" in out


def test_accepts_a_whole_session_completed_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = {"event_type": "SessionCompleted", "data": json.loads(FIXTURE.read_text())}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert main(["score", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["session_id"] == "sess-demo-0001"


def test_invalid_transcript_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(FIXTURE.read_text())
    document["turns"][2]["end_ms"] = 1
    del document["session_id"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    assert main(["score", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is not a valid transcript" in err
    assert "field 'session_id'" in err
    assert "field 'turns[2]'" in err
    assert "end_ms must not be before start_ms" in err


def test_not_json_and_missing_file_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.json"
    path.write_text("this is not json")
    assert main(["score", str(path)]) == 2
    assert "is not JSON" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_serve_refuses_an_llm_judge_without_a_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCKSY_SCORING_JUDGE", "llm")
    monkeypatch.delenv("MOCKSY_SCORING_LLM_BASE_URL", raising=False)
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert "llm_base_url must be set when judge is 'llm'" in error
    assert "MOCKSY_SCORING_LLM_BASE_URL" in error

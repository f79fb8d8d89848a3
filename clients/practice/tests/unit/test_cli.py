"""The terminal side of ``mocksy practice``: typed lines and the command line."""

from __future__ import annotations

import io

import pytest

from mocksy_practice.cli import InputEnded, Terminal, awaits_answer, main, parser


async def test_piped_answers_are_read_one_at_a_time_and_echoed() -> None:
    out = io.StringIO()
    terminal = Terminal(io.StringIO("first answer\n\n  second answer  \n"), out)
    terminal.start()
    assert await terminal.read("You") == "first answer"
    assert await terminal.read("You") == "second answer"  # blank lines are skipped
    with pytest.raises(InputEnded):
        await terminal.read("You")
    with pytest.raises(InputEnded):  # and it stays ended
        await terminal.read("You")
    assert out.getvalue() == "You: first answer\nYou: second answer\n"


def test_service_urls_default_to_make_dev_and_take_flags() -> None:
    args = parser().parse_args(["practice", "--text", "--voice-url", "http://10.0.0.5:8003"])
    assert args.text
    assert args.voice_url == "http://10.0.0.5:8003"
    assert args.auth_url == "http://127.0.0.1:8001"


def test_a_non_positive_feedback_timeout_is_refused_with_its_limit() -> None:
    with pytest.raises(SystemExit, match="--feedback-timeout must be more than 0 seconds"):
        main(["practice", "--feedback-timeout", "0"])


def turn(speaker: str, kind: str) -> dict[str, str]:
    return {"speaker": speaker, "kind": kind, "text": "..."}


def test_the_candidate_answers_a_question_not_a_greeting_or_their_own_words() -> None:
    greeting = turn("interviewer", "greeting")
    question = turn("interviewer", "question")
    answer = turn("candidate", "answer")
    mhm = turn("interviewer", "backchannel")
    assert not awaits_answer({"turns": [greeting]})
    assert awaits_answer({"turns": [greeting, question]})
    assert awaits_answer({"turns": [greeting, question, mhm]})
    assert not awaits_answer({"turns": [greeting, question, answer]})
    assert awaits_answer({"turns": [question, answer, turn("interviewer", "follow_up")]})
    assert not awaits_answer({"turns": [question, answer, turn("interviewer", "acknowledgement")]})
    assert not awaits_answer({"turns": [question, answer, turn("interviewer", "closing")]})
    assert not awaits_answer({"turns": []})

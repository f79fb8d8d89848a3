"""The rubric end to end: gradability, partial interviews, evidence, naming and determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from common.events import CATEGORIES, Feedback
from scoring.domain.rubric import ENGINE, RubricScorer

FIXTURE = Path(__file__).parents[1] / "fixtures" / "mixed_session.json"


def _score(transcript) -> Feedback:  # type: ignore[no-untyped-def]
    return RubricScorer().score(transcript)


def test_well_answered_interview_gets_all_five_categories(kit) -> None:  # type: ignore[no-untyped-def]
    fb = _score(kit.answered().build())
    assert fb.gradable
    assert set(fb.categories) == set(CATEGORIES)
    assert fb.overall_score is not None
    assert fb.overall_score >= 60
    assert [q.question_id for q in fb.questions] == ["q-conflict", "q-index", "q-cache"]
    assert fb.scorer.engine == ENGINE
    for category in fb.categories.values():
        assert category.rationale
        assert category.evidence


def test_no_candidate_answers_is_not_gradable(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview().say("interviewer", "Hi there.", kind="greeting", gap_ms=0)
    b.ask(kit.conflict).say("interviewer", "Are you there?", kind="other")
    fb = _score(b.build())
    assert not fb.gradable
    assert fb.overall_score is None
    assert fb.categories == {}
    assert fb.questions == []
    assert "no candidate answers" in fb.warnings[0]


def test_a_handful_of_words_is_not_gradable(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview().ask(kit.conflict).answer(kit.conflict, "Yes, I think so.")
    fb = _score(b.build())
    assert not fb.gradable
    assert "only 4 words" in fb.warnings[0]


def test_failed_session_with_nothing_said_says_so(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview(outcome="failed").say("interviewer", "Hello?", kind="greeting", gap_ms=0)
    b.say("candidate", "hello can you hear me", kind="other")
    fb = _score(b.build())
    assert not fb.gradable
    assert "failed" in fb.warnings[0]


def test_backchannels_and_small_talk_are_not_answers(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview().ask(kit.conflict)
    b.say("candidate", "mhm " * 30, kind="backchannel", question_id="q-conflict")
    b.say("candidate", "Sorry, could you repeat the question please, the line is bad", kind="other")
    fb = _score(b.build())
    assert not fb.gradable


def test_ended_early_is_graded_on_what_was_answered(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview(outcome="ended_early")
    b.ask(kit.conflict).answer(kit.conflict, kit.strong_conflict)
    b.ask(kit.index).answer(kit.index, kit.strong_index)
    fb = _score(b.build())
    assert fb.gradable
    assert [q.question_id for q in fb.questions] == ["q-conflict", "q-index"]
    assert any("ended early" in w and "Q3 (caching)" in w for w in fb.warnings)
    complete = _score(kit.answered().build())
    # Not reaching the last question is not held against the answered ones.
    assert fb.questions[1].score == complete.questions[1].score


def test_question_skipped_in_a_completed_interview_scores_zero(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview()
    b.ask(kit.conflict).answer(kit.conflict, kit.strong_conflict)
    b.ask(kit.index).say("interviewer", "Let's move on.", kind="acknowledgement")
    b.ask(kit.cache).answer(kit.cache, kit.strong_cache)
    fb = _score(b.build())
    skipped = next(q for q in fb.questions if q.question_id == "q-index")
    assert skipped.score == 0
    assert any("Q2 (database indexing)" in w for w in fb.warnings)
    assert any(i.startswith("Q2 (database indexing)") for i in fb.improvements)


def test_answers_without_question_id_follow_the_last_question(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview(questions=[kit.index])
    b.ask(kit.index).say("candidate", kit.strong_index, kind="answer", question_id=None)
    fb = _score(b.build())
    assert fb.gradable
    assert fb.questions[0].covered_points


def test_turns_for_unknown_questions_are_ignored_with_a_warning(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.answered()
    b.say(
        "candidate", "Something about another question entirely.", kind="answer", question_id="q-x"
    )
    fb = _score(b.build())
    assert any("q-x" in w for w in fb.warnings)


def test_evidence_is_verbatim_from_the_candidate_only() -> None:
    from common.events import Transcript

    transcript = Transcript.model_validate(json.loads(FIXTURE.read_text()))
    fb = _score(transcript)
    candidate = [
        t.text for t in transcript.turns if t.speaker == "candidate" and t.kind == "answer"
    ]
    quotes = [q for c in fb.categories.values() for q in c.evidence]
    assert quotes
    for quote in quotes:
        assert any(quote in text for text in candidate), quote


def test_strengths_and_improvements_name_the_question_and_point() -> None:
    from common.events import Transcript

    fb = _score(Transcript.model_validate(json.loads(FIXTURE.read_text())))
    assert any(s.startswith("Q2 (database indexing)") for s in fb.strengths + fb.improvements)
    assert any(
        i.startswith("Q2 (database indexing)") and "column order matters" in i
        for i in fb.improvements
    )
    assert any(i.startswith("Q3 (caching)") for i in fb.improvements)
    assert "Q3 (caching)" in fb.final_assessment


def test_non_answers_score_low(kit) -> None:  # type: ignore[no-untyped-def]
    b = kit.interview()
    b.ask(kit.conflict).answer(
        kit.conflict, "Honestly I don't know, I can't remember a time like that."
    )
    b.ask(kit.index).answer(kit.index, "No idea, sorry, I have never used databases at all really.")
    b.ask(kit.cache).answer(kit.cache, "I don't know much about caching, I've never done it.")
    fb = _score(b.build())
    assert fb.gradable
    assert all(q.score <= 10 for q in fb.questions)
    assert fb.categories["technical_knowledge"].score <= 10
    assert fb.overall_score is not None
    assert fb.overall_score <= 30


def test_off_topic_answer_is_capped(kit) -> None:  # type: ignore[no-untyped-def]
    rambling = (
        "I really enjoy hiking and photography on weekends, and last summer I travelled around "
        "Portugal with friends, which was a great experience and taught me a lot about planning "
        "trips and budgets and finding good restaurants in small towns."
    )
    b = kit.interview(questions=[kit.index]).ask(kit.index).answer(kit.index, rambling)
    fb = _score(b.build())
    assert fb.questions[0].score <= 20
    assert "drifted" in fb.questions[0].summary


def test_injected_clock_and_id_are_used(kit) -> None:  # type: ignore[no-untyped-def]
    when = datetime(2030, 1, 1, tzinfo=UTC)
    scorer = RubricScorer(clock=lambda: when, new_id=lambda: "fb-42")
    fb = scorer.score(kit.answered().build())
    assert fb.feedback_id == "fb-42"
    assert fb.created_at == when


def test_default_id_and_time_come_from_the_session(kit) -> None:  # type: ignore[no-untyped-def]
    transcript = kit.answered().build()
    fb = _score(transcript)
    other = _score(kit.answered(session_id="sess-2").build())
    assert fb.created_at == transcript.ended_at
    assert fb.feedback_id != other.feedback_id


def test_same_transcript_gives_identical_feedback(kit) -> None:  # type: ignore[no-untyped-def]
    transcript = kit.answered().build()
    first = _score(transcript).model_dump_json()
    assert all(RubricScorer().score(transcript).model_dump_json() == first for _ in range(3))


def test_feedback_is_identical_across_processes_and_hash_seeds() -> None:
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-m", "scoring.cli", "score", str(FIXTURE)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_a_stated_result_covers_an_outcome_point_without_the_word(kit) -> None:  # type: ignore[no-untyped-def]
    from common.events import Question

    question = Question(
        question_id="q-story",
        text="Tell me about a project you are proud of.",
        kind="behavioral",
        topic="proud project",
        key_points=["shares the outcome"],
    )
    story = (
        "At my last job I was asked to speed up our release process. I wrote a deploy script "
        "and paired with ops to automate the checks. In the end we shipped every day instead "
        "of every two weeks."
    )
    b = kit.interview(questions=[question]).ask(question).answer(question, story)
    fb = _score(b.build())
    assert fb.questions[0].covered_points == ["shares the outcome"]


def test_a_story_in_its_own_words_is_not_called_off_topic(kit) -> None:  # type: ignore[no-untyped-def]
    story = (
        "At my last job a colleague wanted to switch our build tool and I preferred to keep "
        "the old one. I set up both on one service and we compared build times together, "
        "then picked the faster one."
    )
    b = kit.interview(questions=[kit.conflict]).ask(kit.conflict).answer(kit.conflict, story)
    fb = _score(b.build())
    assert "drifted" not in fb.questions[0].summary

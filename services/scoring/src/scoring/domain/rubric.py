"""The offline rubric: a transcript in, explainable feedback out, the same every time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from common.events import (
    Category,
    CategoryScore,
    Feedback,
    InterviewType,
    QuestionResult,
    ScorerInfo,
    Transcript,
)
from scoring.domain.answers import Answer, AnswerSheet, collect_answers
from scoring.domain.assessment import QuestionAssessment, RubricConfig, assess_answer
from scoring.domain.categories import CategoryScorer
from scoring.domain.commentary import final_assessment, improvements, question_result, strengths
from scoring.domain.coverage import KeyPointMatcher
from scoring.domain.evidence import QuoteBook
from scoring.domain.speech import SpeechProfile, measure_speech

ENGINE = "offline-rubric"
VERSION = "1.0.0"
# Feedback ids derived from the session are stable across re-runs of the same engine version.
FEEDBACK_NAMESPACE = uuid.UUID("6f1c1c3e-52a4-4c8e-9d0e-6d6f636b7379")

OVERALL_WEIGHTS: dict[InterviewType, dict[Category, float]] = {
    "technical": {
        "technical_knowledge": 0.35,
        "problem_solving": 0.25,
        "communication": 0.2,
        "cultural_fit": 0.1,
        "confidence": 0.1,
    },
    "behavioral": {
        "technical_knowledge": 0.15,
        "problem_solving": 0.2,
        "communication": 0.25,
        "cultural_fit": 0.25,
        "confidence": 0.15,
    },
    "mixed": {
        "technical_knowledge": 0.25,
        "problem_solving": 0.2,
        "communication": 0.2,
        "cultural_fit": 0.2,
        "confidence": 0.15,
    },
}


class RubricScorer:
    """Scores a transcript with key-point coverage, structure, speech metrics and penalties."""

    def __init__(
        self,
        config: RubricConfig | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        new_id: Callable[[], str] | None = None,
        matcher: KeyPointMatcher | None = None,
    ) -> None:
        self._config = config or RubricConfig()
        self._clock = clock
        self._new_id = new_id
        self._matcher = matcher or KeyPointMatcher()

    @property
    def info(self) -> ScorerInfo:
        """Which engine and version this scorer is."""
        return ScorerInfo(engine=ENGINE, version=VERSION)

    def score(self, transcript: Transcript) -> Feedback:
        """Feedback on a transcript; too thin a transcript gets ``gradable=False``."""
        sheet = collect_answers(transcript)
        warnings = list(sheet.warnings)
        answered = [a for a in sheet.answers if a.answered]
        total_words = sum(a.word_count for a in answered)
        reason = self._ungradable_reason(transcript, answered, total_words)
        if reason is not None:
            return self._feedback(transcript, gradable=False, warnings=[reason, *warnings])

        graded = self._graded_answers(transcript, sheet, answered, warnings)
        warnings.extend(self._stt_warnings(answered))
        assessments = [self.assess(a) for a in graded]
        speech = measure_speech(transcript, graded)
        book = QuoteBook(t.text for a in graded for t in a.turns)
        categories = CategoryScorer(assessments, speech, book).all()
        weights = OVERALL_WEIGHTS[transcript.interview.interview_type]
        overall = round(sum(weights[c] * categories[c].score for c in weights))
        return self._feedback(
            transcript,
            gradable=True,
            warnings=warnings,
            overall_score=overall,
            categories=categories,
            strengths=strengths(assessments, speech),
            improvements=improvements(assessments, speech),
            final_assessment=final_assessment(transcript, assessments, speech, categories, overall),
            questions=[question_result(a) for a in assessments],
            speech=speech,
        )

    def assess(self, answer: Answer) -> QuestionAssessment:
        """Coverage, structure, depth, penalties and a 0..100 score for one answer."""
        return assess_answer(answer, self._matcher, self._config)

    def _ungradable_reason(
        self, transcript: Transcript, answered: list[Answer], total_words: int
    ) -> str | None:
        failed = " The session failed" if transcript.outcome == "failed" else ""
        if not answered:
            why = "The transcript has no candidate answers, so there is nothing to grade."
            return why + (f"{failed} before the candidate said anything." if failed else "")
        if total_words < self._config.min_words:
            return (
                f"The candidate said only {total_words} words in answers; at least "
                f"{self._config.min_words} are needed to grade."
                + (f"{failed} early." if failed else "")
            )
        return None

    def _graded_answers(
        self,
        transcript: Transcript,
        sheet: AnswerSheet,
        answered: list[Answer],
        warnings: list[str],
    ) -> list[Answer]:
        unanswered = [a for a in sheet.answers if not a.answered]
        if not unanswered:
            return answered
        names = ", ".join(a.label for a in unanswered)
        if transcript.outcome == "completed":
            # A finished interview with a question left unanswered: that question scores zero.
            warnings.append(f"No answer was given to {names}; scored as not answered.")
            return list(sheet.answers)
        how = "ended early" if transcript.outcome == "ended_early" else "failed before it finished"
        warnings.append(
            f"The interview {how}; graded on the {len(answered)} answered question(s). "
            f"Not answered: {names}."
        )
        return answered

    def _stt_warnings(self, answered: list[Answer]) -> list[str]:
        turns = [t for a in answered for t in a.turns if t.stt_confidence is not None]
        low = [
            t
            for t in turns
            if t.stt_confidence is not None and t.stt_confidence < self._config.low_stt_confidence
        ]
        if turns and len(low) * 4 >= len(turns):
            return [
                f"{len(low)} of {len(turns)} answer turns had speech-recognition confidence below "
                f"{self._config.low_stt_confidence}; misheard words may lower the scores."
            ]
        return []

    def _feedback(
        self,
        transcript: Transcript,
        *,
        gradable: bool,
        warnings: list[str],
        overall_score: int | None = None,
        categories: dict[Category, CategoryScore] | None = None,
        strengths: list[str] | None = None,
        improvements: list[str] | None = None,
        final_assessment: str = "",
        questions: list[QuestionResult] | None = None,
        speech: SpeechProfile | None = None,
    ) -> Feedback:
        created_at = self._clock() if self._clock else transcript.ended_at
        feedback_id = (
            self._new_id()
            if self._new_id
            else str(uuid.uuid5(FEEDBACK_NAMESPACE, f"{transcript.session_id}/{ENGINE}/{VERSION}"))
        )
        return Feedback(
            feedback_id=feedback_id,
            session_id=transcript.session_id,
            interview_id=transcript.interview_id,
            user_id=transcript.user_id,
            created_at=created_at,
            gradable=gradable,
            warnings=warnings,
            overall_score=overall_score,
            categories=categories or {},
            strengths=strengths or [],
            improvements=improvements or [],
            final_assessment=final_assessment,
            questions=questions or [],
            speech=speech.metrics if speech else None,
            scorer=self.info,
        )

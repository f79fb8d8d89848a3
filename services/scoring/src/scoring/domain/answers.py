"""Which candidate turns answer which question."""

from __future__ import annotations

from dataclasses import dataclass

from common.events import Question, Transcript, Turn
from scoring.domain.language import Sentence, analyze_sentence, split_sentences, words

_QUESTION_KINDS = frozenset({"question", "follow_up"})


@dataclass(frozen=True)
class Answer:
    """Everything the candidate said in answer to one question, follow-up answers included."""

    question: Question
    number: int
    turns: tuple[Turn, ...]
    sentences: tuple[Sentence, ...]
    word_count: int

    @property
    def label(self) -> str:
        """How feedback names the question: "Q2 (database indexing)"."""
        return question_label(self.number, self.question)

    @property
    def text(self) -> str:
        """The answer's turns joined in order."""
        return " ".join(t.text.strip() for t in self.turns if t.text.strip())

    @property
    def answered(self) -> bool:
        """Whether the candidate said anything at all."""
        return self.word_count > 0


def question_label(number: int, question: Question) -> str:
    """ "Q{n} (topic)", falling back to the start of the question's text."""
    topic = question.topic.strip()
    if not topic:
        head = question.text.strip().split()
        topic = " ".join(head[:6]) + ("..." if len(head) > 6 else "")
    return f"Q{number} ({topic})"


def conversation(transcript: Transcript) -> list[Turn]:
    """The turns of the conversation in time order: back-channels are never part of it."""
    spoken = [t for t in transcript.turns if t.kind != "backchannel"]
    # Stable sort keeps the producer's order for turns that start at the same millisecond.
    return sorted(spoken, key=lambda t: t.start_ms)


@dataclass(frozen=True)
class AnswerSheet:
    """Answers per question in interview order, which questions were asked, and what was odd."""

    answers: tuple[Answer, ...]
    asked: frozenset[str]
    warnings: tuple[str, ...]


def collect_answers(transcript: Transcript) -> AnswerSheet:
    """Group answer turns by question; a turn without a question id joins the last one asked."""
    questions = transcript.interview.questions
    known = {q.question_id for q in questions}
    by_question: dict[str, list[Turn]] = {q.question_id: [] for q in questions}
    asked: set[str] = set()
    unknown: dict[str, None] = {}
    current: str | None = None
    for turn in conversation(transcript):
        if turn.speaker == "interviewer":
            if turn.question_id is not None and turn.question_id in known:
                current = turn.question_id
                if turn.kind in _QUESTION_KINDS:
                    asked.add(turn.question_id)
            continue
        if turn.kind != "answer":
            continue
        target = turn.question_id if turn.question_id is not None else current
        if target is None:
            continue
        if target not in known:
            unknown.setdefault(target, None)
            continue
        by_question[target].append(turn)
    answers = []
    for number, question in enumerate(questions, start=1):
        turns = tuple(by_question[question.question_id])
        sentences = tuple(analyze_sentence(s) for t in turns for s in split_sentences(t.text))
        answers.append(
            Answer(
                question=question,
                number=number,
                turns=turns,
                sentences=sentences,
                word_count=sum(len(words(t.text)) for t in turns),
            )
        )
    warnings = []
    if unknown:
        warnings.append(
            "Ignored candidate turns for question ids that are not in the interview: "
            + ", ".join(unknown)
        )
    return AnswerSheet(answers=tuple(answers), asked=frozenset(asked), warnings=tuple(warnings))

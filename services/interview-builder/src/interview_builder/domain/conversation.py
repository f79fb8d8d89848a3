"""The setup chat: fills the interview slots one question at a time, then confirms a summary.

Required slots are role, level and interview type, plus the tech stack for technical and mixed
interviews (the candidate may answer "no preference", which settles it as empty). The question
count is never asked for: when the candidate does not name one, the summary proposes
`DEFAULT_QUESTION_COUNT` (raised, when needed, so every technology gets a technical question),
and saying a number changes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.events.models import MAX_QUESTIONS
from common.vocabulary import InterviewType, Level, Role
from interview_builder.domain.setup_parser import SetupParser
from interview_builder.domain.slots import (
    DEFAULT_QUESTION_COUNT,
    MAX_TECHNOLOGIES,
    MIN_QUESTIONS,
    SetupSlots,
    SlotExtractor,
    SlotName,
    SlotProblem,
    SlotUpdate,
    question_split,
    smallest_count_covering,
)

Stage = Literal["collecting", "confirming", "confirmed"]
Asking = SlotName | Literal["confirmation"]


class SetupError(ValueError):
    """The setup cannot become an interview as it stands."""


class SetupIncompleteError(SetupError):
    """Required slots are still empty."""

    def __init__(self, missing: Sequence[SlotName]) -> None:
        self.missing = list(missing)
        super().__init__(f"the interview setup is not complete: missing {', '.join(missing)}")


class SetupDraft(BaseModel):
    """The slots as filled so far; None means not said yet."""

    model_config = ConfigDict(frozen=True)

    role: Role | None = None
    interview_type: InterviewType | None = None
    level: Level | None = None
    question_count: int | None = None
    tech_stack: list[str] = Field(default_factory=list)
    tech_stack_settled: bool = Field(
        default=False,
        description="The candidate named technologies or said they have no preference.",
    )


class SetupReply(BaseModel):
    """What the assistant says back after one candidate message."""

    model_config = ConfigDict(frozen=True)

    text: str
    slots: SetupDraft
    missing: list[SlotName]
    asking: Asking | None = Field(description="What the reply asks the candidate for.")
    proposed_question_count: int = Field(
        description="The question count the interview gets if the candidate names none."
    )
    problems: list[SlotProblem] = Field(default_factory=list)
    done: bool = Field(default=False, description="The candidate accepted the summary.")


class SetupState(BaseModel):
    """Everything a setup chat remembers between messages, so a service can store it."""

    model_config = ConfigDict(frozen=True)

    draft: SetupDraft = Field(default_factory=SetupDraft)
    stage: Stage = "collecting"
    asking: Asking | None = None
    turn: int = Field(default=0, ge=0)


_ASK: Final[dict[SlotName, tuple[str, ...]]] = {
    "role": (
        "What role are you preparing for: frontend, backend or fullstack?",
        "Which role is the interview for — frontend, backend or fullstack?",
    ),
    "level": (
        "What level is the job: junior, mid or senior?",
        "And what seniority should I pitch it at — junior, mid or senior?",
    ),
    "interview_type": (
        "What kind of interview would you like: behavioral (teamwork, conflict, ownership), "
        "technical (your stack), or a mix of both?",
        "Should it be behavioral, technical, or a mix of the two?",
    ),
    "tech_stack": (
        "Which technologies should the technical questions cover? For example python, react, "
        "kafka or system design — or say 'no preference'.",
        "What's your tech stack? Name a few, like typescript and node, or java and spring — "
        "or say 'no preference' for general questions.",
    ),
    "question_count": (
        f"How many questions would you like, from {MIN_QUESTIONS} to {MAX_QUESTIONS}?",
        f"How many questions should I prepare? Anything from {MIN_QUESTIONS} to "
        f"{MAX_QUESTIONS} works.",
    ),
}
_ACKNOWLEDGE: Final = ("Got it", "Great", "Okay", "Noted", "Sounds good")
_NOT_UNDERSTOOD: Final = (
    "Sorry, I didn't catch that.",
    "Hmm, I'm not sure I followed.",
    "I didn't quite get that.",
)
_SHALL_I: Final = ("Shall I create it?", "Shall I go ahead and create it?", "Ready to create it?")
_GREETING: Final = (
    "Hi, I'm Mocksy! Let's set up your practice interview. You can tell me everything at once "
    "— like 'senior backend, technical, 6 questions on Python and Kafka' — or we can go step "
    "by step. "
)
_WHAT_TO_CHANGE: Final = (
    "No problem — what would you like to change? You can change the role, the level, the "
    "type, the number of questions or the technologies."
)
_EXAMPLE_TECH: Final = "python, go, react or kafka"


def _listing(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


class SetupConversation:
    """One candidate's setup chat, from greeting to confirmed slots."""

    def __init__(
        self, extractor: SlotExtractor | None = None, state: SetupState | None = None
    ) -> None:
        state = state or SetupState()
        self._extractor: SlotExtractor = extractor or SetupParser()
        self._draft = state.draft
        self._stage: Stage = state.stage
        self._asking: Asking | None = state.asking
        self._turn = state.turn

    @property
    def state(self) -> SetupState:
        """A snapshot to store; `SetupConversation(state=...)` carries on from it."""
        return SetupState(
            draft=self._draft, stage=self._stage, asking=self._asking, turn=self._turn
        )

    @property
    def draft(self) -> SetupDraft:
        """The slots as filled so far."""
        return self._draft

    @property
    def missing(self) -> list[SlotName]:
        """Required slots still empty, in the order the conversation asks for them."""
        draft = self._draft
        missing: list[SlotName] = []
        if draft.role is None:
            missing.append("role")
        if draft.level is None:
            missing.append("level")
        if draft.interview_type is None:
            missing.append("interview_type")
        if draft.interview_type != "behavioral" and not draft.tech_stack_settled:
            missing.append("tech_stack")
        return missing

    @property
    def proposed_question_count(self) -> int:
        """The count the interview gets: the candidate's, or the default raised to fit the stack."""
        if self._draft.question_count is not None:
            return self._draft.question_count
        needed = smallest_count_covering(
            self._draft.interview_type or "technical", len(self._draft.tech_stack)
        )
        return min(MAX_QUESTIONS, max(DEFAULT_QUESTION_COUNT, needed))

    def start(self) -> SetupReply:
        """Greet the candidate and ask for the first slot."""
        self._asking = self.missing[0]
        return self._reply(_GREETING + _ASK[self._asking][0], [])

    def handle(self, text: str) -> SetupReply:
        """Apply one candidate message and say what comes next."""
        self._turn += 1
        expecting: SlotName | None = None
        if self._asking is not None and self._asking != "confirmation":
            expecting = self._asking
        update = self._extractor.parse(text, expecting=expecting)
        changes, notes = self._apply(update)
        fitting = self._feasibility_problem()
        if (
            not changes
            and update.confirmation is True
            and self._asking == "question_count"
            and fitting is not None
            and fitting.suggestions
        ):
            # "Yes" to "shall I make it 7 questions?"
            changes, notes = self._apply(SlotUpdate(question_count=int(fitting.suggestions[0])))
        problems = list(update.problems) + self._stack_problems()
        problem_text = " ".join([*notes, *(self._describe(p) for p in update.problems)])

        if changes:
            return self._after_change(changes, problem_text, problems)
        if self._stage in {"confirming", "confirmed"} and not update.problems:
            if update.confirmation is True and not problems:
                self._stage = "confirmed"
                self._asking = None
                return self._reply(self._closing(), problems, done=True)
            if update.confirmation is False:
                self._stage = "confirming"
                self._asking = "confirmation"
                return self._reply(_WHAT_TO_CHANGE, problems)
        lead = problem_text or self._pick(_NOT_UNDERSTOOD)
        return self._reply(f"{lead} {self._next_prompt()}", problems)

    def confirm(self) -> SetupSlots:
        """The final, validated slots; raises `SetupError` naming what is missing or wrong."""
        draft = self._draft
        if self.missing or draft.role is None or draft.level is None or not draft.interview_type:
            raise SetupIncompleteError(self.missing)
        problem = self._feasibility_problem()
        if problem is not None:
            raise SetupError(problem.message)
        return SetupSlots(
            role=draft.role,
            interview_type=draft.interview_type,
            level=draft.level,
            question_count=self.proposed_question_count,
            tech_stack=list(draft.tech_stack),
        )

    # -- applying an update ---------------------------------------------------------------

    def _apply(self, update: SlotUpdate) -> tuple[list[str], list[str]]:
        """Change the draft; return what changed (as phrases) and side notes for the reply."""
        draft = self._draft
        changes: list[str] = []
        notes: list[str] = []
        values: dict[str, object] = {}
        if update.role is not None and update.role != draft.role:
            values["role"] = update.role
            changes.append(f"{update.role} role")
        if update.level is not None and update.level != draft.level:
            values["level"] = update.level
            changes.append(f"{update.level} level")
        if update.interview_type is not None and update.interview_type != draft.interview_type:
            values["interview_type"] = update.interview_type
            changes.append(f"a {update.interview_type} interview")
        if update.question_count is not None and update.question_count != draft.question_count:
            values["question_count"] = update.question_count
            changes.append(f"{update.question_count} questions")

        before = list(draft.tech_stack)
        stack = [] if update.replace_stack else list(before)
        for name in update.tech_stack or []:
            if name not in stack:
                stack.append(name)
        stack = [name for name in stack if name not in update.tech_removed]
        if len(stack) > MAX_TECHNOLOGIES:
            notes.append(
                f"I can cover at most {MAX_TECHNOLOGIES} technologies, so I kept the first ones."
            )
            stack = stack[:MAX_TECHNOLOGIES]
        added = [name for name in stack if name not in before]
        dropped = [name for name in before if name not in stack]
        absent = [name for name in update.tech_removed if name not in before]
        if added:
            changes.append(f"covering {_listing(added)}")
        if dropped:
            changes.append(f"dropping {_listing(dropped)}")
        if absent:
            notes.append(f"{_listing(absent)} wasn't on the list anyway.")
        settles = update.tech_stack is not None or bool(update.tech_removed)
        if settles and not draft.tech_stack_settled and not stack and not dropped:
            changes.append("no particular technology")
        if stack != before or (settles and not draft.tech_stack_settled):
            values["tech_stack"] = stack
            values["tech_stack_settled"] = draft.tech_stack_settled or settles

        if values:
            self._draft = draft.model_copy(update=values)
        return changes, notes

    def _after_change(
        self, changes: list[str], problem_text: str, problems: list[SlotProblem]
    ) -> SetupReply:
        acknowledgement = f"{self._pick(_ACKNOWLEDGE)} — {', '.join(changes)}."
        if problem_text:
            acknowledgement = f"{acknowledgement} {problem_text}"
        if self.missing:
            self._stage = "collecting"
            return self._reply(f"{acknowledgement} {self._next_prompt()}", problems)
        if self._stage == "collecting" and not problem_text:
            # The first summary already repeats everything, so a list of changes adds nothing.
            acknowledgement = f"{self._pick(_ACKNOWLEDGE)}."
        self._stage = "confirming"
        return self._reply(f"{acknowledgement} {self._next_prompt()}", problems)

    # -- what to say ----------------------------------------------------------------------

    def _next_prompt(self) -> str:
        missing = self.missing
        if missing:
            self._asking = missing[0]
            return self._pick(_ASK[missing[0]])
        feasibility = self._feasibility_problem()
        if feasibility is not None:
            self._asking = "question_count"
            return self._explain_too_few(feasibility)
        self._stage = "confirming" if self._stage == "collecting" else self._stage
        self._asking = "confirmation"
        return f"{self.summary()} {self._pick(_SHALL_I)}"

    def summary(self) -> str:
        """One sentence describing the interview the draft would become."""
        draft = self._draft
        count = self.proposed_question_count
        kind = draft.interview_type or "technical"
        sentence = f"A {draft.level} {draft.role} {kind} interview, {count} questions"
        if kind == "mixed":
            behavioral, technical = question_split(kind, count)
            sentence += f" ({behavioral} behavioral, {technical} technical)"
        if kind != "behavioral":
            if draft.tech_stack:
                sentence += f" on {_listing(draft.tech_stack)}"
            else:
                sentence += " on general topics with no particular technology"
        sentence += "."
        if draft.question_count is None:
            why = (
                "That's the default count"
                if count == DEFAULT_QUESTION_COUNT
                else f"I picked {count} so every technology gets a question"
            )
            sentence += (
                f" {why} — say a number from {MIN_QUESTIONS} to {MAX_QUESTIONS} to change it."
            )
        return sentence

    def _closing(self) -> str:
        return f"{self._pick(('Great', 'Perfect', 'Wonderful'))} — creating your interview now."

    def _describe(self, problem: SlotProblem) -> str:
        if problem.slot == "question_count":
            return (
                f"I can do between {MIN_QUESTIONS} and {MAX_QUESTIONS} questions, "
                f"so {problem.value} won't work."
            )
        if problem.suggestions:
            return (
                f"I don't have questions on {problem.value} yet — did you mean "
                f"{' or '.join(problem.suggestions)}?"
            )
        return (
            f"I don't have questions on {problem.value} yet — I can cover things like "
            f"{_EXAMPLE_TECH}."
        )

    def _feasibility_problem(self) -> SlotProblem | None:
        """A problem when the count leaves some technology without a technical question."""
        draft = self._draft
        if draft.interview_type is None or draft.interview_type == "behavioral":
            return None
        technologies = len(draft.tech_stack)
        needed = smallest_count_covering(draft.interview_type, technologies)
        count = self.proposed_question_count
        if count >= needed:
            return None
        limit = (
            f"question_count must be at least {needed} for a {draft.interview_type} interview "
            f"on {technologies} technologies (one technical question each)"
        )
        if needed > MAX_QUESTIONS:
            limit = (
                f"tech_stack has {technologies} technologies, more than a {draft.interview_type} "
                f"interview of at most {MAX_QUESTIONS} questions can cover"
            )
        return SlotProblem(
            slot="question_count" if needed <= MAX_QUESTIONS else "tech_stack",
            value=str(count),
            message=limit,
            suggestions=[str(needed)] if needed <= MAX_QUESTIONS else [],
        )

    def _explain_too_few(self, problem: SlotProblem) -> str:
        draft = self._draft
        count = self.proposed_question_count
        _, technical = question_split(draft.interview_type or "technical", count)
        technologies = len(draft.tech_stack)
        plural = "question" if technical == 1 else "questions"
        situation = (
            f"With {count} questions, a {draft.interview_type} interview has {technical} "
            f"technical {plural}, but you picked {technologies} technologies."
        )
        if not problem.suggestions:
            return f"{situation} Please drop a few technologies."
        return (
            f"{situation} Shall I make it {problem.suggestions[0]} questions, "
            "or would you rather drop a technology?"
        )

    def _stack_problems(self) -> list[SlotProblem]:
        problem = self._feasibility_problem() if not self.missing else None
        return [problem] if problem is not None else []

    def _pick(self, options: Sequence[str]) -> str:
        # Varied but reproducible: the same conversation always gets the same wording.
        return options[self._turn % len(options)]

    def _reply(self, text: str, problems: list[SlotProblem], *, done: bool = False) -> SetupReply:
        return SetupReply(
            text=text,
            slots=self._draft,
            missing=self.missing,
            asking=self._asking,
            proposed_question_count=self.proposed_question_count,
            problems=problems,
            done=done,
        )

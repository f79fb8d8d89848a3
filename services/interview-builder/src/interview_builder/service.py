"""Interview-builder use cases: setup chats, creating interviews, listing, retakes, deletion."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from common.events import (
    Interview,
    InterviewCreated,
    InterviewType,
    Level,
    Question,
    Role,
    Source,
    new_correlation_id,
)
from common.events.models import MAX_QUESTIONS
from common.observability import correlation_id_var
from common.pagination import Cursor, PageRequest
from interview_builder.domain.conversation import (
    SetupConversation,
    SetupError,
    SetupIncompleteError,
    SetupReply,
)
from interview_builder.domain.generation import GenerationError
from interview_builder.domain.slots import (
    DEFAULT_QUESTION_COUNT,
    SetupSlots,
    SlotExtractor,
    SlotName,
    smallest_count_covering,
)
from interview_builder.metrics import BuilderMetrics
from interview_builder.repository import (
    InterviewFilter,
    InterviewRepository,
    RecentInterview,
    SetupRecord,
    SetupRepository,
)

logger = logging.getLogger("mocksy.builder")

Clock = Callable[[], datetime]
InputSource = Literal["body", "query", "setup"]


def utc_now() -> datetime:
    """The current time, cut to milliseconds as BSON stores it (so reads equal writes)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class QuestionSource(Protocol):
    """Picks or writes an interview's questions: the bank's `InterviewGenerator`, or an LLM."""

    def generate(
        self, slots: SetupSlots, seed: int, exclude_question_ids: Sequence[str] = ()
    ) -> list[Question]: ...


class NotFound(Exception):
    """No such interview or setup chat for this user (someone else's is not theirs)."""


class Conflict(Exception):
    """The request clashes with the current state of the resource."""


class InvalidInput(Exception):
    """A value cannot be used; `field` names it, the message gives the limit or the options."""

    def __init__(
        self,
        field: str,
        message: str,
        *,
        suggestions: Sequence[str] = (),
        source: InputSource = "body",
    ) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.suggestions = list(suggestions)
        self.source = source


class SetupIncomplete(Exception):
    """A setup chat was confirmed before every required slot was filled."""

    def __init__(self, missing: Sequence[SlotName]) -> None:
        self.missing = list(missing)
        super().__init__(f"the setup is not complete: still missing {', '.join(self.missing)}")


@dataclass(frozen=True)
class InterviewRequest:
    """What a client asks for when creating an interview directly."""

    role: Role
    interview_type: InterviewType
    level: Level
    tech_stack: list[str]
    question_count: int | None = None


@dataclass(frozen=True)
class RetakeRequest:
    """A retake: the same questions, or new ones with optional changes to the setup."""

    questions: Literal["same", "new"] = "same"
    role: Role | None = None
    interview_type: InterviewType | None = None
    level: Level | None = None
    tech_stack: list[str] | None = None
    question_count: int | None = None

    def overrides(self) -> list[str]:
        """The setup fields this retake changes."""
        fields = ("role", "interview_type", "level", "tech_stack", "question_count")
        return [name for name in fields if getattr(self, name) is not None]


@dataclass(frozen=True)
class Page:
    """One page of interviews and the cursor of the next, None on the last page."""

    items: list[Interview]
    next_cursor: str | None


@dataclass(frozen=True)
class SetupTurn:
    """A setup chat after one step: its id and what the assistant replied."""

    setup_id: str
    reply: SetupReply


def fitting_count(interview_type: InterviewType, technologies: int) -> int:
    """The count an interview gets when none is asked for: the default, raised to fit the stack."""
    needed = smallest_count_covering(interview_type, technologies)
    return max(DEFAULT_QUESTION_COUNT, needed)


def _seed(interview_id: str) -> int:
    # Each interview draws its own questions, and the same id always draws the same ones.
    return uuid.uuid5(uuid.NAMESPACE_URL, interview_id).int % 2**32


class Interviews:
    """Creating, reading, retaking and deleting a user's interviews."""

    def __init__(
        self,
        repository: InterviewRepository,
        questions: QuestionSource,
        *,
        recent_interviews: int = 3,
        metrics: BuilderMetrics | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._repository = repository
        self._questions = questions
        self._recent = recent_interviews
        self._metrics = metrics
        self._clock = clock

    async def create(self, user_id: str, request: InterviewRequest) -> Interview:
        """A new interview from an explicit setup (`source` api)."""
        count = request.question_count
        if count is None:
            count = fitting_count(request.interview_type, len(request.tech_stack))
            if count > MAX_QUESTIONS:
                raise InvalidInput(
                    "tech_stack",
                    f"tech_stack has {len(request.tech_stack)} technologies, more than a "
                    f"{request.interview_type} interview of at most {MAX_QUESTIONS} questions "
                    "can cover",
                )
        slots = SetupSlots(
            role=request.role,
            interview_type=request.interview_type,
            level=request.level,
            question_count=count,
            tech_stack=request.tech_stack,
        )
        interview, _ = await self.build(user_id, slots, source="api")
        return interview

    async def build(
        self,
        user_id: str,
        slots: SetupSlots,
        *,
        source: Source,
        interview_id: str | None = None,
        parent: Interview | None = None,
        questions: list[Question] | None = None,
    ) -> tuple[Interview, bool]:
        """Store an interview for `slots` and announce it; (interview, False) if the id exists.

        Questions are drawn from the bank avoiding the user's recent interviews (and the
        parent's, for a retake) unless `questions` are given.
        """
        interview_id = interview_id or uuid.uuid4().hex
        recent = await self._repository.recent(user_id) if self._recent else []
        if questions is None:
            asked = [question_id for item in recent for question_id in item.question_ids]
            if parent is not None:
                asked = [q.question_id for q in parent.questions] + asked
            questions = await self._draw(slots, interview_id, asked)
        interview = Interview(
            id=interview_id,
            user_id=user_id,
            role=slots.role,
            interview_type=slots.interview_type,
            level=slots.level,
            tech_stack=slots.tech_stack,
            questions=questions,
            created_at=self._clock(),
            source=source,
            parent_interview_id=parent.id if parent is not None else None,
        )
        event = InterviewCreated(
            data=interview, correlation_id=correlation_id_var.get() or new_correlation_id()
        )
        if not await self._repository.add(interview, event):
            existing = await self._repository.get(user_id, interview_id)
            if existing is None:
                raise Conflict(f"interview {interview_id} was deleted")
            return existing, False
        if self._recent:
            await self._remember(user_id, interview, recent)
        if self._metrics is not None:
            self._metrics.interviews_created.labels(source).inc()
        logger.info("created interview %s (%s, %d questions)", interview.id, source, len(questions))
        return interview, True

    async def get(self, user_id: str, interview_id: str) -> Interview:
        """The user's interview; `NotFound` for anyone else's or a deleted one."""
        interview = await self._repository.get(user_id, interview_id)
        if interview is None:
            raise NotFound(f"interview {interview_id} not found")
        return interview

    async def listing(self, user_id: str, filters: InterviewFilter, page: PageRequest) -> Page:
        """The user's interviews, newest first."""
        found = await self._repository.page(user_id, filters, page)
        items = found[: page.limit]
        next_cursor = None
        if len(found) > page.limit:
            last = items[-1]
            next_cursor = Cursor(at=last.created_at, id=last.id).encode()
        return Page(items=items, next_cursor=next_cursor)

    async def retake(self, user_id: str, interview_id: str, request: RetakeRequest) -> Interview:
        """A new interview from one of the user's: the same questions, or fresh ones."""
        parent = await self.get(user_id, interview_id)
        if request.questions == "same":
            if request.overrides():
                raise InvalidInput(
                    "questions",
                    f"changing {', '.join(request.overrides())} needs questions='new'; "
                    "'same' repeats the interview exactly",
                )
            slots = SetupSlots(
                role=parent.role,
                interview_type=parent.interview_type,
                level=parent.level,
                question_count=len(parent.questions),
                tech_stack=parent.tech_stack,
            )
            interview, _ = await self.build(
                user_id, slots, source="retake", parent=parent, questions=list(parent.questions)
            )
            return interview
        interview_type = request.interview_type or parent.interview_type
        stack = parent.tech_stack if request.tech_stack is None else request.tech_stack
        count = request.question_count
        if count is None:
            count = min(
                MAX_QUESTIONS,
                max(len(parent.questions), smallest_count_covering(interview_type, len(stack))),
            )
        slots = SetupSlots(
            role=request.role or parent.role,
            interview_type=interview_type,
            level=request.level or parent.level,
            question_count=count,
            tech_stack=stack,
        )
        interview, _ = await self.build(user_id, slots, source="retake", parent=parent)
        return interview

    async def delete(self, user_id: str, interview_id: str) -> None:
        """Hide the interview from the user's lists and reads."""
        if not await self._repository.delete(user_id, interview_id, self._clock()):
            raise NotFound(f"interview {interview_id} not found")

    async def _remember(
        self, user_id: str, interview: Interview, recent: list[RecentInterview]
    ) -> None:
        latest = RecentInterview(
            interview_id=interview.id, question_ids=[q.question_id for q in interview.questions]
        )
        # Read-modify-write without a lock: two interviews created at the same instant may
        # leave one out, which only makes a later interview a little less fresh.
        try:
            await self._repository.remember_recent(user_id, [latest, *recent][: self._recent])
        except Exception as error:  # the interview and its event are stored; this is a hint
            logger.warning("could not remember the questions of %s: %r", interview.id, error)

    async def _draw(
        self, slots: SetupSlots, interview_id: str, recent: list[str]
    ) -> list[Question]:
        _, technical = slots.split
        technologies = len(slots.tech_stack)
        if 0 < technical < technologies:
            needed = smallest_count_covering(slots.interview_type, technologies)
            if needed > MAX_QUESTIONS:
                raise InvalidInput(
                    "tech_stack",
                    f"tech_stack has {technologies} technologies, more than a "
                    f"{slots.interview_type} interview of at most {MAX_QUESTIONS} questions "
                    "can cover (one technical question each)",
                )
            raise InvalidInput(
                "question_count",
                f"question_count must be at least {needed} for a {slots.interview_type} "
                f"interview on {technologies} technologies (one technical question each)",
                suggestions=[str(needed)],
            )
        try:
            # In a worker thread: an LLM question writer blocks on HTTP.
            return await asyncio.to_thread(
                self._questions.generate, slots, _seed(interview_id), recent
            )
        except GenerationError as error:
            raise InvalidInput("question_count", str(error)) from error


class SetupChats:
    """Setup chats stored between messages: start, message, confirm."""

    def __init__(
        self,
        setups: SetupRepository,
        interviews: Interviews,
        extractor: SlotExtractor,
        *,
        ttl: timedelta = timedelta(hours=1),
        max_messages: int = 50,
        metrics: BuilderMetrics | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._setups = setups
        self._interviews = interviews
        self._extractor = extractor
        self._ttl = ttl
        self._max_messages = max_messages
        self._metrics = metrics
        self._clock = clock

    async def start(self, user_id: str, text: str | None = None) -> SetupTurn:
        """A new chat: the greeting, or the reply to `text` when the first message comes along."""
        conversation = SetupConversation(self._extractor)
        reply = conversation.start()
        if text is not None:
            reply = await self._handle(conversation, text)
        now = self._clock()
        record = SetupRecord(
            setup_id=uuid.uuid4().hex,
            user_id=user_id,
            state=conversation.state,
            interview_id=uuid.uuid4().hex,
            created_at=now,
            updated_at=now,
        )
        await self._setups.add(record)
        return SetupTurn(setup_id=record.setup_id, reply=reply)

    async def message(self, user_id: str, setup_id: str, text: str) -> SetupTurn:
        """Apply one candidate message and return the assistant's next reply."""
        record = await self._load(user_id, setup_id)
        if record.confirmed:
            raise Conflict(
                f"setup {setup_id} already created interview {record.interview_id}; "
                "start a new setup to create another"
            )
        if record.state.turn >= self._max_messages:
            raise Conflict(
                f"setup {setup_id} reached its limit of {self._max_messages} messages; "
                "start a new setup"
            )
        conversation = SetupConversation(self._extractor, state=record.state)
        reply = await self._handle(conversation, text)
        saved = await self._setups.save_state(
            record.model_copy(update={"state": conversation.state, "updated_at": self._clock()}),
            previous_turn=record.state.turn,
        )
        if not saved:
            raise Conflict(
                f"another message changed setup {setup_id} at the same time; send yours again"
            )
        return SetupTurn(setup_id=setup_id, reply=reply)

    async def confirm(self, user_id: str, setup_id: str) -> tuple[Interview, bool]:
        """Create the chat's interview (once: confirming again returns the same one)."""
        record = await self._load(user_id, setup_id)
        if record.confirmed:
            try:
                return await self._interviews.get(user_id, record.interview_id), False
            except NotFound:
                raise Conflict(
                    f"setup {setup_id} created interview {record.interview_id}, which has since "
                    "been deleted; start a new setup"
                ) from None
        conversation = SetupConversation(self._extractor, state=record.state)
        try:
            slots = conversation.confirm()
        except SetupIncompleteError as error:
            raise SetupIncomplete(error.missing) from error
        except SetupError as error:
            field = "tech_stack" if str(error).startswith("tech_stack") else "question_count"
            raise InvalidInput(field, str(error), source="setup") from error
        interview, created = await self._interviews.build(
            user_id, slots, source="setup_chat", interview_id=record.interview_id
        )
        await self._setups.mark_confirmed(user_id, setup_id, self._clock())
        return interview, created

    async def forget_expired(self) -> int:
        """Delete chats nobody touched within the time-to-live; returns how many."""
        return await self._setups.forget_untouched_since(self._clock() - self._ttl)

    async def _load(self, user_id: str, setup_id: str) -> SetupRecord:
        record = await self._setups.get(user_id, setup_id, touched_since=self._clock() - self._ttl)
        if record is None:
            raise NotFound(f"setup {setup_id} not found (setups expire after {self._ttl_text()})")
        return record

    async def _handle(self, conversation: SetupConversation, text: str) -> SetupReply:
        if self._metrics is not None:
            self._metrics.setup_messages.inc()
        # In a worker thread: an LLM-backed extractor blocks on HTTP for up to its timeout.
        return await asyncio.to_thread(conversation.handle, text)

    def _ttl_text(self) -> str:
        minutes = int(self._ttl.total_seconds() // 60)
        return f"{minutes} minutes" if minutes != 1 else "1 minute"

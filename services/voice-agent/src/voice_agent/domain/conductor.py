"""The interview's conversation policy: what the interviewer says next, and when.

The conductor is driven by events (the session starts, the candidate finished a turn, a
silence went on) and answers with the lines to speak. It never reads a clock or does I/O:
every time is an argument in milliseconds from the start of the session, so a run is fully
determined by the interview, the settings, the seed and the events.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from common.events import InterviewSpec, Outcome, Question, Style, Turn, TurnKind
from common.events.models import MAX_TURN_TEXT
from voice_agent.domain.intents import Intent, IntentClassifier
from voice_agent.domain.key_points import DEFAULT_MATCH_SHARE, KeyPointTracker
from voice_agent.domain.phrasing import (
    FollowUpPhraser,
    FollowUpReason,
    FollowUpRequest,
    InterviewerLines,
    RuleBasedPhraser,
    acceptable_phrasing,
)
from voice_agent.domain.tone import AnswerQuality, AnswerReading, InterviewerKind, ToneSelector
from voice_agent.domain.turn_taking import TurnDecision, TurnTakingPolicy

MAX_FOLLOW_UPS_LIMIT: Final = 5


class ConductorError(Exception):
    """The conductor was driven out of order (for example, a turn before ``start``)."""


class Phase(StrEnum):
    """Where the interview stands."""

    NOT_STARTED = "not_started"
    LISTENING = "listening"  # a question or follow-up is out; waiting for the candidate
    THINKING = "thinking"  # the candidate asked for time; waiting longer, same question
    FINISHED = "finished"


class QuestionStatus(StrEnum):
    """What became of one question."""

    PENDING = "pending"  # not asked yet
    ASKED = "asked"  # asked, nothing answered yet
    ANSWERED = "answered"
    SKIPPED = "skipped"
    UNANSWERED = "unanswered"  # moved on after "I don't know"


@dataclass(frozen=True)
class ConductorSettings:
    """Knobs of the conversation policy."""

    max_follow_ups: int = 2
    # An answer shorter than this (in words, all replies to the question together) gets a
    # follow-up even when it names every key point.
    short_answer_words: int = 15
    hint_on_dont_know: bool = True
    max_silence_prompts: int = 2
    key_point_share: float = DEFAULT_MATCH_SHARE
    # Used to estimate how long a line takes until the session reports the real timing.
    interviewer_words_per_minute: int = 160
    interviewer_name: str = "Mocksy"

    def __post_init__(self) -> None:
        if not 0 <= self.max_follow_ups <= MAX_FOLLOW_UPS_LIMIT:
            raise ValueError(
                f"max_follow_ups must be between 0 and {MAX_FOLLOW_UPS_LIMIT}, "
                f"got {self.max_follow_ups}"
            )
        if not 0 <= self.short_answer_words <= 500:
            raise ValueError(
                f"short_answer_words must be between 0 and 500, got {self.short_answer_words}"
            )
        if not 0 <= self.max_silence_prompts <= 10:
            raise ValueError(
                f"max_silence_prompts must be between 0 and 10, got {self.max_silence_prompts}"
            )
        if not 60 <= self.interviewer_words_per_minute <= 400:
            raise ValueError(
                "interviewer_words_per_minute must be between 60 and 400, "
                f"got {self.interviewer_words_per_minute}"
            )
        if not self.interviewer_name.strip():
            raise ValueError("interviewer_name must not be blank")


@dataclass(frozen=True)
class Utterance:
    """One line for the interviewer to speak, already recorded as ``turns[turn_index]``."""

    text: str
    kind: InterviewerKind
    style: Style
    question_id: str | None
    turn_index: int
    follow_up: FollowUpRequest | None = None  # what the policy asked for, to re-word it


@dataclass(frozen=True)
class QuestionProgress:
    """How far one question has got."""

    question_id: str
    status: QuestionStatus
    follow_ups_used: int
    covered_points: tuple[str, ...]
    missed_points: tuple[str, ...]


@dataclass
class _Prompt:
    """The last question or follow-up put to the candidate: what a repeat says again."""

    text: str
    kind: InterviewerKind
    request: FollowUpRequest | None = None
    delivered: bool = True


@dataclass
class _QuestionState:
    question: Question
    tracker: KeyPointTracker
    status: QuestionStatus = QuestionStatus.PENDING
    follow_ups_used: int = 0
    asked_about: set[str] = field(default_factory=set)
    used_prepared: set[str] = field(default_factory=set)
    probed_for_detail: bool = False
    hint_given: bool = False

    @property
    def has_answer(self) -> bool:
        return self.tracker.word_count > 0


class Conductor:
    """Runs one interview: greeting, each question with follow-ups, acknowledgements, closing.

    Events in, utterances out: ``start``, ``on_candidate_turn`` and ``on_silence`` return the
    lines to speak, each already appended to ``turns``. Back-channels are recorded with
    ``record_backchannel`` and never change the conversation. Equal seeds give equal runs;
    a resumed session must use the seed of the original one (derive it from the session id).
    """

    def __init__(
        self,
        spec: InterviewSpec,
        *,
        settings: ConductorSettings | None = None,
        seed: int = 0,
        phraser: FollowUpPhraser | None = None,
        classifier: IntentClassifier | None = None,
        tone: ToneSelector | None = None,
        turn_taking: TurnTakingPolicy | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings or ConductorSettings()
        self.seed = seed
        self._phraser: FollowUpPhraser = phraser or RuleBasedPhraser()
        self._fallback_phraser = RuleBasedPhraser()
        self._classifier = classifier or IntentClassifier()
        self._tone = tone or ToneSelector()
        self._turn_taking = turn_taking or TurnTakingPolicy(classifier=self._classifier)
        self._lines = InterviewerLines(interviewer_name=self.settings.interviewer_name)
        self._questions = [
            _QuestionState(q, KeyPointTracker(q.key_points, share=self.settings.key_point_share))
            for q in spec.questions
        ]
        self._turns: list[Turn] = []
        self._phase = Phase.NOT_STARTED
        self._index: int | None = None
        self._outcome: Outcome | None = None
        self._prompt: _Prompt | None = None
        self._waiting_words = ""  # what the candidate said that did not end their turn
        self._offered_repeat = False
        self._silence_prompts = 0
        self._closing_delivered = False
        self._interviewer_free_at = 0  # when the interviewer's last line ends
        # Wording rotates through equivalent lines from a seed-chosen start.
        self._line_counter = seed

    # --- state -----------------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        """Where the interview stands."""
        return self._phase

    @property
    def finished(self) -> bool:
        """Whether the closing line has been decided."""
        return self._phase is Phase.FINISHED

    @property
    def outcome(self) -> Outcome | None:
        """``completed`` or ``ended_early`` once finished; None before."""
        return self._outcome

    @property
    def question_index(self) -> int | None:
        """Index of the question under way; None before the start and after the end."""
        return None if self._phase in (Phase.NOT_STARTED, Phase.FINISHED) else self._index

    @property
    def question_id(self) -> str | None:
        """Id of the question under way; None before the start and after the end."""
        index = self.question_index
        return None if index is None else self._questions[index].question.question_id

    @property
    def follow_ups_used(self) -> int:
        """Follow-ups asked on the question under way."""
        index = self.question_index
        return 0 if index is None else self._questions[index].follow_ups_used

    @property
    def turns(self) -> tuple[Turn, ...]:
        """Every turn recorded so far, both speakers and back-channels, in order."""
        return tuple(self._turns)

    @property
    def progress(self) -> tuple[QuestionProgress, ...]:
        """Status and key-point coverage of every question."""
        return tuple(
            QuestionProgress(
                question_id=s.question.question_id,
                status=s.status,
                follow_ups_used=s.follow_ups_used,
                covered_points=s.tracker.covered,
                missed_points=s.tracker.missed,
            )
            for s in self._questions
        )

    # --- events ----------------------------------------------------------------------------

    def start(self, now_ms: int) -> list[Utterance]:
        """The candidate is in: greet them and ask the first question."""
        _check_ms("now_ms", now_ms)
        if self._phase is not Phase.NOT_STARTED:
            raise ConductorError("start() was already called; use rejoin() after a reconnect")
        greeting = self._say(now_ms, self._lines.greeting(self.spec), "greeting", "warm", None)
        return [greeting, self._ask(now_ms, 0)]

    def on_candidate_turn(
        self,
        text: str,
        start_ms: int,
        end_ms: int,
        stt_confidence: float | None = None,
    ) -> list[Utterance]:
        """The candidate finished speaking: record it and decide the reply (maybe none)."""
        _check_candidate_turn("text", text, start_ms, end_ms, stt_confidence)
        spoken = text.strip()
        if not spoken:
            return []  # speech-to-text produced nothing usable; nothing was said
        if self._phase is Phase.NOT_STARTED:
            raise ConductorError("start() must be called before the candidate's turns")
        if self._phase is Phase.FINISHED:
            self._hear(spoken, start_ms, end_ms, stt_confidence, "other", None)
            return []

        state = self._current
        qid = state.question.question_id
        intent = self._classifier.classify(spoken, offered_repeat=self._offered_repeat)
        self._offered_repeat = False
        self._silence_prompts = 0
        now = end_ms

        if intent is Intent.REPEAT:
            self._hear(spoken, start_ms, end_ms, stt_confidence, "other", qid)
            return [self._repeat(now)]
        if intent is Intent.THINK:
            # Asking for time keeps the floor with the candidate: no reply, no advance.
            self._hear(spoken, start_ms, end_ms, stt_confidence, "other", qid)
            self._phase = Phase.THINKING
            self._waiting_words = spoken
            return []

        self._phase = Phase.LISTENING
        self._waiting_words = ""
        if intent is Intent.END_INTERVIEW:
            self._hear(spoken, start_ms, end_ms, stt_confidence, "other", qid)
            return [self._finish(now)]
        if intent is Intent.FINISHED:
            self._hear(spoken, start_ms, end_ms, stt_confidence, "other", qid)
            if not state.has_answer and state.follow_ups_used == 0:
                return [self._finish(now)]
            return self._advance(now, self._assess(state))
        if intent is Intent.SKIP:
            self._hear(spoken, start_ms, end_ms, stt_confidence, "other", qid)
            if not state.has_answer:
                state.status = QuestionStatus.SKIPPED
            return self._advance(now, AnswerQuality.NONE, skipped=True)
        if intent is Intent.DONT_KNOW:
            self._hear(spoken, start_ms, end_ms, stt_confidence, "answer", qid)
            struggling = self._assess(state, dont_know=True)
            if self._hint_allowed(state):
                return [self._follow_up(now, state, FollowUpReason.HINT, struggling)]
            if not state.has_answer:
                state.status = QuestionStatus.UNANSWERED
            return self._advance(now, struggling)

        self._hear(spoken, start_ms, end_ms, stt_confidence, "answer", qid)
        state.tracker.add(spoken)
        state.status = QuestionStatus.ANSWERED
        if self._turn_taking.sounds_unfinished(spoken):
            # Only the think-time limit ends a turn that trails off mid-sentence: the
            # candidate is still thinking, so nudge them on rather than judge half an answer.
            text = self._lines.carry_on(self._next_variant())
            return [self._say(now, text, "other", self._tone.reassuring, qid)]
        quality = self._assess(state)
        reason = self._follow_up_reason(state)
        if reason is not None:
            return [self._follow_up(now, state, reason, quality)]
        return self._advance(now, quality)

    def end_now(
        self,
        open_words: str,
        start_ms: int,
        end_ms: int,
        stt_confidence: float | None = None,
    ) -> Turn | None:
        """The candidate ended the interview from the app (``ended_early``), no closing said.

        ``open_words`` are what they were saying when they did, heard but not yet a turn (an
        answer paused mid-sentence, say): they are kept as that question's answer, so
        feedback has them too. Returns that turn, or None when there were no words. After
        the end nothing changes the record: a second call returns None.
        """
        _check_candidate_turn("open_words", open_words, start_ms, end_ms, stt_confidence)
        if self._phase is Phase.FINISHED:
            return None
        spoken = open_words.strip()
        turn: Turn | None = None
        if spoken and self._phase in (Phase.LISTENING, Phase.THINKING):
            state = self._current
            self._hear(
                spoken, start_ms, end_ms, stt_confidence, "answer", state.question.question_id
            )
            state.tracker.add(spoken)
            state.status = QuestionStatus.ANSWERED
            turn = self._turns[-1]
        self._outcome = "ended_early"
        self._phase = Phase.FINISHED
        return turn

    def likely_reply(
        self, text: str, start_ms: int, end_ms: int, stt_confidence: float | None = None
    ) -> list[Utterance]:
        """What ``on_candidate_turn`` would answer if the turn ended now, changing nothing.

        The worker renders these lines while it is still deciding whether the candidate has
        finished, so the reply it commits to can start playing at once.
        """
        return copy.deepcopy(self).on_candidate_turn(text, start_ms, end_ms, stt_confidence)

    def lines_ahead(self) -> list[Utterance]:
        """The lines the next reply may open with, however the answer goes, changing nothing.

        An acknowledgement for each way the answer may go and then the next question (or the
        closing); a follow-up depends on the words, so ``likely_reply`` foresees those.
        """
        if self._phase not in (Phase.LISTENING, Phase.THINKING) or self._index is None:
            return []
        ahead: dict[tuple[str, Style], Utterance] = {}
        for quality in AnswerQuality:
            for line in copy.deepcopy(self)._advance(self._interviewer_free_at, quality):
                ahead.setdefault((line.text, line.style), line)
        return list(ahead.values())

    def on_silence(self, now_ms: int, silence_ms: int) -> list[Utterance]:
        """Nobody has spoken for ``silence_ms``: maybe a gentle prompt, never the next question."""
        _check_ms("now_ms", now_ms)
        _check_ms("silence_ms", silence_ms)
        if self._phase not in (Phase.LISTENING, Phase.THINKING):
            return []
        if self._silence_prompts >= self.settings.max_silence_prompts:
            return []
        # The interviewer's own lines are not silence, however the caller measured it.
        silence = min(silence_ms, max(0, now_ms - self._interviewer_free_at))
        decision = self._turn_taking.decide(silence, self._waiting_words)
        if decision is not TurnDecision.PROMPT:
            return []
        text = self._lines.silence_prompt(self._silence_prompts)
        self._silence_prompts += 1
        self._offered_repeat = True
        return [self._say(now_ms, text, "other", self._tone.reassuring, self._current_qid)]

    def rejoin(self, now_ms: int) -> list[Utterance]:
        """The candidate is back after a dropped connection: pick up where they left off."""
        _check_ms("now_ms", now_ms)
        if self._phase is Phase.NOT_STARTED:
            return self.start(now_ms)
        if self._phase is Phase.FINISHED:
            if self._closing_delivered or self._outcome is None:
                return []
            return [self._say_closing(now_ms, self._outcome)]
        self._phase = Phase.LISTENING
        self._waiting_words = ""
        self._silence_prompts = 0
        self._offered_repeat = False
        prompt = self._current_prompt
        qid = self._current_qid
        welcome = self._say(now_ms, self._lines.welcome_back(), "other", "warm", qid)
        if prompt.delivered:
            again = self._say(now_ms, prompt.text, "other", "neutral", qid)
        else:
            style = self._tone.style_for(prompt.kind)
            again = self._say(now_ms, prompt.text, prompt.kind, style, qid, prompt.request)
            prompt.delivered = True
        return [welcome, again]

    def record_backchannel(self, clip: str, start_ms: int, end_ms: int) -> Turn:
        """Log a back-channel clip that was played; it never counts as a conversation turn."""
        _check_ms("start_ms", start_ms)
        _check_ms("end_ms", end_ms)
        if end_ms < start_ms:
            raise ValueError(f"end_ms ({end_ms}) must not be before start_ms ({start_ms})")
        if not clip.strip():
            raise ValueError("clip must not be blank")
        turn = Turn(
            speaker="interviewer",
            text=clip,
            start_ms=start_ms,
            end_ms=end_ms,
            question_id=self._current_qid,
            kind="backchannel",
        )
        self._turns.append(turn)
        return turn

    def record_spoken(
        self,
        turn_index: int,
        start_ms: int,
        end_ms: int,
        *,
        interrupted: bool = False,
        text: str | None = None,
    ) -> Turn:
        """Replace an interviewer line's estimated timing with when it was really spoken.

        ``text`` records different wording that was actually spoken (an LLM's phrasing of a
        follow-up); repeats then say what the candidate heard.
        """
        _check_ms("start_ms", start_ms)
        _check_ms("end_ms", end_ms)
        if end_ms < start_ms:
            raise ValueError(f"end_ms ({end_ms}) must not be before start_ms ({start_ms})")
        if not 0 <= turn_index < len(self._turns):
            raise ValueError(f"turn_index must be between 0 and {len(self._turns) - 1}")
        turn = self._turns[turn_index]
        if turn.speaker != "interviewer":
            raise ValueError(
                f"turn_index {turn_index} is a candidate turn, not an interviewer line"
            )
        update: dict[str, object] = {
            "start_ms": start_ms,
            "end_ms": end_ms,
            "interrupted": interrupted,
        }
        if text is not None:
            line = " ".join(text.split())
            if not line or len(line) > MAX_TURN_TEXT:
                raise ValueError(f"text must be 1 to {MAX_TURN_TEXT} characters")
            update["text"] = line
        spoken = Turn.model_validate(turn.model_dump() | update)
        self._turns[turn_index] = spoken
        if self._prompt is not None and text is not None and self._prompt.text == turn.text:
            self._prompt.text = spoken.text
        if turn_index == self._last_interviewer_index():
            self._interviewer_free_at = spoken.end_ms
        return spoken

    # --- resuming --------------------------------------------------------------------------

    @classmethod
    def resume_from(
        cls,
        spec: InterviewSpec,
        turns: Sequence[Turn],
        *,
        settings: ConductorSettings | None = None,
        seed: int = 0,
        phraser: FollowUpPhraser | None = None,
        classifier: IntentClassifier | None = None,
        tone: ToneSelector | None = None,
        turn_taking: TurnTakingPolicy | None = None,
    ) -> Conductor:
        """Rebuild a conductor from the persisted turns of a session, ready for ``rejoin``.

        The policy is deterministic, so replaying the candidate's turns reproduces every
        decision; the persisted turns stay the transcript, whatever wording they carry.
        """

        def fresh() -> Conductor:
            return cls(
                spec,
                settings=settings,
                seed=seed,
                phraser=phraser,
                classifier=classifier,
                tone=tone,
                turn_taking=turn_taking,
            )

        known = {q.question_id for q in spec.questions}
        for i, turn in enumerate(turns):
            if turn.question_id is not None and turn.question_id not in known:
                raise ValueError(
                    f"turns[{i}].question_id {turn.question_id!r} is not a question of this "
                    "interview"
                )
        conductor = fresh()
        if not any(t.speaker == "interviewer" and t.kind != "backchannel" for t in turns):
            conductor._turns = list(turns)
            return conductor

        conductor.start(turns[0].start_ms)
        silence_prompts = {conductor._lines.silence_prompt(n) for n in range(10)}
        for turn in turns:
            if turn.speaker == "candidate":
                conductor.on_candidate_turn(
                    turn.text, turn.start_ms, turn.end_ms, turn.stt_confidence
                )
            elif turn.kind == "other" and turn.text in silence_prompts:
                # A prompt changes how a following "yes" is read (a request to repeat).
                conductor._offered_repeat = True
                conductor._silence_prompts += 1
        conductor._adopt(turns)
        return conductor

    def _adopt(self, persisted: Sequence[Turn]) -> None:
        """Take the persisted turns as the transcript and note what never reached the candidate."""
        replayed = [(t.kind, t.question_id) for t in self._turns if t.kind in _PROMPT_KINDS]
        stored = [(t.kind, t.question_id) for t in persisted if t.kind in _PROMPT_KINDS]
        if stored != replayed[: len(stored)]:
            at = next(
                i for i, pair in enumerate(stored) if i >= len(replayed) or pair != replayed[i]
            )
            expected = replayed[at] if at < len(replayed) else "nothing"
            raise ValueError(
                f"persisted turns do not follow this interview's policy: prompt {at} was "
                f"{stored[at]}, the replay expected {expected}; check the spec, settings and seed"
            )
        if self._prompt is not None:
            self._prompt.delivered = len(stored) == len(replayed)
            if self._prompt.delivered:
                # Keep the wording the candidate heard (an LLM may have phrased it).
                last = next(t for t in reversed(persisted) if t.kind in _PROMPT_KINDS)
                self._prompt.text = last.text
        self._closing_delivered = any(t.kind == "closing" for t in persisted)
        self._turns = list(persisted)
        interviewer_ends = [t.end_ms for t in persisted if t.speaker == "interviewer"]
        self._interviewer_free_at = max(interviewer_ends, default=0)
        self._silence_prompts = 0

    # --- policy ----------------------------------------------------------------------------

    @property
    def _current_index(self) -> int:
        if self._index is None:
            raise ConductorError("no question is under way")
        return self._index

    @property
    def _current(self) -> _QuestionState:
        return self._questions[self._current_index]

    @property
    def _current_prompt(self) -> _Prompt:
        if self._prompt is None:
            raise ConductorError("no question has been asked yet")
        return self._prompt

    @property
    def _current_qid(self) -> str | None:
        return None if self._index is None else self._questions[self._index].question.question_id

    def _assess(self, state: _QuestionState, *, dont_know: bool = False) -> AnswerQuality:
        tracker = state.tracker
        return self._tone.assess(
            AnswerReading(
                word_count=tracker.word_count,
                coverage=tracker.coverage,
                has_key_points=bool(tracker.key_points),
                filler_share=tracker.filler_share,
                dont_know=dont_know,
            )
        )

    def _hint_allowed(self, state: _QuestionState) -> bool:
        return (
            self.settings.hint_on_dont_know
            and not state.has_answer
            and not state.hint_given
            and state.follow_ups_used < self.settings.max_follow_ups
        )

    def _follow_up_reason(self, state: _QuestionState) -> FollowUpReason | None:
        if state.follow_ups_used >= self.settings.max_follow_ups:
            return None
        if self._next_missed(state) is not None:
            return FollowUpReason.MISSED_KEY_POINT
        if state.tracker.word_count < self.settings.short_answer_words and not (
            state.probed_for_detail
        ):
            return FollowUpReason.SHORT_ANSWER
        return None

    @staticmethod
    def _next_missed(state: _QuestionState) -> str | None:
        # Never the same key point twice: if a follow-up did not bring it out, move on.
        return next((k for k in state.tracker.missed if k not in state.asked_about), None)

    def _follow_up(
        self,
        now_ms: int,
        state: _QuestionState,
        reason: FollowUpReason,
        quality: AnswerQuality,
    ) -> Utterance:
        question = state.question
        key_point = self._next_missed(state)
        prepared: str | None = None
        if reason is FollowUpReason.MISSED_KEY_POINT and key_point is not None:
            prepared = next(
                (
                    f
                    for f in question.follow_ups
                    if f not in state.used_prepared and state.tracker.targets(f, key_point)
                ),
                None,
            )
        elif reason is FollowUpReason.SHORT_ANSWER:
            key_point = None
            if not question.key_points:
                prepared = next(
                    (f for f in question.follow_ups if f not in state.used_prepared), None
                )
        state.follow_ups_used += 1
        if key_point is not None:
            state.asked_about.add(key_point)
        if prepared is not None:
            state.used_prepared.add(prepared)
        if reason is FollowUpReason.SHORT_ANSWER:
            state.probed_for_detail = True
        if reason is FollowUpReason.HINT:
            state.hint_given = True
        request = FollowUpRequest(
            question=question,
            reason=reason,
            key_point=key_point,
            prepared=prepared,
            answer_so_far=state.tracker.answer_text,
            number=state.follow_ups_used,
            variant=self._next_variant(),
        )
        # The phraser only words the line; anything unspeakable falls back to the rules.
        text = acceptable_phrasing(self._phraser.phrase(request)) or self._fallback_phraser.phrase(
            request
        )
        style = self._tone.style_for("follow_up", quality)
        utterance = self._say(now_ms, text, "follow_up", style, question.question_id, request)
        self._prompt = _Prompt(text, "follow_up", request)
        self._phase = Phase.LISTENING
        return utterance

    def _advance(
        self, now_ms: int, quality: AnswerQuality, *, skipped: bool = False
    ) -> list[Utterance]:
        following = self._current_index + 1
        remaining = len(self._questions) - following
        upcoming = None if remaining == 0 else ("last" if remaining == 1 else "next")
        variant = self._next_variant()
        if skipped:
            ack_text = self._lines.skip_acknowledgement(variant, upcoming)
        else:
            ack_text = self._lines.acknowledgement(quality, variant, upcoming)
        style = self._tone.style_for("acknowledgement", quality)
        ack = self._say(now_ms, ack_text, "acknowledgement", style, self._current_qid)
        if remaining == 0:
            return [ack, self._finish(now_ms)]
        return [ack, self._ask(now_ms, following)]

    def _ask(self, now_ms: int, index: int) -> Utterance:
        self._index = index
        state = self._questions[index]
        state.status = QuestionStatus.ASKED
        question = state.question
        self._phase = Phase.LISTENING
        self._prompt = _Prompt(question.text, "question")
        style = self._tone.style_for("question")
        return self._say(now_ms, question.text, "question", style, question.question_id)

    def _repeat(self, now_ms: int) -> Utterance:
        self._phase = Phase.LISTENING
        self._waiting_words = ""
        text = self._lines.repeat(self._current_prompt.text, self._next_variant())
        return self._say(now_ms, text, "other", "neutral", self._current_qid)

    def _finish(self, now_ms: int) -> Utterance:
        remaining = any(
            s.status in (QuestionStatus.PENDING, QuestionStatus.ASKED) for s in self._questions
        )
        outcome: Outcome = "ended_early" if remaining else "completed"
        self._outcome = outcome
        self._phase = Phase.FINISHED
        return self._say_closing(now_ms, outcome)

    def _say_closing(self, now_ms: int, outcome: Outcome) -> Utterance:
        self._closing_delivered = True
        text = self._lines.closing(outcome)
        return self._say(now_ms, text, "closing", self._tone.style_for("closing"), None)

    def _next_variant(self) -> int:
        self._line_counter += 1
        return self._line_counter

    # --- transcript ------------------------------------------------------------------------

    def _say(
        self,
        now_ms: int,
        text: str,
        kind: InterviewerKind,
        style: Style,
        question_id: str | None,
        request: FollowUpRequest | None = None,
    ) -> Utterance:
        start = max(now_ms, self._interviewer_free_at)
        end = start + self._estimate_ms(text)
        turn_kind: TurnKind = kind
        self._turns.append(
            Turn(
                speaker="interviewer",
                text=text,
                start_ms=start,
                end_ms=end,
                question_id=question_id,
                kind=turn_kind,
                style=style,
            )
        )
        self._interviewer_free_at = end
        return Utterance(text, kind, style, question_id, len(self._turns) - 1, request)

    def _hear(
        self,
        text: str,
        start_ms: int,
        end_ms: int,
        stt_confidence: float | None,
        kind: TurnKind,
        question_id: str | None,
    ) -> None:
        self._turns.append(
            Turn(
                speaker="candidate",
                text=text,
                start_ms=start_ms,
                end_ms=end_ms,
                question_id=question_id,
                kind=kind,
                stt_confidence=stt_confidence,
            )
        )

    def _estimate_ms(self, text: str) -> int:
        words = len(text.split())
        return max(600, round(words * 60_000 / self.settings.interviewer_words_per_minute))

    def _last_interviewer_index(self) -> int | None:
        return next(
            (
                i
                for i in range(len(self._turns) - 1, -1, -1)
                if self._turns[i].speaker == "interviewer"
            ),
            None,
        )


_PROMPT_KINDS: Final[frozenset[str]] = frozenset({"question", "follow_up"})


def _check_ms(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must be >= 0 ms, got {value}")


def _check_candidate_turn(
    name: str, text: str, start_ms: int, end_ms: int, stt_confidence: float | None
) -> None:
    _check_ms("start_ms", start_ms)
    _check_ms("end_ms", end_ms)
    if end_ms < start_ms:
        raise ValueError(f"end_ms ({end_ms}) must not be before start_ms ({start_ms})")
    if len(text) > MAX_TURN_TEXT:
        raise ValueError(f"{name} must be at most {MAX_TURN_TEXT} characters, got {len(text)}")
    if stt_confidence is not None and not 0.0 <= stt_confidence <= 1.0:
        raise ValueError(f"stt_confidence must be between 0 and 1, got {stt_confidence}")

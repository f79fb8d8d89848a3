"""The interviewer in the room: a LiveKit ``Agent`` that lets the conductor decide every line.

Each finished candidate turn goes to ``Conductor.on_candidate_turn``; the lines it returns are
spoken one by one in their style, and a silence that goes on is offered to ``on_silence``.
Every turn reaches the session store through the ``TranscriptJournal`` as it happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from livekit import rtc
from livekit.agents import (
    NOT_GIVEN,
    Agent,
    AgentStateChangedEvent,
    APIError,
    ModelSettings,
    NotGivenOr,
    UserStateChangedEvent,
    llm,
    stt,
)
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from livekit.agents.voice import SpeechHandle

from common.events import Outcome, Style, Turn
from voice_agent.domain import Conductor, Phase, Utterance
from voice_agent.speech.voice import StyledVoice
from voice_agent.worker.backchannels import BackchannelCoach
from voice_agent.worker.journal import TranscriptJournal
from voice_agent.worker.metrics import WorkerMetrics
from voice_agent.worker.phrasing import FollowUpRewriter
from voice_agent.worker.prepared_speech import PreparedSpeech, without_leading_silence
from voice_agent.worker.timeline import ReplyTimeline
from voice_agent.worker.turn_detection import RecentAudio

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "You are Mocksy, a friendly mock-interview interviewer. The interview's policy decides "
    "every line; you never improvise."
)


@dataclass(frozen=True)
class SessionClock:
    """Milliseconds since the session started, the time base of every turn."""

    started_at: float  # epoch seconds
    now: Callable[[], float] = time.time

    def ms(self, epoch_seconds: float) -> int:
        """``epoch_seconds`` as milliseconds since the start (never negative)."""
        return max(0, round((epoch_seconds - self.started_at) * 1000))

    def now_ms(self) -> int:
        """Now, as milliseconds since the start."""
        return self.ms(self.now())


class ConductorModel(llm.LLM[str]):
    """Stands where the session expects a language model: the conductor writes every line.

    ``Interviewer.llm_node`` answers each turn itself, so ``chat`` is never called; an
    ``AgentSession`` still needs a model to accept the candidate's turns.
    """

    @property
    def model(self) -> str:
        return "conductor"

    @property
    def provider(self) -> str:
        return "mocksy"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        raise APIError("the conductor writes the interviewer's lines", retryable=False)


class Interviewer(Agent):
    """Conducts one interview in a LiveKit session, driven by a ``Conductor``."""

    def __init__(
        self,
        conductor: Conductor,
        journal: TranscriptJournal,
        clock: SessionClock,
        *,
        voice: StyledVoice | None = None,
        rewriter: FollowUpRewriter | None = None,
        metrics: WorkerMetrics | None = None,
        candidate_audio: RecentAudio | None = None,
        resumed: bool = False,
        on_finished: Callable[[Outcome], Awaitable[None]] | None = None,
        silence_check_interval_s: float = 1.0,
        prepared: PreparedSpeech | None = None,
        timelines: Callable[[], ReplyTimeline] | None = None,
    ) -> None:
        super().__init__(instructions=INSTRUCTIONS)
        self.conductor = conductor
        self.journal = journal
        self.clock = clock
        self._voice = voice
        self._rewriter = rewriter
        self._metrics = metrics
        self._candidate_audio = candidate_audio
        self._resumed = resumed
        self._on_finished = on_finished
        self._silence_interval = silence_check_interval_s
        self._prepared = prepared
        self._timelines = timelines
        self._speaking = asyncio.Lock()  # lines are handed to the session in order
        self._tasks: set[asyncio.Task[None]] = set()
        self._candidate_speaking = False
        self._interviewer_speaking = False
        self._last_voice_ms = 0
        self._finishing = False
        self.backchannels: BackchannelCoach | None = None
        self._silence_watch: asyncio.Task[None] | None = None

    # --- LiveKit hooks -------------------------------------------------------------------

    async def on_enter(self) -> None:
        """The session is up: greet and ask (or, after a reconnect, welcome back)."""
        self.session.on("user_state_changed", self._on_user_state)
        self.session.on("agent_state_changed", self._on_agent_state)
        now = self.clock.now_ms()
        self._last_voice_ms = now
        lines = self.conductor.rejoin(now) if self._resumed else self.conductor.start(now)
        self._spawn(self._speak(lines))
        self._silence_watch = asyncio.create_task(self._watch_silence(), name="silence-watch")

    async def on_exit(self) -> None:
        """The session is closing: stop watching the silence (lines in flight still settle)."""
        if self._silence_watch is not None:
            self._silence_watch.cancel()

    async def settle(self, within_s: float = 5.0) -> None:
        """Wait until every line handed to the session has been accounted for."""
        pending = [t for t in self._tasks if t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=within_s)

    def stt_node(
        self, audio: AsyncIterable[rtc.AudioFrame], model_settings: ModelSettings
    ) -> AsyncIterable[stt.SpeechEvent | str] | Any:
        """Transcribe as usual, keeping the latest audio for the end-of-turn model."""
        if self._candidate_audio is None:
            return Agent.default.stt_node(self, audio, model_settings)
        return Agent.default.stt_node(self, self._kept(audio), model_settings)

    async def llm_node(
        self,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        model_settings: ModelSettings,
    ) -> None:
        """The candidate finished a turn: the conductor decides the reply, spoken here."""
        message = _last_candidate_message(chat_ctx)
        if message is None:
            return
        await self.hear(
            message.text_content or "",
            started_at=message.metrics.get("started_speaking_at"),
            stopped_at=message.metrics.get("stopped_speaking_at"),
            confidence=message.transcript_confidence,
        )

    # --- the conversation ----------------------------------------------------------------

    def anticipate(self, words: str) -> None:
        """The candidate paused after ``words``: render the reply the conductor would give."""
        if self._prepared is None or self.conductor.phase not in (Phase.LISTENING, Phase.THINKING):
            return
        now = self.clock.now_ms()
        for line in self.conductor.likely_reply(words, now, now):
            if self._rewriter is not None and line.follow_up is not None:
                continue  # the LLM words it afresh: nothing to get ready
            self._prepared.prepare(line.style, line.text)

    async def hear(
        self,
        text: str,
        *,
        started_at: float | None = None,
        stopped_at: float | None = None,
        confidence: float | None = None,
    ) -> list[Utterance]:
        """Record one candidate turn and speak the conductor's reply; returns the reply."""
        now = self.clock.now_ms()
        start_ms = self.clock.ms(started_at) if started_at else now
        end_ms = max(start_ms, self.clock.ms(stopped_at) if stopped_at else now)
        if confidence is not None:
            # 0 means the recognizer gave none; LiveKit averages the utterances of a turn.
            confidence = round(confidence, 3) if 0.0 < confidence <= 1.0 else None
        if self.backchannels is not None:
            self.backchannels.turn_ended()
        timeline = self._timelines() if self._timelines is not None else None
        before = len(self.conductor.turns)
        lines = self.conductor.on_candidate_turn(text, start_ms, end_ms, confidence)
        if timeline is not None:
            timeline.reply_decided = time.time()
            if timeline.speech_ended is None and stopped_at:
                timeline.speech_ended = stopped_at
            if not lines:
                timeline = None  # no reply ("let me think"): nothing to time
        for index in range(before, len(self.conductor.turns)):
            if self.conductor.turns[index].speaker == "candidate":
                self.journal.ready(index)
        self._last_voice_ms = max(self._last_voice_ms, end_ms)
        await self._speak(lines, reply_to=stopped_at, timeline=timeline)
        return lines

    async def end_now(self, open_words: str = "", started_at: float | None = None) -> Turn | None:
        """The candidate ended the interview from the app: keep what they were saying, store
        everything, and finish as ``ended_early`` without a word more.

        ``open_words`` (heard since ``started_at``, not yet a turn) become the current
        question's answer; a line being spoken is cut off and stored as far as it was heard.
        Returns the kept turn, or None (no words, or the interview was already ending).
        """
        if self._finishing or self.conductor.finished:
            return None
        now = self.clock.now_ms()
        start_ms = min(now, self.clock.ms(started_at)) if started_at else now
        before = len(self.conductor.turns)
        turn = self.conductor.end_now(open_words, start_ms, now)
        for index in range(before, len(self.conductor.turns)):
            self.journal.ready(index)
        if self._interviewer_speaking:
            with contextlib.suppress(RuntimeError):  # the session is closing already
                await self.session.interrupt(force=True)
        await self.settle()
        await self._finish("ended_early")
        return turn

    async def check_silence(self) -> list[Utterance]:
        """Offer the current silence to the conductor (a gentle prompt when it has gone on)."""
        if self._candidate_speaking or self._interviewer_speaking or self._finishing:
            return []
        if self.conductor.phase not in (Phase.LISTENING, Phase.THINKING):
            return []
        now = self.clock.now_ms()
        lines = self.conductor.on_silence(now, max(0, now - self._last_voice_ms))
        await self._speak(lines)
        return lines

    async def _watch_silence(self) -> None:
        while not self.conductor.finished:
            await asyncio.sleep(self._silence_interval)
            await self.check_silence()

    async def _speak(
        self,
        lines: Sequence[Utterance],
        *,
        reply_to: float | None = None,
        timeline: ReplyTimeline | None = None,
    ) -> None:
        async with self._speaking:
            if self._prepared is not None:
                if timeline is not None and lines:
                    timeline.prepared = self._prepared.is_prepared(lines[0].style, lines[0].text)
                # Each line renders while the one before it plays: no gap between them.
                for line in lines:
                    if self._rewriter is None or line.follow_up is None:
                        self._prepared.prepare(line.style, line.text)
            for n, line in enumerate(lines):
                text = line.text
                if self._rewriter is not None and line.follow_up is not None:
                    text = await self._rewriter.reword(line.follow_up, line.text)
                first = timeline if n == 0 else None
                audio: NotGivenOr[AsyncIterable[rtc.AudioFrame]] = NOT_GIVEN
                if self.session.output.audio is not None:
                    audio = self._audio(line.style, text, first)
                # A goodbye is said to the end: words over it are not a turn to answer.
                handle = self.session.say(
                    text, audio=audio, allow_interruptions=line.kind != "closing"
                )
                self._spawn(
                    self._after_spoken(line, text, handle, reply_to if n == 0 else None, first)
                )

    def _audio(
        self, style: Style, text: str, timeline: ReplyTimeline | None
    ) -> NotGivenOr[AsyncIterable[rtc.AudioFrame]]:
        if self._prepared is not None:
            return _timed(self._prepared.frames(style, text), timeline)
        if self._voice is not None:
            frames = without_leading_silence(_frames(self._voice.for_style(style), text))
            return _timed(frames, timeline)
        return NOT_GIVEN

    async def _after_spoken(
        self,
        line: Utterance,
        text: str,
        handle: SpeechHandle,
        reply_to: float | None,
        timeline: ReplyTimeline | None = None,
    ) -> None:
        await handle
        spoken = next(
            (
                item
                for item in handle.chat_items
                if isinstance(item, llm.ChatMessage) and item.role == "assistant"
            ),
            None,
        )
        started = spoken.metrics.get("started_speaking_at") if spoken else None
        stopped = spoken.metrics.get("stopped_speaking_at") if spoken else None
        interrupted = handle.interrupted or bool(spoken and spoken.interrupted)
        estimate = self.conductor.turns[line.turn_index]
        start_ms = self.clock.ms(started) if started else estimate.start_ms
        end_ms = max(start_ms, self.clock.ms(stopped) if stopped else estimate.end_ms)
        self.conductor.record_spoken(
            line.turn_index,
            start_ms,
            end_ms,
            interrupted=interrupted,
            text=text if text != line.text else None,
        )
        self.journal.ready(line.turn_index)
        self._last_voice_ms = max(self._last_voice_ms, end_ms)
        if self._prepared is not None and not interrupted:
            # The candidate answers now: render the lines any reply may open with meanwhile.
            for ahead in self.conductor.lines_ahead():
                self._prepared.prepare(ahead.style, ahead.text)
        if reply_to is not None and started is not None and self._metrics is not None:
            self._metrics.response_latency.observe(max(0.0, started - reply_to))
        if timeline is not None and started is not None:
            timeline.first_frame = started
            timeline.report()
            if self._metrics is not None:
                for stage, seconds in timeline.since_speech_end().items():
                    self._metrics.reply_stage.labels(stage).observe(max(0.0, seconds))
        if line.kind == "closing" and self.conductor.outcome is not None:
            await self._finish(self.conductor.outcome)

    async def _finish(self, outcome: Outcome) -> None:
        if self._finishing:
            return
        self._finishing = True
        await self.journal.drain()
        if self._on_finished is not None:
            await self._on_finished(outcome)

    # --- what the session tells us -------------------------------------------------------

    def _on_user_state(self, event: UserStateChangedEvent) -> None:
        self._candidate_speaking = event.new_state == "speaking"
        self._last_voice_ms = self.clock.now_ms()

    def _on_agent_state(self, event: AgentStateChangedEvent) -> None:
        was_speaking = self._interviewer_speaking
        self._interviewer_speaking = event.new_state == "speaking"
        if was_speaking or self._interviewer_speaking:
            self._last_voice_ms = self.clock.now_ms()

    async def _kept(self, audio: AsyncIterable[rtc.AudioFrame]) -> AsyncIterator[rtc.AudioFrame]:
        async for frame in audio:
            if self._candidate_audio is not None:
                self._candidate_audio.push(frame)
            yield frame

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("interviewer task failed", exc_info=task.exception())


async def _timed(
    frames: AsyncIterable[rtc.AudioFrame], timeline: ReplyTimeline | None
) -> AsyncIterator[rtc.AudioFrame]:
    async for frame in frames:
        if timeline is not None and timeline.first_chunk is None:
            timeline.first_chunk = time.time()
        yield frame


async def _frames(voice: Any, text: str) -> AsyncIterator[rtc.AudioFrame]:
    async with voice.synthesize(text) as stream:
        async for chunk in stream:
            yield chunk.frame


def _last_candidate_message(chat_ctx: llm.ChatContext) -> llm.ChatMessage | None:
    for item in reversed(chat_ctx.items):
        if isinstance(item, llm.ChatMessage):
            return item if item.role == "user" else None
    return None

"""The candidate's end of the interview room, as a WebRTC participant (the ``livekit`` SDK).

The interviewer (a LiveKit agent) publishes each line it speaks as text on the
``lk.transcription`` stream and its state (``listening``, ``speaking``...) as the participant
attribute ``lk.agent.state``; it takes typed text on the ``lk.chat`` stream as the candidate's
turn. The interview is over when the interviewer leaves the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Final

from livekit import rtc

logger = logging.getLogger(__name__)

TRANSCRIPTION_TOPIC: Final = "lk.transcription"
CHAT_TOPIC: Final = "lk.chat"
AGENT_STATE: Final = "lk.agent.state"


@dataclass(frozen=True)
class HeardLine:
    """One transcribed line: the interviewer's, or the candidate's own speech as it was heard."""

    text: str
    by_interviewer: bool
    at: float


class InterviewRoom:
    """Joins the room, collects the interviewer's lines, sends typed answers."""

    def __init__(self) -> None:
        self.room = rtc.Room()
        self.lines: asyncio.Queue[HeardLine] = asyncio.Queue()
        self.ended = asyncio.Event()
        self.agent_state = "initializing"
        self._state_changed = asyncio.Event()
        self._last_line_at = 0.0
        self._lines_since_answer = 0
        self._readers: set[asyncio.Task[None]] = set()

    async def join(self, url: str, token: str) -> None:
        """Connect to the room and start listening to the interviewer."""
        self.room.on("participant_attributes_changed", self._on_attributes)
        self.room.on("participant_connected", self._on_connected)
        self.room.on("participant_disconnected", self._on_left)
        self.room.on("disconnected", lambda *_: self._end())
        self.room.register_text_stream_handler(TRANSCRIPTION_TOPIC, self._on_transcription)
        # Subscribed to the interviewer's audio even when typing: it speaks (and its lines are
        # transcribed) only once someone in the room receives its voice.
        await self.room.connect(url, token, rtc.RoomOptions(auto_subscribe=True))
        for participant in self.room.remote_participants.values():
            self._on_connected(participant)

    async def answer(self, text: str) -> None:
        """Send a typed answer; the interviewer takes it as the candidate's turn."""
        self._lines_since_answer = 0
        await self.room.local_participant.send_text(text, topic=CHAT_TOPIC)

    async def your_turn(self, settle_s: float = 1.0) -> bool:
        """Wait until the interviewer has spoken and then listened for ``settle_s``; False when
        the interview ended first."""
        while not self.ended.is_set():
            quiet_for = time.monotonic() - self._last_line_at
            if (
                self._lines_since_answer > 0
                and self.agent_state == "listening"
                and not self._readers
                and quiet_for >= settle_s
            ):
                return True
            self._state_changed.clear()
            # Woken by a state change or a line; otherwise re-checked as the quiet time grows.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.1, settle_s - quiet_for)):
                    await self._state_changed.wait()
        return False

    async def leave(self) -> None:
        """Disconnect."""
        for task in self._readers:
            task.cancel()
        await self.room.disconnect()

    def _on_connected(self, participant: rtc.RemoteParticipant) -> None:
        if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
            self._set_state(participant.attributes.get(AGENT_STATE, self.agent_state))

    def _on_attributes(self, changed: dict[str, str], participant: rtc.Participant) -> None:
        if AGENT_STATE in changed:
            self._set_state(changed[AGENT_STATE])

    def _on_left(self, participant: rtc.RemoteParticipant) -> None:
        if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
            self._end()

    def _set_state(self, state: str) -> None:
        self.agent_state = state
        self._state_changed.set()

    def _end(self) -> None:
        self.ended.set()
        self._state_changed.set()

    def _on_transcription(self, reader: rtc.TextStreamReader, sender: str) -> None:
        task = asyncio.create_task(self._read_line(reader, sender))
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)

    async def _read_line(self, reader: rtc.TextStreamReader, sender: str) -> None:
        text = (await reader.read_all()).strip()
        by_interviewer = sender != self.room.local_participant.identity
        if by_interviewer:
            self._last_line_at = time.monotonic()
        if text:
            if by_interviewer:
                self._lines_since_answer += 1
            self.lines.put_nowait(HeardLine(text, by_interviewer, time.time()))
        self._state_changed.set()

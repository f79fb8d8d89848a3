"""A scripted candidate for rehearsals: joins the room, listens to the interviewer, answers aloud.

It hears the interviewer's main track like a person would, notes when anything sounds on the
back-channel track (not transcribed: "mhm" is not a line to answer), waits until the
interviewer has finished speaking, and answers with Piper-synthesized
speech on a microphone track that, like a real microphone, never stops sending (silence
between answers). The integration test and the latency benchmark use it against a real LiveKit
server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from livekit import rtc

from voice_agent.speech import PiperTTS, SphinxSTT, to_mono_16k

logger = logging.getLogger(__name__)

RATE = 48_000
FRAME_SAMPLES = RATE // 100  # 10 ms
SPEECH_RMS = 300.0  # above this a 10 ms frame is speech (about -40 dBFS), either way
BACKGROUND_TRACK = "background_audio"


@dataclass
class HeardLine:
    """What the candidate heard the interviewer say in one stretch of speech."""

    text: str
    started_at: float
    ended_at: float


@dataclass
class Exchange:
    """One answer and how long the interviewer took to reply to it."""

    answer: str
    finished_speaking_at: float  # the end of its last audible frame, as sent
    reply_started_at: float | None = None  # the start of the reply's first audible frame

    @property
    def reply_delay_s(self) -> float | None:
        """From the answer's last audible sample sent to the reply's first one received."""
        if self.reply_started_at is None:
            return None
        return self.reply_started_at - self.finished_speaking_at


@dataclass
class ScriptedCandidate:
    """Answers whatever the interviewer says with what ``respond`` picks for it."""

    voice: PiperTTS
    ear: SphinxSTT
    # heard line -> the answer (several parts: a pause between them), None: the interview is over
    respond: Callable[[str], str | Sequence[str] | None]
    end_of_line_s: float = 1.5  # silence after which the interviewer counts as done
    pause_s: float = 3.0  # between the parts of an answer, as if thinking
    room: rtc.Room = field(default_factory=rtc.Room)
    heard: list[HeardLine] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    # Every part spoken (an answer with pauses has several): text, first and last audible
    # sample sent.
    spoken: list[HeardLine] = field(default_factory=list)
    # When each stretch of sound on the back-channel track was received.
    backchannels: list[HeardLine] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A short send queue, so "finished speaking" is when the last word leaves.
        self._source = rtc.AudioSource(RATE, 1, queue_size_ms=50)
        self._outgoing: asyncio.Queue[rtc.AudioFrame] = asyncio.Queue()
        self._incoming: asyncio.Queue[tuple[float, rtc.AudioFrame]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._speaking = False
        # Set when the interviewer leaves the room: the interview is over, whatever was heard.
        self._interviewer_left = asyncio.Event()

    async def join(self, url: str, token: str) -> None:
        """Connect, publish the microphone and start listening to the interviewer."""

        @self.room.on("track_subscribed")
        def _subscribed(
            track: rtc.Track, publication: rtc.RemoteTrackPublication, _: rtc.RemoteParticipant
        ) -> None:
            if track.kind != rtc.TrackKind.KIND_AUDIO:
                return
            if publication.name == BACKGROUND_TRACK:
                self._tasks.append(asyncio.create_task(self._note_backchannels(track)))
            else:
                self._tasks.append(asyncio.create_task(self._listen(track)))

        @self.room.on("participant_disconnected")
        def _left(participant: rtc.RemoteParticipant) -> None:
            if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
                logger.info("the interviewer left the room")
                self._interviewer_left.set()

        await self.room.connect(url, token)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self._source)
        await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        self._tasks.append(asyncio.create_task(self._microphone()))

    async def interview(self, within_s: float) -> None:
        """Listen and answer until ``respond`` says the interview is over, or the interviewer
        leaves the room (a misheard goodbye is still a goodbye), or time runs out."""
        async with asyncio.timeout(within_s):
            while True:
                line = await self._next_line_unless_left()
                if line is None:
                    return
                self.heard.append(line)
                if self.exchanges and self.exchanges[-1].reply_started_at is None:
                    self.exchanges[-1].reply_started_at = line.started_at
                logger.info("candidate heard: %s", line.text)
                answer = self.respond(line.text)
                if answer is None:
                    return
                parts = [answer] if isinstance(answer, str) else list(answer)
                # Rendered before the first word: a pause must not grow while Piper works.
                rendered = [await render(self.voice, part, RATE) for part in parts]
                for n, (part, pcm) in enumerate(zip(parts, rendered, strict=True)):
                    if n:
                        await asyncio.sleep(self.pause_s)
                    await self._send(part, pcm)
                if len(parts) > 1:
                    # One answer, one reply: the pause inside it is not an answer of its own.
                    first, *rest = self.exchanges[-len(parts) :]
                    del self.exchanges[-len(parts) :]
                    self.exchanges.append(
                        Exchange(
                            " ".join(e.answer for e in (first, *rest)),
                            rest[-1].finished_speaking_at,
                        )
                    )

    async def say(self, text: str) -> None:
        """Speak ``text`` into the microphone and wait until it has been sent."""
        await self._send(text, await render(self.voice, text, RATE))

    async def _send(self, text: str, pcm: bytes) -> None:
        step = FRAME_SAMPLES * 2
        frames = [
            rtc.AudioFrame(pcm[start : start + step], RATE, 1, FRAME_SAMPLES)
            for start in range(0, len(pcm) - step + 1, step)
        ]
        audible = [n for n, frame in enumerate(frames) if _loud(frame)] or [0, len(frames) - 1]
        self._speaking = True
        for frame in frames:
            self._outgoing.put_nowait(frame)
        await self._outgoing.join()
        # The last frame is in the source's 50 ms queue: it leaves about now.
        sent = time.time() + 0.05
        self._speaking = False
        # Piper pads speech with silence: the speech is what a listener hears, from the first
        # audible frame to the end of the last one (frames leave in real time).
        began = sent - (len(frames) - audible[0]) * FRAME_SAMPLES / RATE
        finished = sent - (len(frames) - 1 - audible[-1]) * FRAME_SAMPLES / RATE
        self.exchanges.append(Exchange(text, finished))
        self.spoken.append(HeardLine(text, began, finished))

    async def leave(self) -> None:
        """Stop and disconnect."""
        for task in self._tasks:
            task.cancel()
        await self.room.disconnect()

    async def _microphone(self) -> None:
        silence = rtc.AudioFrame(b"\x00\x00" * FRAME_SAMPLES, RATE, 1, FRAME_SAMPLES)
        while True:
            if self._outgoing.empty():
                await self._source.capture_frame(silence)  # paced by the source: real time
                continue
            await self._source.capture_frame(self._outgoing.get_nowait())
            self._outgoing.task_done()

    async def _listen(self, track: rtc.Track) -> None:
        async for event in rtc.AudioStream(track, sample_rate=RATE, num_channels=1):
            await self._incoming.put((time.time(), event.frame))

    async def _note_backchannels(self, track: rtc.Track) -> None:
        # A stretch ends after 0.3 s of quiet: clips are short and never back to back.
        async for event in rtc.AudioStream(track, sample_rate=RATE, num_channels=1):
            at, frame = time.time(), event.frame
            if not _loud(frame):
                continue
            last = self.backchannels[-1] if self.backchannels else None
            if last is not None and at - last.ended_at < 0.3:
                last.ended_at = at
            else:
                self.backchannels.append(HeardLine("", at - frame.duration, at))

    async def _next_line_unless_left(self) -> HeardLine | None:
        """The interviewer's next line, or None once they have left the room without one."""
        line = asyncio.ensure_future(self._next_line())
        left = asyncio.ensure_future(self._interviewer_left.wait())
        try:
            await asyncio.wait({line, left}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            left.cancel()
            if not line.done():
                line.cancel()
        return line.result() if line.done() and not line.cancelled() else None

    async def _next_line(self) -> HeardLine:
        """The interviewer's next stretch of speech, once followed by ``end_of_line_s`` quiet."""
        frames: list[rtc.AudioFrame] = []
        started: float | None = None
        last_voice = 0.0
        while True:
            at, frame = await self._incoming.get()
            loud = _loud(frame)
            if loud and not self._speaking:
                if started is None:
                    started = at - frame.duration
                last_voice = at
            if started is not None:
                frames.append(frame)
                if at - last_voice >= self.end_of_line_s:
                    break
        audio = rtc.combine_audio_frames(frames)
        text, _ = await asyncio.to_thread(self.ear.transcribe, to_mono_16k(audio))
        assert started is not None
        return HeardLine(text, started, last_voice)


async def render(voice: PiperTTS, text: str, rate: int) -> bytes:
    """``text`` spoken by ``voice``, as mono 16-bit PCM at ``rate`` Hz."""
    audio = await voice.synthesize(text).collect()
    resampler = rtc.AudioResampler(audio.sample_rate, rate, num_channels=1)
    return b"".join(bytes(f.data) for f in [*resampler.push(audio), *resampler.flush()])


def _loud(frame: rtc.AudioFrame) -> bool:
    pcm = np.frombuffer(frame.data, dtype=np.int16).astype(np.float64)
    return pcm.size > 0 and float(np.sqrt(np.mean(pcm**2))) > SPEECH_RMS

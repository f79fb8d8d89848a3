"""Interviewer lines rendered ahead of time, so a reply starts playing the moment it is decided.

While the turn detector is still weighing a pause, the conductor already knows what it would
answer (``Conductor.likely_reply``); those lines are synthesized here in the background. When
the turn really ends and the reply is the one foreseen, its audio is (partly) ready and plays
at once; a different reply is synthesized as usual. Rendered lines are kept for a while: a
short acknowledgement comes back often.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterable, AsyncIterator
from typing import Final

import numpy as np
from livekit import rtc

from common.events import Style
from voice_agent.speech.voice import StyledVoice

logger = logging.getLogger(__name__)

# Below this a sample is silence: Piper opens every line with ~60 ms of it.
SILENT_SAMPLE: Final = 200
# Of the leading silence, this much stays, so the first word does not start with a click.
KEPT_LEAD_S: Final = 0.01


async def without_leading_silence(
    frames: AsyncIterable[rtc.AudioFrame],
) -> AsyncIterator[rtc.AudioFrame]:
    """``frames`` with the silence before the first sound cut to ``KEPT_LEAD_S``."""
    leading = True
    async for frame in frames:
        if not leading:
            yield frame
            continue
        pcm = np.frombuffer(frame.data, dtype=np.int16)
        loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > SILENT_SAMPLE)
        if loud.size == 0:
            continue
        leading = False
        channels = frame.num_channels
        keep = round(KEPT_LEAD_S * frame.sample_rate) * channels
        start = max(0, int(loud[0]) - keep)
        start -= start % channels
        if start == 0:
            yield frame
            continue
        rest = pcm[start:]
        yield rtc.AudioFrame(rest.tobytes(), frame.sample_rate, channels, len(rest) // channels)


class _Rendering:
    """One line's audio, filled in by a background task while it may already be played."""

    def __init__(self, style: Style, text: str) -> None:
        self.style = style
        self.text = text
        self.frames: list[rtc.AudioFrame] = []
        self.started = False
        self.done = False
        self.failed = False
        self._grown = asyncio.Event()

    def add(self, frame: rtc.AudioFrame) -> None:
        self.frames.append(frame)
        self._grown.set()

    def close(self, *, failed: bool) -> None:
        self.done = True
        self.failed = failed
        self._grown.set()

    async def play(self) -> AsyncIterator[rtc.AudioFrame]:
        sent = 0
        while True:
            while sent < len(self.frames):
                yield self.frames[sent]
                sent += 1
            if self.done:
                return
            self._grown.clear()
            if sent == len(self.frames) and not self.done:
                await self._grown.wait()


class PreparedSpeech:
    """The interviewer's voice with a memory of lines rendered ahead of time.

    Lines got ready ahead are rendered one at a time, in the order asked for: on two cores,
    rendering several at once would slow each of them. A line that is needed now and has not
    started rendering starts at once, beside whatever is rendering.
    """

    def __init__(self, voice: StyledVoice, *, keep: int = 24) -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self.voice = voice
        self._keep = keep
        self._lines: OrderedDict[tuple[Style, str], _Rendering] = OrderedDict()
        self._queue: deque[_Rendering] = deque()
        self._renderer: asyncio.Task[None] | None = None
        self._urgent: set[asyncio.Task[None]] = set()
        self.hits = 0
        self.misses = 0

    def prepare(self, style: Style, text: str) -> None:
        """Render ``text`` in ``style`` in the background (after those asked for before)."""
        key = (style, text)
        if key in self._lines and not self._lines[key].failed:
            self._lines.move_to_end(key)
            return
        rendering = _Rendering(style, text)
        self._lines[key] = rendering
        while len(self._lines) > self._keep:
            _, dropped = self._lines.popitem(last=False)
            if not dropped.started and dropped in self._queue:
                self._queue.remove(dropped)
        self._queue.append(rendering)
        if self._renderer is None or self._renderer.done():
            self._renderer = asyncio.create_task(self._render_queue(), name="prepare-lines")

    def is_prepared(self, style: Style, text: str) -> bool:
        """Whether ``text`` in ``style`` is rendered or being rendered."""
        rendering = self._lines.get((style, text))
        return rendering is not None and not rendering.failed

    def frames(self, style: Style, text: str) -> AsyncIterator[rtc.AudioFrame]:
        """The audio of ``text`` in ``style``: the prepared rendering, or a fresh one."""
        rendering = self._lines.get((style, text))
        if rendering is not None and not rendering.failed:
            self.hits += 1
            self._lines.move_to_end((style, text))
            if not rendering.started:
                if rendering in self._queue:
                    self._queue.remove(rendering)
                task = asyncio.create_task(self._render(rendering), name="render-line")
                self._urgent.add(task)
                task.add_done_callback(self._urgent.discard)
            return rendering.play()
        self.misses += 1
        return without_leading_silence(self._synthesize(style, text))

    async def aclose(self) -> None:
        """Stop rendering."""
        tasks = [*self._urgent, *([self._renderer] if self._renderer else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for rendering in self._queue:
            rendering.close(failed=True)
        self._queue.clear()

    async def _render_queue(self) -> None:
        while self._queue:
            rendering = self._queue.popleft()
            await self._render(rendering)

    async def _render(self, rendering: _Rendering) -> None:
        rendering.started = True
        try:
            async for frame in without_leading_silence(
                self._synthesize(rendering.style, rendering.text)
            ):
                rendering.add(frame)
        except asyncio.CancelledError:
            rendering.close(failed=True)
            raise
        except Exception:
            logger.warning("could not render a line ahead of time", exc_info=True)
            rendering.close(failed=True)
            return
        rendering.close(failed=False)

    async def _synthesize(self, style: Style, text: str) -> AsyncIterator[rtc.AudioFrame]:
        async with self.voice.for_style(style).synthesize(text) as stream:
            async for chunk in stream:
                yield chunk.frame

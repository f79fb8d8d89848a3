"""Microphone and speaker for a spoken interview, through PortAudio (``sounddevice``).

PortAudio is a system library: where it is missing, or the machine has no sound device,
``sound_problem`` says so and the client offers typing instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from livekit import rtc

RATE = 48_000
FRAME_SAMPLES = RATE // 100  # 10 ms


def _sounddevice() -> Any:
    # Imported late: it loads PortAudio at import time and raises OSError when it is missing.
    import sounddevice

    return sounddevice


def sound_problem() -> str | None:
    """Why a spoken interview cannot work here (no PortAudio, no microphone or speaker), or None."""
    try:
        devices = _sounddevice()
    except OSError as error:
        return f"PortAudio is not available ({error}); install libportaudio2"
    try:
        devices.check_input_settings(samplerate=RATE, channels=1, dtype="int16")
        devices.check_output_settings(samplerate=RATE, channels=1, dtype="int16")
    except Exception as error:  # PortAudioError or ValueError: no usable default device
        return f"no usable microphone and speaker ({error})"
    return None


class SoundDevices:
    """Publishes the microphone into the room and plays the interviewer's tracks."""

    def __init__(self, room: rtc.Room) -> None:
        self.room = room
        self._source = rtc.AudioSource(RATE, 1)
        self._tasks: list[asyncio.Task[None]] = []
        self._streams: list[Any] = []

    async def start(self) -> None:
        """Open the microphone and play every audio track the interviewer publishes."""
        devices = _sounddevice()
        loop = asyncio.get_running_loop()
        captured: asyncio.Queue[bytes] = asyncio.Queue(maxsize=100)

        def on_audio(data: Any, frames: int, _time: Any, _status: Any) -> None:
            with contextlib.suppress(asyncio.QueueFull):
                loop.call_soon_threadsafe(captured.put_nowait, bytes(data))

        microphone = devices.RawInputStream(
            samplerate=RATE,
            channels=1,
            dtype="int16",
            blocksize=FRAME_SAMPLES,
            callback=on_audio,
        )
        microphone.start()
        self._streams.append(microphone)
        track = rtc.LocalAudioTrack.create_audio_track("microphone", self._source)
        await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        self._tasks.append(asyncio.create_task(self._send(captured)))
        self.room.on("track_subscribed", self._on_track)
        for participant in self.room.remote_participants.values():
            for publication in participant.track_publications.values():
                if publication.track is not None:
                    self._on_track(publication.track, publication, participant)

    async def stop(self) -> None:
        """Close the microphone and the speakers."""
        for task in self._tasks:
            task.cancel()
        for stream in self._streams:
            with contextlib.suppress(Exception):
                stream.stop()
                stream.close()

    async def _send(self, captured: asyncio.Queue[bytes]) -> None:
        while True:
            data = await captured.get()
            samples = len(data) // 2
            await self._source.capture_frame(rtc.AudioFrame(data, RATE, 1, samples))

    def _on_track(self, track: rtc.Track, *_: object) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            self._tasks.append(asyncio.create_task(self._play(track)))

    async def _play(self, track: rtc.Track) -> None:
        # One output stream per track: the interviewer's voice and its "mhm" track mix in
        # the sound server.
        speaker = _sounddevice().RawOutputStream(samplerate=RATE, channels=1, dtype="int16")
        speaker.start()
        self._streams.append(speaker)
        async for event in rtc.AudioStream(track, sample_rate=RATE, num_channels=1):
            await asyncio.to_thread(speaker.write, bytes(event.frame.data))

"""A candidate in a process of its own, to be SIGKILLed: it joins the interview room, publishes
a silent microphone, says ``joined`` on stdout, and stays until killed. Killed, it sends LiveKit
no goodbye, as a laptop whose network drops or whose lid shuts would not.

    python tests/resilience/vanishing_candidate.py LIVEKIT_URL TOKEN
"""

from __future__ import annotations

import asyncio
import sys

from livekit import rtc

RATE = 48_000


async def main(url: str, token: str) -> None:
    room = rtc.Room()
    await room.connect(url, token)
    source = rtc.AudioSource(RATE, 1)
    microphone = rtc.LocalAudioTrack.create_audio_track("microphone", source)
    await room.local_participant.publish_track(
        microphone, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    )
    print("joined", flush=True)
    silence = rtc.AudioFrame(bytes(RATE // 50 * 2), RATE, 1, RATE // 50)  # 20 ms
    while True:
        await source.capture_frame(silence)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

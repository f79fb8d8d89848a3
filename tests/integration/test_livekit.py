"""The real LiveKit server: a room made with livekit-api, two rtc participants exchanging audio."""

from __future__ import annotations

import asyncio
import math
import uuid

import numpy as np
from livekit import api, rtc

from tests.integration.servers import Servers

SAMPLE_RATE = 48_000
FRAME_MS = 10


def join_token(servers: Servers, room: str, identity: str) -> str:
    return (
        api.AccessToken(servers.livekit_api_key, servers.livekit_api_secret)
        .with_identity(identity)
        .with_grants(api.VideoGrants(room_join=True, room=room))
        .to_jwt()
    )


def http_url(servers: Servers) -> str:
    return servers.livekit_url.replace("ws://", "http://").replace("wss://", "https://")


def tone_frame(index: int, frequency: float = 440.0) -> rtc.AudioFrame:
    samples = SAMPLE_RATE * FRAME_MS // 1000
    t = (np.arange(samples) + index * samples) / SAMPLE_RATE
    pcm = (0.3 * 32767 * np.sin(2 * math.pi * frequency * t)).astype(np.int16)
    return rtc.AudioFrame(pcm.tobytes(), SAMPLE_RATE, 1, samples)


async def test_two_participants_exchange_audio(servers: Servers) -> None:
    room_name = f"it-{uuid.uuid4().hex[:8]}"
    lk = api.LiveKitAPI(http_url(servers), servers.livekit_api_key, servers.livekit_api_secret)
    try:
        created = await lk.room.create_room(api.CreateRoomRequest(name=room_name, empty_timeout=30))
        assert created.name == room_name

        speaker, listener = rtc.Room(), rtc.Room()
        received: asyncio.Queue[rtc.AudioFrame] = asyncio.Queue()

        async def pump(track: rtc.Track) -> None:
            async for event in rtc.AudioStream(track, sample_rate=SAMPLE_RATE, num_channels=1):
                await received.put(event.frame)

        tasks: list[asyncio.Task[None]] = []

        @listener.on("track_subscribed")
        def on_track(track: rtc.Track, *_: object) -> None:
            if track.kind == rtc.TrackKind.KIND_AUDIO:
                tasks.append(asyncio.create_task(pump(track)))

        await listener.connect(servers.livekit_url, join_token(servers, room_name, "listener"))
        await speaker.connect(servers.livekit_url, join_token(servers, room_name, "speaker"))
        source = rtc.AudioSource(SAMPLE_RATE, 1)
        track = rtc.LocalAudioTrack.create_audio_track("voice", source)
        await speaker.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )

        async def speak() -> None:
            for index in range(300):  # 3 s of a 440 Hz tone
                await source.capture_frame(tone_frame(index))

        speaking = asyncio.create_task(speak())
        loud = 0
        async with asyncio.timeout(20):
            while loud < 50:
                frame = await received.get()
                pcm = np.frombuffer(frame.data, dtype=np.int16)
                if pcm.size and np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > 1000:
                    loud += 1
        speaking.cancel()
        for task in tasks:
            task.cancel()

        participants = await lk.room.list_participants(api.ListParticipantsRequest(room=room_name))
        assert {p.identity for p in participants.participants} == {"speaker", "listener"}
        await speaker.disconnect()
        await listener.disconnect()
    finally:
        await lk.room.delete_room(api.DeleteRoomRequest(room=room_name))
        await lk.aclose()

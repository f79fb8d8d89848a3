"""Where the time of one reply goes, stage by stage, from the candidate's last word on.

Each reply to a finished candidate turn gets a ``ReplyTimeline``: the end of the candidate's
speech (the VAD's estimate), the VAD reporting it, the transcript reaching the turn detector,
the end-of-turn decision, the conductor's reply, the first synthesized audio and the first
audio frame played into the room. It is logged (logger ``voice_agent.worker.timeline``, the
stages in ``extra["reply_timeline"]``) and observed in ``..._reply_stage_seconds``, so the
bench and production read the same breakdown.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Final

logger = logging.getLogger(__name__)

# In the order they happen; each is measured from ``speech_ended``.
STAGES: Final = (
    "vad_end",
    "transcript",
    "turn_end",
    "reply_decided",
    "first_chunk",
    "first_frame",
)


@dataclass
class ReplyTimeline:
    """Epoch seconds of each stage of one reply; None for a stage not reached (yet)."""

    speech_ended: float | None = None
    vad_end: float | None = None
    transcript: float | None = None
    turn_end: float | None = None
    reply_decided: float | None = None
    first_chunk: float | None = None
    first_frame: float | None = None
    end_of_turn_probability: float | None = None
    # Whether the first line's audio was rendered before the turn ended.
    prepared: bool = False
    extra: dict[str, float] = field(default_factory=dict)

    def since_speech_end(self) -> dict[str, float]:
        """Each reached stage as seconds after the end of the candidate's speech."""
        if self.speech_ended is None:
            return {}
        return {
            stage: at - self.speech_ended
            for stage in STAGES
            if (at := getattr(self, stage)) is not None
        }

    def report(self) -> None:
        """Log the timeline (the bench collects these records)."""
        logger.info("reply timeline", extra={"reply_timeline": asdict(self)})

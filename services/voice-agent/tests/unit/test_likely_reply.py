"""The reply the conductor would give is known before the turn ends, and costs nothing."""

from __future__ import annotations

from common.events import InterviewSpec
from voice_agent.domain import Conductor, ConductorSettings

ANSWER = (
    "Each value goes into a hash set and a repeated value is a duplicate, so the time "
    "complexity is linear and the memory grows with the number of distinct values."
)


def test_the_likely_reply_is_the_reply_the_turn_then_gets(spec: InterviewSpec) -> None:
    conductor = Conductor(spec, seed=3)
    conductor.start(0)

    foreseen = conductor.likely_reply(ANSWER, 1_000, 9_000)
    replied = conductor.on_candidate_turn(ANSWER, 1_000, 9_000)

    assert [(u.text, u.style, u.kind) for u in foreseen] == [
        (u.text, u.style, u.kind) for u in replied
    ]


def test_foreseeing_a_reply_changes_nothing_in_the_interview(spec: InterviewSpec) -> None:
    conductor = Conductor(spec, seed=3)
    conductor.start(0)
    before = (conductor.turns, conductor.question_id, conductor.phase, conductor.progress)

    conductor.likely_reply("Skip this one, please.", 1_000, 2_000)
    conductor.likely_reply(ANSWER, 1_000, 9_000)

    assert (conductor.turns, conductor.question_id, conductor.phase, conductor.progress) == before


def test_the_lines_ahead_hold_whatever_the_reply_opens_with(spec: InterviewSpec) -> None:
    no_follow_ups = ConductorSettings(max_follow_ups=0)
    conductor = Conductor(spec, seed=3, settings=no_follow_ups)
    conductor.start(0)
    ahead = {(line.text, line.style) for line in conductor.lines_ahead()}
    before = (conductor.turns, conductor.question_id, conductor.phase)

    openings = set()
    for answer in (ANSWER, "I don't know.", "Um, a set, I guess."):
        probe = Conductor(spec, seed=3, settings=no_follow_ups)
        probe.start(0)
        reply = probe.on_candidate_turn(answer, 1_000, 9_000)
        assert {(line.text, line.style) for line in reply} <= ahead
        openings.add(reply[0].text)
    assert len(openings) > 1  # answers of different quality, acknowledged differently

    assert (conductor.turns, conductor.question_id, conductor.phase) == before
    assert spec.questions[1].text in {text for text, _ in ahead}

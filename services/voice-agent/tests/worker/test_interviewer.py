"""The interviewer in a text-only LiveKit session: what the candidate hears after each turn."""

from __future__ import annotations

import asyncio
import json

import pytest
from livekit import rtc
from livekit.agents.voice.run_result import RunResult

from common.events import InterviewSpec
from voice_agent.domain import Conductor, Phase
from voice_agent.repository import MongoSessionStore
from voice_agent.worker.journal import TranscriptJournal
from voice_agent.worker.main import (
    END_NOW_RPC,
    NOT_THE_CANDIDATE,
    end_on_request,
    turn_taking_policy,
)
from voice_agent.worker.settings import InterviewerSettings
from voice_agent.worker.turn_detection import PolicyTurnDetector, RecentAudio

from .conftest import SESSION_ID, StartInterview


def settings() -> InterviewerSettings:
    return InterviewerSettings(livekit_api_key="devkey", livekit_api_secret="secret")


def said(result: RunResult) -> list[str]:
    return [event.item.text_content or "" for event in result.events if event.type == "message"]


async def settle() -> None:
    # The interviewer's lines are handed to the session by tasks; let them run.
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_interviewer_greets_and_asks_the_first_question(
    start_interview: StartInterview,
) -> None:
    interview = await start_interview()
    await settle()
    turns = await interview.stored_turns()
    assert [kind for _, kind, _ in turns] == ["greeting", "question"]
    assert turns[1][2] == "How would you find duplicate values in a very large list?"


async def test_a_short_answer_gets_a_follow_up_then_the_next_question(
    start_interview: StartInterview,
) -> None:
    interview = await start_interview()
    first = await interview.session.run(user_input="I would put every value in a hash set.")
    first.expect.next_event().is_message(role="assistant")
    first.expect.no_more_events()
    assert interview.conductor.follow_ups_used == 1
    assert "?" in said(first)[0]

    answer = (
        "Each value goes into a hash set and a repeated value is a duplicate, so the time "
        "complexity is linear and the memory grows with the number of distinct values."
    )
    second = await interview.session.run(user_input=answer)
    lines = said(second)
    assert lines[-1] == "Tell me about a time you disagreed with a teammate."
    assert interview.conductor.question_id == "q-conflict"


async def test_asking_to_repeat_says_the_question_again(start_interview: StartInterview) -> None:
    interview = await start_interview()
    result = await interview.session.run(user_input="Sorry, could you repeat the question?")
    (line,) = said(result)
    assert "How would you find duplicate values in a very large list?" in line
    assert interview.conductor.question_id == "q-dupes"


async def test_skipping_moves_on_to_the_next_question(start_interview: StartInterview) -> None:
    interview = await start_interview()
    result = await interview.session.run(user_input="Can we skip this one?")
    lines = said(result)
    assert lines[-1] == "Tell me about a time you disagreed with a teammate."
    progress = {p.question_id: p.status for p in interview.conductor.progress}
    assert progress["q-dupes"] == "skipped"


async def test_let_me_think_gets_quiet_time_and_only_a_gentle_prompt(
    start_interview: StartInterview,
) -> None:
    interview = await start_interview()
    result = await interview.session.run(user_input="Hmm, let me think about that.")
    result.expect.no_more_events()
    assert interview.conductor.phase is Phase.THINKING

    interview.time.advance(10)
    assert await interview.interviewer.check_silence() == []  # ten seconds is still thinking
    interview.time.advance(6)
    (prompt,) = await interview.interviewer.check_silence()
    assert prompt.style == "empathetic"
    assert interview.conductor.question_id == "q-dupes"  # never the next question


async def test_a_long_silence_before_any_answer_gets_a_prompt(
    start_interview: StartInterview,
) -> None:
    interview = await start_interview()
    await settle()
    interview.time.advance(4)
    assert await interview.interviewer.check_silence() == []
    interview.time.advance(7)
    (prompt,) = await interview.interviewer.check_silence()
    await settle()
    turns = await interview.stored_turns()
    assert turns[-1] == ("interviewer", "other", prompt.text)


async def test_the_whole_interview_is_stored_and_finished(start_interview: StartInterview) -> None:
    interview = await start_interview()
    answers = [
        "I would put each value into a hash set, and when a value is already in the set it is "
        "a duplicate. The time complexity is linear in the size of the list.",
        "My teammate wanted to rewrite our billing service before a release. I thought it was "
        "too risky, so we compared both plans with our manager, agreed to ship first and "
        "rewrite after, and the release went out on time without incidents.",
        "That's all I have.",
    ]
    for answer in answers:
        if interview.conductor.finished:
            break
        await interview.session.run(user_input=answer)
    await settle()
    assert interview.outcomes == ["completed"]
    record = await interview.store.get(SESSION_ID)
    assert record is not None
    assert record.state == "completed"
    kinds = [t.kind for t in record.turns]
    assert kinds[0] == "greeting"
    assert kinds[-1] == "closing"
    assert kinds.count("question") == 2
    assert [t.text for t in record.turns] == [t.text for t in interview.conductor.turns]


async def test_ending_early_is_recorded_as_ended_early(start_interview: StartInterview) -> None:
    interview = await start_interview()
    await interview.session.run(user_input="I'd like to stop the interview now.")
    await settle()
    assert interview.outcomes == ["ended_early"]
    record = await interview.store.get(SESSION_ID)
    assert record is not None
    assert record.state == "ended_early"


async def test_ending_from_the_app_keeps_the_words_under_way_and_finishes_quietly(
    start_interview: StartInterview,
) -> None:
    interview = await start_interview()
    await settle()
    interview.time.advance(4)
    began = interview.time.seconds
    interview.time.advance(3)

    kept = await interview.interviewer.end_now(
        "I would put each value in a hash set, and then", started_at=began
    )

    assert kept is not None
    assert interview.outcomes == ["ended_early"]
    record = await interview.store.get(SESSION_ID)
    assert record is not None
    assert record.state == "ended_early"
    last = record.turns[-1]
    assert (last.speaker, last.kind, last.question_id) == ("candidate", "answer", "q-dupes")
    assert last.text == "I would put each value in a hash set, and then"
    assert last.end_ms - last.start_ms == 3_000
    # Nothing more is said, and a second request (or the API's own end) changes nothing.
    assert await interview.interviewer.end_now("more", started_at=began) is None
    assert interview.outcomes == ["ended_early"]
    assert (await interview.stored_turns())[-1][2] == last.text


async def test_the_end_request_is_taken_from_the_candidate_only(
    start_interview: StartInterview,
) -> None:
    interview = await start_interview()
    await settle()
    detector = PolicyTurnDetector(turn_taking_policy(settings()), RecentAudio(), None)
    detector.open_words = "so the first thing I would do is"
    handle = end_on_request(interview.interviewer, detector, "candidate-1")

    with pytest.raises(rtc.RpcError) as refused:
        await handle(rtc.RpcInvocationData("r1", "someone-else", "", 5.0, END_NOW_RPC))
    assert refused.value.code == NOT_THE_CANDIDATE
    assert interview.outcomes == []

    reply = await handle(rtc.RpcInvocationData("r2", "candidate-1", "", 5.0, END_NOW_RPC))

    assert json.loads(reply) == {"kept_words": 8}
    assert interview.outcomes == ["ended_early"]
    assert (await interview.stored_turns())[-1] == (
        "candidate",
        "answer",
        "so the first thing I would do is",
    )


async def test_a_resumed_interview_welcomes_back_and_asks_again(
    start_interview: StartInterview, spec: InterviewSpec
) -> None:
    before = await start_interview()
    await before.session.run(user_input="I would use a hash set.")
    await settle()
    stored = await before.store.get(SESSION_ID)
    assert stored is not None
    await before.session.aclose()

    conductor = Conductor.resume_from(spec, stored.turns, seed=7)
    after = await start_interview(conductor, resumed=True)
    await settle()
    new_lines = [t.text for t in after.conductor.turns[len(stored.turns) :]]
    assert len(new_lines) == 2
    assert new_lines[1] == stored.turns[-1].text  # the follow-up, asked again
    result = await after.session.run(
        user_input="The time complexity is linear because each lookup is constant time."
    )
    assert said(result)


async def test_journal_stores_turns_in_order_once_ready(
    spec: InterviewSpec, start_interview: StartInterview
) -> None:
    interview = await start_interview()
    await settle()
    store: MongoSessionStore = interview.store
    conductor = interview.conductor
    journal = TranscriptJournal(
        store, SESSION_ID, lambda: conductor.turns, stored=len(conductor.turns)
    )
    lines = conductor.on_candidate_turn("Can we skip this question?", 5_000, 6_000)
    assert len(lines) == 2
    candidate_index = lines[0].turn_index - 1
    journal.ready(lines[1].turn_index)  # the question is spoken before the acknowledgement
    journal.ready(candidate_index)
    await journal.drain(within_s=0.2)
    record = await store.get(SESSION_ID)
    assert record is not None
    assert record.turns[-1].kind == "other"  # the question waits for the line before it
    journal.ready(lines[0].turn_index)
    assert await journal.drain()
    record = await store.get(SESSION_ID)
    assert record is not None
    assert [t.kind for t in record.turns[-2:]] == ["acknowledgement", "question"]

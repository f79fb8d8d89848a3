"""Back-channels and think time, heard: real audio into and out of the worker's pieces.

A candidate speaks Piper audio with pauses into a microphone that runs in real time; the
interviewer's lines and back-channel clips are played, in real time, to recorders (see
``listening.py``). Every rule's parameter is read from its documented default
(``BackchannelRules()``, ``InterviewerSettings()``), so the tests follow the defaults.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from livekit.agents import llm

from common.events import Interview
from voice_agent.domain import DEFAULT_CLIPS, BackchannelRules
from voice_agent.speech import SphinxSTT, build_language_model
from voice_agent.worker.providers import SharedModels, load_shared_models
from voice_agent.worker.settings import InterviewerSettings

from .listening import Considered, HeardInterview, close, hear_interview, speech

# Real-time audio on two shared cores: when the recorder shows the machine fell behind the
# audio (the check in listening.py says so), the test is run again; any other failure is not.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.flaky(reruns=2, only_rerun=["cannot keep up with real-time audio"]),
]

# Parts of an answer that trail off mid-sentence (each over three seconds long)...
TRAILING = (
    "I would walk through the list once and keep every value in a hash set, and then",
    "when a value is already in the set I report it as a duplicate, and then",
    "because each lookup takes constant time on average the whole pass is linear, and then",
    "the memory grows with the number of distinct values in the list, and then",
    "if the list does not fit in memory I would sort it in chunks first, and then",
    "I would merge the sorted chunks and compare the neighbours, and then",
)
# ...a short one, and ones that sound finished.
SHORT_TRAILING = "Well, first, and"
FINISHED = "So the time complexity is linear in the size of the list."
FINISHED_EARLY = "I would walk through the list once and keep every value in a hash set."
FULL_ANSWER = (
    "I would walk through the list once and keep every value in a hash set, so the time "
    "complexity is linear."
)
LET_ME_THINK = "Hmm, let me think about that."

DEFAULTS = InterviewerSettings(livekit_api_key="devkey", livekit_api_secret="secret")
Start = Callable[..., Awaitable[HeardInterview]]


@pytest.fixture(scope="module")
def models() -> SharedModels:
    return load_shared_models()


@pytest.fixture
def recognizer(interview: Interview) -> SphinxSTT:
    # One decoder per interview, as in the worker: a closed session may leave an utterance open.
    recognizer = SphinxSTT(build_language_model(interview))
    recognizer.prewarm()
    return recognizer


@pytest.fixture
async def start(
    models: SharedModels, recognizer: SphinxSTT, interview: Interview
) -> AsyncIterator[Start]:
    started: list[HeardInterview] = []

    async def start(
        settings: InterviewerSettings = DEFAULTS, *, audio_end_of_turn: bool = True
    ) -> HeardInterview:
        shared = models if audio_end_of_turn else replace(models, end_of_turn=None)
        # Rendered before the interview starts: a pause must not grow while Piper works.
        for text in (
            *TRAILING,
            SHORT_TRAILING,
            FINISHED,
            FINISHED_EARLY,
            FULL_ANSWER,
            LET_ME_THINK,
        ):
            await speech(models.piper, text)
        heard = await hear_interview(interview, shared, recognizer, settings)
        started.append(heard)
        await heard.interviewer_done()  # "welcome back" and the question
        return heard

    yield start
    for heard in started:
        await close(heard)


def finishing(asked: Considered, rules: BackchannelRules) -> bool:
    """Whether the coach judged the candidate to be finishing when it asked the policy."""
    p = asked.observation.end_of_turn_probability
    return p is not None and p > rules.max_end_of_turn_probability


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


async def test_a_mid_answer_pause_gets_one_backchannel_on_its_own_track(start: Start) -> None:
    interview = await start()
    rules = interview.rules
    first = await interview.say(TRAILING[0])
    await interview.microphone.pause(3.0)
    second = await interview.say(FINISHED)
    await interview.interviewer_done()
    interview.require_real_time()

    (clip,) = interview.clips_between(first.ended_at, second.started_at)
    assert clip.started_at - first.ended_at >= rules.min_pause_ms / 1000
    assert clip.ended_at <= second.started_at  # never over the candidate
    assert interview.clips_between(second.started_at, math.inf) == []
    # The interviewer's own track stayed quiet through the pause.
    assert interview.lines_between(first.ended_at, second.started_at) == []

    turns = await interview.stored()
    backchannels = [t for t in turns if t.kind == "backchannel"]
    assert [(t.speaker, t.text in DEFAULT_CLIPS) for t in backchannels] == [("interviewer", True)]
    # One answer: neither the pause nor the clip cut it in two...
    answers = [t for t in turns if t.speaker == "candidate"]
    assert len(answers) == 1
    assert {"hash", "set"} <= words(answers[0].text)
    # ...and the clip never reached the recognizer or the conversation the model is given.
    assert backchannels[0].text.lower() not in answers[0].text.lower()
    messages = [i for i in interview.session.history.items if isinstance(i, llm.ChatMessage)]
    assert backchannels[0].text not in {m.text_content for m in messages}
    assert [m.role for m in messages].count("user") == 1


async def test_no_backchannel_in_the_first_seconds_of_an_answer(start: Start) -> None:
    interview = await start()
    rules = interview.rules
    opening = await interview.say(SHORT_TRAILING)
    # The whole pause falls inside the answer's quiet start.
    spoken = opening.ended_at - opening.started_at
    await interview.microphone.pause(rules.quiet_start_ms / 1000 - spoken - 0.2)
    first = await interview.say(TRAILING[0])
    await interview.microphone.pause(3.0)
    last = await interview.say(FINISHED)
    await interview.interviewer_done()
    interview.require_real_time()

    assert interview.clips_between(opening.started_at, first.started_at) == []
    early = [
        c
        for c in interview.considered_between(opening.ended_at, first.started_at)
        if c.observation.pause_ms >= rules.min_pause_ms
    ]
    # The pause was long enough and mid-sentence: only the quiet start held the clip back. (The
    # audio model is asked again as the pause grows and may call one moment of it finishing.)
    assert any(not finishing(c, rules) for c in early)
    assert all(c.observation.ms_since_answer_start < rules.quiet_start_ms for c in early)
    # Later in the same answer a pause does get one.
    assert len(interview.clips_between(first.ended_at, last.started_at)) == 1


async def test_backchannels_keep_a_minimum_gap(start: Start) -> None:
    interview = await start()
    rules = interview.rules
    min_gap = rules.min_gap_ms / 1000
    first = await interview.say(TRAILING[0])
    await interview.microphone.pause(1.6)
    second = await interview.say(SHORT_TRAILING)
    (clip,) = interview.clips_between(first.ended_at, second.started_at)
    # A second pause, long enough for a clip, that is over before the gap has passed.
    await interview.microphone.pause(clip.started_at + min_gap - 0.6 - second.ended_at)
    third = await interview.say(TRAILING[1])
    await interview.microphone.pause(3.0)
    last = await interview.say(FINISHED)
    await interview.interviewer_done()
    interview.require_real_time()

    assert interview.clips_between(second.ended_at, third.started_at) == []
    held_back = [
        c
        for c in interview.considered_between(second.ended_at, third.started_at)
        if c.observation.pause_ms >= rules.min_pause_ms
    ]
    assert held_back, "the second pause was too short to test the gap"
    assert all(
        c.observation.ms_since_last_backchannel is not None
        and c.observation.ms_since_last_backchannel < rules.min_gap_ms
        for c in held_back
    )
    # Once the gap has passed, the next pause gets one.
    assert len(interview.clips_between(third.ended_at, last.started_at)) == 1
    starts = [c.started_at for c in interview.player.clips]
    assert all(b - a >= min_gap for a, b in itertools.pairwise(starts))


async def test_no_more_backchannels_than_the_cap_per_answer(start: Start) -> None:
    interview = await start()
    rules = interview.rules
    assert len(TRAILING) >= rules.max_per_answer + 2
    pauses = []
    for part in TRAILING[: rules.max_per_answer + 2]:
        said = await interview.say(part)
        await interview.microphone.pause(2.5)
        pauses.append(said.ended_at)
    last = await interview.say(FINISHED)
    await interview.interviewer_done()
    interview.require_real_time()

    answer_clips = interview.clips_between(pauses[0], last.started_at)
    assert len(answer_clips) == rules.max_per_answer
    # After the last clip allowed, a pause that qualified on every other count got none.
    over_cap = [
        c
        for c in interview.considered_between(answer_clips[-1].started_at, last.started_at)
        if c.observation.pause_ms >= rules.min_pause_ms
        and not finishing(c, rules)
        and (c.observation.ms_since_last_backchannel or 0) >= rules.min_gap_ms
        and (c.observation.ms_since_last_backchannel or 0) > c.observation.pause_ms
    ]
    assert over_cap, "no pause after the last clip qualified otherwise"
    assert all(c.clip is None for c in over_cap)
    # Every clip played is in the transcript, as a back-channel.
    stored = [t for t in await interview.stored() if t.kind == "backchannel"]
    assert len(stored) == len(answer_clips)


async def test_a_pause_after_a_finished_sentence_gets_none_and_the_same_after_and_gets_one(
    start: Start,
) -> None:
    # The turn detector is asked to wait 4 s after a finished sentence however the audio model
    # hears it, so that pause is long enough for a clip and only the finishing judgement (the
    # words, then the audio model) holds it back.
    settings = DEFAULTS.model_copy(
        update={
            "unsure_end_silence_ms": 4_000,
            "complete_answer_words": 0,
            "end_of_turn_threshold": 1.0,
            "sure_end_of_turn_threshold": 1.0,
        }
    )
    interview = await start(settings)
    rules = interview.rules
    finished = await interview.say(FINISHED_EARLY)
    await interview.microphone.pause(2.5)
    # The same sentence, going on: "..., and then".
    trailing = await interview.say(TRAILING[0])
    await interview.microphone.pause(2.5)
    last = await interview.say(FINISHED)
    await interview.interviewer_done(within_s=30)
    interview.require_real_time()

    assert interview.clips_between(finished.ended_at, trailing.started_at) == []
    asked = [
        c
        for c in interview.considered_between(finished.ended_at, trailing.started_at)
        if c.observation.pause_ms >= rules.min_pause_ms
        and c.observation.ms_since_answer_start >= rules.quiet_start_ms
    ]
    assert asked, "the pause after the finished sentence was never judged"
    assert all(finishing(c, rules) for c in asked)
    assert len(interview.clips_between(trailing.ended_at, last.started_at)) == 1
    # No line of the interviewer's came before the answer was over.
    assert interview.lines_between(finished.ended_at, last.started_at) == []


async def test_no_backchannel_in_the_silence_after_an_answer(start: Start) -> None:
    interview = await start()
    first = await interview.say(TRAILING[0])
    await interview.microphone.pause(3.0)
    last = await interview.say(FINISHED)
    await interview.interviewer_done()
    reply = interview.lines_between(last.ended_at, math.inf)[0]
    await interview.microphone.pause(3.0)  # and a silence after the reply
    interview.require_real_time()

    assert len(interview.clips_between(first.ended_at, last.started_at)) == 1
    assert reply.started_at > last.ended_at
    assert interview.clips_between(last.ended_at, math.inf) == []


async def test_a_pause_up_to_the_think_limit_inside_an_answer_does_not_end_it(
    start: Start,
) -> None:
    interview = await start()
    think_s = DEFAULTS.max_think_pause_ms / 1000
    first = await interview.say(TRAILING[0])
    await interview.microphone.pause(think_s - 1.0)
    last = await interview.say(FINISHED)
    await interview.interviewer_done()
    interview.require_real_time()

    assert interview.lines_between(first.ended_at, last.started_at) == []
    answers = [t for t in await interview.stored() if t.speaker == "candidate"]
    assert len(answers) == 1
    # Both parts are in it (as far as the recognizer made them out).
    assert {"hash", "set", "value", "walk"} & words(answers[0].text)
    assert {"time", "complexity", "linear", "size", "list"} & words(answers[0].text)
    (reply, *_) = interview.lines_between(last.ended_at, math.inf)
    assert reply.started_at > last.ended_at


async def test_let_me_think_keeps_the_floor_with_the_candidate(start: Start) -> None:
    interview = await start()
    think_s = DEFAULTS.max_think_pause_ms / 1000
    thinking = await interview.say(LET_ME_THINK)
    await interview.microphone.pause(think_s)
    answer = await interview.say(FULL_ANSWER)
    await interview.interviewer_done()
    interview.require_real_time()

    assert interview.lines_between(thinking.ended_at, answer.started_at) == []
    turns = await interview.stored()
    heard = [(t.kind, t.question_id) for t in turns if t.speaker == "candidate"]
    assert heard[0] == ("other", "q-dupes")  # "let me think" is no answer...
    assert ("answer", "q-dupes") in heard[1:]  # ...the answer after it is, to the same question


async def test_a_longer_silence_mid_answer_gets_a_gentle_prompt_not_the_next_question(
    start: Start,
) -> None:
    interview = await start()
    think_s = DEFAULTS.max_think_pause_ms / 1000
    first = await interview.say(TRAILING[0])
    await interview.interviewer_done(within_s=think_s + 10)
    interview.require_real_time()

    (prompt, *_) = interview.lines_between(first.ended_at, math.inf)
    # The worker counts the silence from where its voice activity detector placed the end of
    # the speech: measured 0.1-0.3 s before the microphone's last loud frame.
    assert prompt.started_at - first.ended_at >= think_s - 0.5
    turns = await interview.stored()
    after = [t for t in turns if t.speaker == "interviewer" and t.kind != "backchannel"][-1]
    assert after.kind == "other"
    assert after.style == "empathetic"
    assert after.question_id == "q-dupes"
    assert interview.conductor.question_index == 0
    assert interview.conductor.follow_ups_used == 0

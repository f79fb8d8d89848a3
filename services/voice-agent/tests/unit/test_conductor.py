"""The conductor runs an interview the way a considerate human interviewer would."""

from __future__ import annotations

from itertools import pairwise

import pytest

from common.events import InterviewSpec, Question
from voice_agent.domain import (
    Conductor,
    ConductorError,
    ConductorSettings,
    FollowUpReason,
    FollowUpRequest,
    Phase,
    QuestionStatus,
    Utterance,
)

FULL_DUPES_ANSWER = (
    "I would walk the list once and keep every value in a hash set, so each lookup is "
    "constant time. Overall that is O(n) time complexity. The trade-off is memory: the set "
    "can grow as large as the list itself."
)
FULL_CONFLICT_ANSWER = (
    "In my last job a teammate and I disagreed about our release process, that was the "
    "situation. I set up a call, we communicated openly and wrote both options down. "
    "The result was a shared checklist and releases got noticeably smoother."
)
FULL_CACHE_ANSWER = (
    "When the same rows are read again and again, a cache cuts latency for those repeated "
    "reads. The hard part is invalidation, so I would expire entries on writes and keep "
    "a short time to live."
)


class Clock:
    """Hands out increasing times so tests read like a conversation."""

    def __init__(self) -> None:
        self.now = 0

    def span(self, ms: int) -> tuple[int, int]:
        start = self.now + 1_000
        self.now = start + ms
        return start, self.now


def say(conductor: Conductor, clock: Clock, text: str, ms: int = 4_000) -> list[Utterance]:
    start, end = clock.span(ms)
    return conductor.on_candidate_turn(text, start, end, stt_confidence=0.9)


def kinds(utterances: list[Utterance]) -> list[str]:
    return [u.kind for u in utterances]


def assert_ended_early(conductor: Conductor, *statuses: QuestionStatus) -> None:
    """Finished ``ended_early`` with the first questions in ``statuses``, the rest pending."""
    assert conductor.finished
    assert conductor.outcome == "ended_early"
    rest = [QuestionStatus.PENDING] * (len(conductor.progress) - len(statuses))
    assert [p.status for p in conductor.progress] == [*statuses, *rest]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conductor(spec: InterviewSpec) -> Conductor:
    return Conductor(spec, seed=7)


def test_start_greets_warmly_then_asks_the_first_question(
    conductor: Conductor, spec: InterviewSpec
) -> None:
    out = conductor.start(0)

    assert kinds(out) == ["greeting", "question"]
    assert out[0].style == "warm"
    assert "3 questions" in out[0].text
    assert "Python and PostgreSQL" in out[0].text
    assert out[1].text == spec.questions[0].text
    assert out[1].style == "neutral"
    assert out[1].question_id == "q-dupes"
    assert conductor.phase is Phase.LISTENING
    assert conductor.question_index == 0


def test_full_interview_turn_by_turn(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)

    # Q1 answered in full: no follow-up, an encouraging acknowledgement, then Q2.
    out = say(conductor, clock, FULL_DUPES_ANSWER, 12_000)
    assert kinds(out) == ["acknowledgement", "question"]
    assert out[0].style == "encouraging"
    assert out[1].question_id == "q-conflict"

    # Q2 without the result: one follow-up about it, then the answer completes it.
    out = say(
        conductor,
        clock,
        "The situation was a disagreement with a teammate about code style. We communicated "
        "in a long call and talked it through with the whole team.",
        10_000,
    )
    assert kinds(out) == ["follow_up"]
    assert out[0].follow_up is not None
    assert out[0].follow_up.key_point == "Shares the result"
    assert conductor.follow_ups_used == 1
    out = say(conductor, clock, "The result was a lint config everyone agreed on.")
    assert kinds(out) == ["acknowledgement", "question"]
    assert "last" in out[0].text.lower()
    assert out[1].question_id == "q-cache"

    out = say(conductor, clock, FULL_CACHE_ANSWER, 12_000)
    assert kinds(out) == ["acknowledgement", "closing"]
    assert out[1].style == "warm"
    assert conductor.finished
    assert conductor.outcome == "completed"
    assert conductor.question_index is None
    assert [p.status for p in conductor.progress] == [QuestionStatus.ANSWERED] * 3

    turns = conductor.turns
    assert [t.kind for t in turns if t.speaker == "candidate"] == ["answer"] * 4
    asked = [t.question_id for t in turns if t.kind == "question"]
    assert asked == ["q-dupes", "q-conflict", "q-cache"]
    assert all(t.style is not None for t in turns if t.speaker == "interviewer")
    # Timings are consistent: every turn ends after it starts, interviewer lines don't overlap.
    interviewer = [t for t in turns if t.speaker == "interviewer"]
    assert all(a.end_ms <= b.start_ms for a, b in pairwise(interviewer))


def test_follow_up_targets_the_missed_key_point_with_the_questions_own_follow_up(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)

    out = say(
        conductor,
        clock,
        "I'd keep the values I've seen in a hash set, which gives constant-time lookups, and "
        "the whole pass is O(n) time complexity.",
    )

    assert kinds(out) == ["follow_up"]
    assert out[0].text == "What would that cost in memory, and is there a trade-off?"
    assert out[0].style == "probing"
    assert out[0].follow_up is not None
    assert out[0].follow_up.reason is FollowUpReason.MISSED_KEY_POINT


def test_follow_up_is_composed_from_the_key_point_when_no_prepared_one_fits(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    say(conductor, clock, FULL_DUPES_ANSWER)

    out = say(
        conductor,
        clock,
        "We disagreed about testing, so I communicated my view in a meeting and we agreed "
        "on the result: more tests.",
    )

    assert kinds(out) == ["follow_up"]
    assert "situation" in out[0].text
    assert out[0].text.endswith("?")


def test_no_follow_up_when_every_key_point_is_covered(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)

    out = say(conductor, clock, FULL_DUPES_ANSWER)

    assert "follow_up" not in kinds(out)
    assert conductor.progress[0].follow_ups_used == 0
    assert conductor.progress[0].missed_points == ()


def test_short_answer_gets_a_follow_up_even_when_it_names_the_key_points(
    open_question: Question,
) -> None:
    spec = InterviewSpec(
        role="frontend", interview_type="behavioral", level="junior", questions=[open_question]
    )
    conductor = Conductor(spec)
    conductor.start(0)

    out = conductor.on_candidate_turn("Our checkout redesign.", 5_000, 7_000)

    assert kinds(out) == ["follow_up"]
    assert out[0].text == "What made that hard?"  # the question's own follow-up
    assert out[0].follow_up is not None
    assert out[0].follow_up.reason is FollowUpReason.SHORT_ANSWER


def test_never_more_follow_ups_than_the_setting_allows(spec: InterviewSpec, clock: Clock) -> None:
    conductor = Conductor(spec, settings=ConductorSettings(max_follow_ups=2))
    conductor.start(0)

    first = say(conductor, clock, "I would sort the list first and compare neighbours.")
    second = say(conductor, clock, "Sorting is fine for most inputs I think.")
    third = say(conductor, clock, "Yes, it works in place.")

    assert kinds(first) == ["follow_up"]
    assert kinds(second) == ["follow_up"]
    assert kinds(third) == ["acknowledgement", "question"]
    assert conductor.progress[0].follow_ups_used == 2
    # Each follow-up asked about a different missed point.
    asked = [u.follow_up.key_point for u in first + second if u.follow_up is not None]
    assert len(set(asked)) == 2


def test_zero_follow_ups_moves_straight_on(spec: InterviewSpec, clock: Clock) -> None:
    conductor = Conductor(spec, settings=ConductorSettings(max_follow_ups=0))
    conductor.start(0)

    out = say(conductor, clock, "Sort it.")

    assert kinds(out) == ["acknowledgement", "question"]


def test_repeat_says_the_question_again_without_counting_an_answer(
    conductor: Conductor, clock: Clock, spec: InterviewSpec
) -> None:
    conductor.start(0)

    out = say(conductor, clock, "Sorry, could you repeat that?", 1_500)

    assert kinds(out) == ["other"]
    assert spec.questions[0].text in out[0].text
    assert conductor.question_index == 0
    assert conductor.progress[0].status is QuestionStatus.ASKED
    assert conductor.follow_ups_used == 0
    assert conductor.turns[-2].kind == "other"  # the request is not an answer


def test_repeat_after_a_follow_up_repeats_the_follow_up(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)
    follow_up = say(conductor, clock, "I'd use a hash set for constant time lookups, O(n).")

    out = say(conductor, clock, "Pardon?", 800)

    assert follow_up[0].text in out[0].text
    assert conductor.follow_ups_used == 1


def test_skip_moves_on_and_marks_the_question_skipped(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)

    out = say(conductor, clock, "Can we skip this one?", 1_500)

    assert kinds(out) == ["acknowledgement", "question"]
    assert out[1].question_id == "q-conflict"
    assert conductor.progress[0].status is QuestionStatus.SKIPPED


def test_let_me_think_waits_without_a_reply_or_advancing(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)

    out = say(conductor, clock, "Hmm, let me think.", 1_200)

    assert out == []
    assert conductor.phase is Phase.THINKING
    assert conductor.question_index == 0
    # The answer after thinking is taken as the answer to the same question.
    out = say(conductor, clock, FULL_DUPES_ANSWER)
    assert kinds(out) == ["acknowledgement", "question"]
    assert conductor.progress[0].status is QuestionStatus.ANSWERED


def test_want_to_stop_closes_early(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)
    say(conductor, clock, FULL_DUPES_ANSWER)

    out = say(conductor, clock, "I want to stop the interview now.", 2_000)

    assert kinds(out) == ["closing"]
    assert_ended_early(conductor, QuestionStatus.ANSWERED, QuestionStatus.ASKED)


def test_ending_from_the_app_keeps_the_words_under_way_as_the_answer(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    say(conductor, clock, FULL_DUPES_ANSWER)
    start, end = clock.span(3_000)

    kept = conductor.end_now("  In my last job we disagreed about releases, and then ", start, end)

    assert kept is not None
    assert (kept.speaker, kept.kind, kept.question_id) == ("candidate", "answer", "q-conflict")
    assert kept.text == "In my last job we disagreed about releases, and then"
    assert (kept.start_ms, kept.end_ms) == (start, end)
    assert conductor.turns[-1] == kept  # nothing said after it: no closing line
    assert_ended_early(conductor, QuestionStatus.ANSWERED, QuestionStatus.ANSWERED)
    # Ended is ended: a second request changes nothing.
    assert conductor.end_now("more words", end, end + 10) is None
    assert conductor.turns[-1] == kept


def test_ending_from_the_app_without_words_under_way_keeps_the_record_as_it_is(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    before = conductor.turns

    assert conductor.end_now("   ", 5_000, 5_000) is None

    assert conductor.turns == before
    assert conductor.outcome == "ended_early"
    assert conductor.progress[0].status is QuestionStatus.ASKED


def test_ending_from_the_app_checks_the_words_and_times(conductor: Conductor) -> None:
    conductor.start(0)
    with pytest.raises(ValueError, match="open_words must be at most"):
        conductor.end_now("word " * 5_000, 0, 10)
    with pytest.raises(ValueError, match=r"end_ms \(5\) must not be before start_ms \(9\)"):
        conductor.end_now("words", 9, 5)
    assert not conductor.finished


def test_im_done_before_answering_ends_the_interview(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)

    out = say(conductor, clock, "I'm done.", 800)

    assert kinds(out) == ["closing"]
    assert conductor.outcome == "ended_early"


def test_thats_all_after_an_answer_means_the_answer_is_complete(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    say(conductor, clock, "I'd use a hash set for constant time lookups, O(n).")

    out = say(conductor, clock, "That's all.", 800)

    assert kinds(out) == ["acknowledgement", "question"]
    assert not conductor.finished


def test_stopping_on_the_last_question_after_answering_it_counts_as_completed(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    say(conductor, clock, FULL_DUPES_ANSWER)
    say(conductor, clock, FULL_CONFLICT_ANSWER)
    say(conductor, clock, "A cache reduces latency for repeated reads.")

    out = say(conductor, clock, "I'd like to end the interview here.")

    assert kinds(out) == ["closing"]
    assert conductor.outcome == "completed"


def test_i_dont_know_gets_one_gentle_hint_then_moves_on(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)

    hint = say(conductor, clock, "I don't know.", 1_000)
    assert kinds(hint) == ["follow_up"]
    assert hint[0].style == "empathetic"
    assert hint[0].follow_up is not None
    assert hint[0].follow_up.reason is FollowUpReason.HINT
    assert "hash set" in hint[0].text

    out = say(conductor, clock, "Honestly, I have no idea.", 1_000)
    assert kinds(out) == ["acknowledgement", "question"]
    assert out[0].style == "empathetic"
    assert out[1].style == "neutral"
    assert conductor.progress[0].status is QuestionStatus.UNANSWERED
    assert [t.kind for t in conductor.turns if t.speaker == "candidate"] == ["answer", "answer"]


def test_i_dont_know_without_hints_moves_on_at_once(spec: InterviewSpec, clock: Clock) -> None:
    conductor = Conductor(spec, settings=ConductorSettings(hint_on_dont_know=False))
    conductor.start(0)

    out = say(conductor, clock, "I don't know.", 1_000)

    assert kinds(out) == ["acknowledgement", "question"]
    assert out[0].style == "empathetic"


def test_a_hesitant_guess_is_an_answer_not_a_dont_know(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)

    out = say(conductor, clock, "I don't know, maybe a hash set?", 2_000)

    assert kinds(out) == ["follow_up"]
    assert out[0].follow_up is not None
    assert out[0].follow_up.reason is FollowUpReason.MISSED_KEY_POINT


def test_backchannels_are_logged_but_never_conversation_turns(
    spec: InterviewSpec, clock: Clock
) -> None:
    plain = Conductor(spec, seed=3)
    with_backchannels = Conductor(spec, seed=3)
    plain.start(0)
    with_backchannels.start(0)

    with_backchannels.record_backchannel("mhm", 9_000, 9_400)
    with_backchannels.record_backchannel("right", 14_000, 14_300)
    a = say(plain, Clock(), FULL_DUPES_ANSWER, 12_000)
    b = say(with_backchannels, Clock(), FULL_DUPES_ANSWER, 12_000)

    assert [u.text for u in a] == [u.text for u in b]
    logged = [t for t in with_backchannels.turns if t.kind == "backchannel"]
    assert [t.text for t in logged] == ["mhm", "right"]
    assert all(t.speaker == "interviewer" and t.question_id == "q-dupes" for t in logged)


def test_long_silence_gets_a_gentle_prompt_not_the_next_question(
    conductor: Conductor,
) -> None:
    conductor.start(0)
    question_end = conductor.turns[-1].end_ms

    assert conductor.on_silence(question_end + 9_000, 9_000) == []
    out = conductor.on_silence(question_end + 10_000, 10_000)

    assert kinds(out) == ["other"]
    assert "Take your time" in out[0].text
    assert out[0].style == "empathetic"
    assert conductor.question_index == 0


def test_an_answer_cut_off_by_a_long_pause_mid_sentence_gets_a_nudge_not_a_judgement(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    # Only the think-time limit ends a turn that trails off like this one.
    out = say(conductor, clock, "I would keep every value in a hash set and then")

    assert kinds(out) == ["other"]
    assert "go on" in out[0].text.lower() or "carry on" in out[0].text.lower()
    assert out[0].style == "empathetic"
    assert conductor.question_index == 0
    assert conductor.follow_ups_used == 0
    # The rest of the answer is judged together with the first part.
    out = say(conductor, clock, FULL_DUPES_ANSWER)
    assert kinds(out) == ["acknowledgement", "question"]
    assert conductor.question_index == 1


def test_after_let_me_think_the_prompt_waits_longer(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)
    clock.now = conductor.turns[-1].end_ms
    say(conductor, clock, "Give me a second to think.", 1_500)

    assert conductor.on_silence(clock.now + 12_000, 12_000) == []
    out = conductor.on_silence(clock.now + 15_000, 15_000)

    assert kinds(out) == ["other"]


def test_silence_prompts_stop_after_the_limit(conductor: Conductor) -> None:
    conductor.start(0)
    now = conductor.turns[-1].end_ms

    prompts = []
    for _ in range(5):
        now += 11_000
        out = conductor.on_silence(now, 11_000)
        prompts += out
        if out:
            now = conductor.turns[out[-1].turn_index].end_ms

    assert len(prompts) == 2
    assert prompts[0].text != prompts[1].text


def test_silence_prompt_does_not_fire_while_the_interviewer_is_talking(
    conductor: Conductor,
) -> None:
    conductor.start(0)
    question = conductor.turns[-1]

    # The caller counted silence from the greeting; the question itself was not silence.
    assert conductor.on_silence(question.end_ms + 2_000, question.end_ms + 2_000) == []


def test_yes_after_the_prompt_repeats_the_question(
    conductor: Conductor, clock: Clock, spec: InterviewSpec
) -> None:
    conductor.start(0)
    now = conductor.turns[-1].end_ms + 10_000
    conductor.on_silence(now, 10_000)
    clock.now = now + 5_000

    out = say(conductor, clock, "Yes please.", 700)

    assert kinds(out) == ["other"]
    assert spec.questions[0].text in out[0].text
    assert conductor.progress[0].status is QuestionStatus.ASKED


def test_tone_follows_the_answer(conductor: Conductor, clock: Clock) -> None:
    conductor.start(0)

    partial = say(conductor, clock, "I would sort the list first and then compare neighbours.")
    assert partial[0].style == "probing"

    struggling = say(conductor, clock, "Um, uh, not, um, really.", 2_000)
    assert struggling[0].style == "empathetic"


class EchoingPhraser:
    """A stand-in for an LLM phraser: rewords the subject it is given."""

    def __init__(self, reply: str | None = None) -> None:
        self.requests: list[FollowUpRequest] = []
        self.reply = reply

    def phrase(self, request: FollowUpRequest) -> str:
        self.requests.append(request)
        if self.reply is not None:
            return self.reply
        return f"Interesting. And what about {request.key_point}?"


def test_a_custom_phraser_words_the_follow_up_the_policy_chose(
    spec: InterviewSpec, clock: Clock
) -> None:
    phraser = EchoingPhraser()
    conductor = Conductor(spec, phraser=phraser)
    conductor.start(0)

    out = say(conductor, clock, "I'd sort it and compare neighbours, that is O(n log n).")

    assert out[0].text == "Interesting. And what about Uses a hash set for constant-time lookups?"
    assert phraser.requests[0].key_point == "Uses a hash set for constant-time lookups"
    assert conductor.turns[-1].text == out[0].text


@pytest.mark.parametrize("reply", ["", "Tell me more.", "x" * 400 + "?"])
def test_unspeakable_phrasing_falls_back_to_the_rules(
    spec: InterviewSpec, clock: Clock, reply: str
) -> None:
    conductor = Conductor(spec, phraser=EchoingPhraser(reply))
    conductor.start(0)

    out = say(conductor, clock, "I'd sort it and compare neighbours, that is O(n log n).")

    assert out[0].kind == "follow_up"
    assert out[0].text.endswith("?")
    assert len(out[0].text) < 300


def test_record_spoken_replaces_the_estimated_timing_and_wording(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    out = say(conductor, clock, "I'd use a hash set for constant time lookups, O(n).")
    index = out[0].turn_index

    turn = conductor.record_spoken(
        index, 20_000, 23_500, interrupted=True, text="So what does the memory side look like?"
    )

    assert conductor.turns[index] == turn
    assert (turn.start_ms, turn.end_ms, turn.interrupted) == (20_000, 23_500, True)
    again = say(conductor, clock, "Could you say that again?", 900)
    assert "So what does the memory side look like?" in again[0].text


def test_blank_speech_is_ignored(conductor: Conductor) -> None:
    conductor.start(0)
    before = len(conductor.turns)

    assert conductor.on_candidate_turn("   ", 5_000, 5_100) == []
    assert len(conductor.turns) == before


def test_speech_after_the_closing_is_recorded_without_a_reply(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    say(conductor, clock, "End the interview please.")

    out = say(conductor, clock, "Thanks, bye!", 700)

    assert out == []
    assert conductor.turns[-1].speaker == "candidate"
    assert conductor.turns[-1].question_id is None


def test_turn_before_start_is_refused(spec: InterviewSpec) -> None:
    with pytest.raises(ConductorError, match="start"):
        Conductor(spec).on_candidate_turn("Hello?", 0, 500)


def test_start_twice_is_refused(conductor: Conductor) -> None:
    conductor.start(0)
    with pytest.raises(ConductorError, match="already"):
        conductor.start(1_000)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Hi", -1, 10), "start_ms must be >= 0"),
        (("Hi", 500, 100), "end_ms"),
        (("x" * 10_001, 0, 10), "at most 10000 characters"),
    ],
)
def test_bad_turn_input_names_the_field(
    conductor: Conductor, args: tuple[str, int, int], message: str
) -> None:
    conductor.start(0)
    with pytest.raises(ValueError, match=message):
        conductor.on_candidate_turn(*args)


def test_bad_confidence_names_the_limit(conductor: Conductor) -> None:
    conductor.start(0)
    with pytest.raises(ValueError, match="stt_confidence must be between 0 and 1"):
        conductor.on_candidate_turn("Hi", 0, 10, stt_confidence=1.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_follow_ups": 6}, "max_follow_ups must be between 0 and 5"),
        ({"max_follow_ups": -1}, "max_follow_ups must be between 0 and 5"),
        ({"short_answer_words": 501}, "short_answer_words must be between 0 and 500"),
        ({"interviewer_words_per_minute": 10}, "interviewer_words_per_minute"),
        ({"interviewer_name": " "}, "interviewer_name"),
    ],
)
def test_bad_settings_name_the_field_and_limit(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ConductorSettings(**kwargs)  # type: ignore[arg-type]


def run_script(spec: InterviewSpec, seed: int) -> list[tuple[str, str, str]]:
    conductor = Conductor(spec, seed=seed)
    clock = Clock()
    out = conductor.start(0)
    for line in [
        "I'd sort the list first and compare neighbours.",
        "It is n log n I believe.",
        "I don't know.",
        "Could you repeat that?",
        "Let me think.",
        "We disagreed about testing and I communicated my view.",
        "Skip this one please.",
        "A cache reduces latency for repeated reads.",
        "I'd expire entries on writes to handle invalidation.",
    ]:
        out += say(conductor, clock, line)
    return [(u.kind, u.style, u.text) for u in out]


def test_same_seed_same_interview_different_seed_different_wording(spec: InterviewSpec) -> None:
    first = run_script(spec, seed=11)

    assert run_script(spec, seed=11) == first
    other = run_script(spec, seed=12)
    assert [(k, s) for k, s, _ in other] == [(k, s) for k, s, _ in first]
    assert [t for *_, t in other] != [t for *_, t in first]


def test_record_spoken_refuses_a_candidate_turn_or_a_missing_index(
    conductor: Conductor, clock: Clock
) -> None:
    conductor.start(0)
    say(conductor, clock, "Let me think.", 900)
    candidate_index = len(conductor.turns) - 1

    with pytest.raises(ValueError, match="is a candidate turn"):
        conductor.record_spoken(candidate_index, 0, 10)
    with pytest.raises(ValueError, match="turn_index must be between 0 and"):
        conductor.record_spoken(99, 0, 10)


def test_a_blank_backchannel_clip_is_refused(conductor: Conductor) -> None:
    conductor.start(0)
    with pytest.raises(ValueError, match="clip must not be blank"):
        conductor.record_backchannel(" ", 100, 200)

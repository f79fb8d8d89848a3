"""Multi-turn setup chats: one question at a time, corrections, confirmation."""

from __future__ import annotations

import pytest

from interview_builder.domain.conversation import (
    SetupConversation,
    SetupError,
    SetupIncompleteError,
    SetupReply,
    SetupState,
)
from interview_builder.domain.slots import SetupSlots, SlotName, SlotUpdate


def _chat(*messages: str) -> tuple[SetupConversation, list[SetupReply]]:
    conversation = SetupConversation()
    replies = [conversation.start()]
    replies += [conversation.handle(message) for message in messages]
    return conversation, replies


def test_greeting_explains_both_ways_and_asks_for_the_role() -> None:
    reply = SetupConversation().start()

    assert "frontend, backend or fullstack" in reply.text
    assert "6 questions on Python and Kafka" in reply.text
    assert reply.asking == "role"
    assert reply.missing == ["role", "level", "interview_type", "tech_stack"]


def test_asks_for_one_missing_slot_at_a_time_in_order() -> None:
    _, replies = _chat("backend", "senior please", "technical", "python and kafka")

    assert [reply.asking for reply in replies] == [
        "role",
        "level",
        "interview_type",
        "tech_stack",
        "confirmation",
    ]
    examples = {
        "role": "frontend, backend or fullstack",
        "level": "junior, mid or senior",
        "interview_type": "behavioral",
        "tech_stack": "no preference",
    }
    for reply in replies[:-1]:
        assert reply.asking is not None
        # Each reply asks for its slot with valid examples, and for no other slot.
        named = [slot for slot, example in examples.items() if example in reply.text]
        assert named == [reply.asking]


def test_everything_in_one_sentence_goes_straight_to_the_summary() -> None:
    _, replies = _chat("senior backend, technical, 6 questions on Python and Kafka")

    assert replies[-1].missing == []
    assert replies[-1].asking == "confirmation"
    assert "A senior backend technical interview, 6 questions on python and kafka." in (
        replies[-1].text
    )
    assert replies[-1].text.endswith("?")


def test_yes_to_the_summary_finishes_and_confirm_returns_the_slots() -> None:
    conversation, replies = _chat(
        "senior backend, technical, 6 questions on Python and Kafka", "yes"
    )

    assert replies[-1].done
    assert conversation.confirm() == SetupSlots(
        role="backend",
        interview_type="technical",
        level="senior",
        question_count=6,
        tech_stack=["python", "kafka"],
    )


def test_corrections_after_the_summary_update_it_and_ask_again() -> None:
    conversation, replies = _chat(
        "senior backend, technical, 6 questions on Python and Kafka",
        "actually make it 8",
        "drop kafka",
        "add react too",
        "instead of python use go",
        "no, frontend",
    )

    assert "8 questions on python and kafka" in replies[2].text
    assert "8 questions on python." in replies[3].text
    assert "on python and react" in replies[4].text
    assert "on react and go" in replies[5].text
    assert "A senior frontend technical interview" in replies[6].text
    assert not any(reply.done for reply in replies)
    assert conversation.draft.tech_stack == ["react", "go"]
    assert conversation.draft.role == "frontend"


def test_no_to_the_summary_asks_what_to_change_without_losing_anything() -> None:
    conversation, replies = _chat("mid fullstack behavioural", "no")

    assert "what would you like to change" in replies[-1].text
    assert not replies[-1].done
    assert conversation.draft.role == "fullstack"
    assert conversation.draft.level == "mid"


def test_behavioral_interview_needs_no_tech_stack_and_proposes_the_default_count() -> None:
    conversation, replies = _chat("junior frontend", "behavioural")

    assert replies[-1].missing == []
    assert "5 questions" in replies[-1].text
    assert "default" in replies[-1].text
    assert conversation.confirm().question_count == 5


def test_no_preference_settles_the_stack_for_a_technical_interview() -> None:
    conversation, replies = _chat("senior backend technical", "no preference")

    assert replies[-1].missing == []
    assert "no particular technology" in replies[-1].text
    assert conversation.confirm().tech_stack == []


def test_both_means_fullstack_when_asked_for_the_role_and_mixed_when_asked_for_the_type() -> None:
    conversation, _ = _chat("both", "mid", "both")

    assert conversation.draft.role == "fullstack"
    assert conversation.draft.interview_type == "mixed"


def test_too_many_questions_is_refused_with_the_limit_and_nothing_changes() -> None:
    conversation, replies = _chat("senior backend technical on python", "50 questions")

    assert "between 1 and 20" in replies[-1].text
    assert "50" in replies[-1].text
    assert [problem.slot for problem in replies[-1].problems] == ["question_count"]
    assert conversation.draft.question_count is None
    assert replies[-1].asking == "confirmation"


def test_unknown_technology_is_reported_with_a_close_match() -> None:
    conversation, replies = _chat("senior backend technical", "pyhton")

    assert "pyhton" in replies[-1].text
    assert "python" in replies[-1].text
    assert replies[-1].asking == "tech_stack"
    assert conversation.draft.tech_stack == []


def test_too_few_questions_for_the_stack_offers_a_count_that_fits() -> None:
    conversation, replies = _chat(
        "junior frontend, a mix", "react, typescript, css, html", "2 questions", "yes"
    )

    assert "Shall I make it 7 questions" in replies[3].text
    assert replies[3].asking == "question_count"
    assert conversation.draft.question_count == 7
    assert replies[4].asking == "confirmation"


def test_default_count_grows_so_every_technology_gets_a_question() -> None:
    conversation, replies = _chat("senior backend technical on python, go, kafka, redis, sql, aws")

    assert replies[-1].proposed_question_count == 6
    assert conversation.confirm().question_count == 6


def test_confirm_names_every_missing_slot() -> None:
    conversation, _ = _chat("backend")

    with pytest.raises(SetupIncompleteError) as raised:
        conversation.confirm()

    assert raised.value.missing == ["level", "interview_type", "tech_stack"]
    assert "level, interview_type, tech_stack" in str(raised.value)


def test_confirm_refuses_a_count_too_small_for_the_stack() -> None:
    conversation, _ = _chat("senior backend technical, 2 questions on python, go and kafka")

    with pytest.raises(SetupError, match="question_count must be at least 3"):
        conversation.confirm()


def test_unintelligible_message_repeats_the_question() -> None:
    _, replies = _chat("backend", "hmm let me think")

    assert replies[-1].asking == "level"
    assert "junior, mid or senior" in replies[-1].text
    assert replies[-1].slots.role == "backend"


def test_replies_vary_but_the_same_chat_always_reads_the_same() -> None:
    messages = ("backend", "hmm", "what", "senior", "technical", "python")
    _, first = _chat(*messages)
    _, second = _chat(*messages)

    assert [reply.text for reply in first] == [reply.text for reply in second]
    assert first[2].text != first[3].text  # the repeated question is worded differently


def test_changes_after_yes_reopen_the_confirmation() -> None:
    _, replies = _chat("mid fullstack behavioural", "yes", "make it 3 questions", "yes")

    assert [reply.done for reply in replies[1:]] == [False, True, False, True]
    assert "3 questions" in replies[3].text


class ScriptedExtractor:
    """A stand-in for an LLM-backed extractor: returns prepared updates in order."""

    def __init__(self, *updates: SlotUpdate) -> None:
        self.updates = list(updates)
        self.expected: list[SlotName | None] = []

    def parse(self, text: str, expecting: SlotName | None = None) -> SlotUpdate:
        self.expected.append(expecting)
        return self.updates.pop(0)


def test_any_slot_extractor_can_drive_the_conversation() -> None:
    extractor = ScriptedExtractor(
        SlotUpdate(role="backend"),
        SlotUpdate(level="mid", interview_type="technical", tech_stack=["postgres"]),
        SlotUpdate(confirmation=True),
    )
    conversation = SetupConversation(extractor)
    conversation.start()

    replies = [conversation.handle(text) for text in ("one", "two", "three")]

    assert extractor.expected == ["role", "level", None]
    assert replies[-1].done
    assert conversation.confirm().tech_stack == ["postgresql"]


def test_a_stored_state_resumes_the_chat_exactly_where_it_left_off() -> None:
    messages = ("backend", "senior", "technical", "python and kafka", "make it 8", "yes")
    _, uninterrupted = _chat(*messages)

    conversation = SetupConversation()
    resumed = [conversation.start()]
    for message in messages:
        stored = conversation.state.model_dump_json()
        conversation = SetupConversation(state=SetupState.model_validate_json(stored))
        resumed.append(conversation.handle(message))

    assert resumed == uninterrupted
    assert conversation.confirm().question_count == 8

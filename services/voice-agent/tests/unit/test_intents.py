"""The classifier reads short requests as requests and everything else as an answer."""

from __future__ import annotations

import pytest

from voice_agent.domain import Intent, IntentClassifier

classifier = IntentClassifier()


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Could you repeat that?", Intent.REPEAT),
        ("Sorry, can you say that again?", Intent.REPEAT),
        ("Pardon?", Intent.REPEAT),
        ("Sorry, could you repeat the part about the database?", Intent.REPEAT),
        ("I didn't catch the question.", Intent.REPEAT),
        ("Skip this one.", Intent.SKIP),
        ("Next question, please.", Intent.SKIP),
        ("Pass.", Intent.SKIP),
        ("Can we move on?", Intent.SKIP),
        ("Let me think.", Intent.THINK),
        ("Give me a second.", Intent.THINK),
        ("Hmm, let me see.", Intent.THINK),
        ("Let me think about how I would design that.", Intent.THINK),
        ("I want to stop.", Intent.END_INTERVIEW),
        ("Can we end the interview?", Intent.END_INTERVIEW),
        ("I'd like to finish here.", Intent.END_INTERVIEW),
        ("I'm done.", Intent.FINISHED),
        ("So yeah, that's all.", Intent.FINISHED),
        ("That's it.", Intent.FINISHED),
        ("I don't know.", Intent.DONT_KNOW),
        ("Honestly, I really don't know, sorry.", Intent.DONT_KNOW),
        ("I have no idea.", Intent.DONT_KNOW),
        ("I'm not sure.", Intent.DONT_KNOW),
    ],
)
def test_requests_are_recognised(text: str, intent: Intent) -> None:
    assert classifier.classify(text) is intent


@pytest.mark.parametrize(
    "text",
    [
        "I would use a hash map to count each value.",
        "The tests pass on every commit.",
        "We decided to skip the cache layer entirely.",
        "Hmm, let me see, so I would start by putting a load balancer in front.",
        "I'm thinking we would use a queue.",
        "I don't know, maybe caching the results?",
        "I'm not sure, but I think we'd use a message queue.",
        "I don't know the exact number but we cut latency by half.",
        "We repeated the load test every night.",
        "I want to stop the process by sending it a signal.",
        "I'd like to finish my thought about the database first.",
    ],
)
def test_answers_that_contain_a_request_phrase_stay_answers(text: str) -> None:
    assert classifier.classify(text) is Intent.ANSWER


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I don't know, can we skip it?", Intent.SKIP),
        ("I don't know, let me think.", Intent.THINK),
        ("I don't know, I want to stop.", Intent.END_INTERVIEW),
    ],
)
def test_mixed_requests_take_the_stronger_one(text: str, intent: Intent) -> None:
    assert classifier.classify(text) is intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [("Yes please.", Intent.REPEAT), ("Sure.", Intent.REPEAT), ("No, I'm fine.", Intent.THINK)],
)
def test_a_reply_to_the_repeat_offer_is_read_as_such(text: str, intent: Intent) -> None:
    assert classifier.classify(text, offered_repeat=True) is intent


def test_yes_without_an_offer_is_an_answer() -> None:
    assert classifier.classify("Yes.") is Intent.ANSWER

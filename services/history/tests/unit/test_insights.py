"""Insight rules on synthetic histories with known answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from common.events import CATEGORIES, Category, SpeechMetrics
from history.domain.insights import (
    InsightRules,
    SessionEvidence,
    TopicScore,
    improvements_since_first,
    insights,
    recurring_weak_categories,
    recurring_weak_topics,
    speech_trends,
)
from history.testing import EPOCH

RULES = InsightRules(k=3, n=5, weak_below=60, min_gain=5)


def session(
    n: int,
    overall: int = 70,
    *,
    topics: dict[str, int] | None = None,
    fillers: float = 3.0,
    delay_ms: float | None = 900,
    **cats: int,
) -> SessionEvidence:
    categories: dict[Category, int] = {c: cats.get(c, overall) for c in CATEGORIES}
    return SessionEvidence(
        session_id=f"s-{n}",
        at=EPOCH + timedelta(days=n),
        overall=overall,
        categories=categories,
        topics=[TopicScore(topic=t, score=s) for t, s in (topics or {}).items()],
        speech=SpeechMetrics(
            words_per_minute=140,
            filler_words_per_100=fillers,
            hedges_per_100=1.0,
            mean_answer_words=60,
            mean_response_delay_ms=delay_ms,
            candidate_talk_ratio=0.6,
        ),
    )


def test_a_category_weak_in_three_of_the_last_five_is_recurring() -> None:
    history = [
        session(1, communication=40),  # outside the last five: must not count
        session(2, communication=55),
        session(3, communication=75),
        session(4, communication=50),
        session(5, communication=80),
        session(6, communication=58),
    ]
    found = recurring_weak_categories(history, RULES)
    assert [(i.subject, i.weak_in, i.out_of, i.sessions) for i in found] == [
        ("communication", 3, 5, ["s-2", "s-4", "s-6"])
    ]
    assert found[0].mean_score == pytest.approx((55 + 50 + 58) / 3, abs=0.01)


def test_weak_in_only_two_of_the_last_five_is_not_recurring() -> None:
    history = [session(i, communication=s) for i, s in enumerate([50, 90, 50, 90, 90], start=1)]
    assert recurring_weak_categories(history, RULES) == []
    loose = InsightRules(k=2, n=5)
    assert [i.subject for i in recurring_weak_categories(history, loose)] == ["communication"]


def test_a_topic_weak_across_sessions_is_found_whatever_its_spelling() -> None:
    history = [
        session(1, topics={"System design": 45, "react hooks": 80}),
        session(2, topics={"system  design": 50, "testing": 40}),
        session(3, topics={"react hooks": 85}),
        session(4, topics={"SYSTEM DESIGN": 30, "testing": 90}),
    ]
    found = recurring_weak_topics(history, RULES)
    assert [(i.subject, i.weak_in, i.sessions) for i in found] == [
        ("System design", 3, ["s-1", "s-2", "s-4"])
    ]


def test_a_topic_is_judged_by_its_mean_within_a_session() -> None:
    history = [session(i, topics={"testing": 50}) for i in range(1, 4)]
    mixed = session(4, topics={"testing": 50})
    mixed = mixed.model_copy(
        update={
            "topics": [TopicScore(topic="testing", score=40), TopicScore(topic="testing", score=90)]
        }
    )
    # 40 and 90 average 65: that session is not weak on testing, so only 3 remain.
    found = recurring_weak_topics([*history, mixed], InsightRules(k=4, n=5))
    assert found == []


def test_fillers_falling_steadily_is_a_good_speech_trend() -> None:
    history = [session(i, fillers=f) for i, f in enumerate([6.0, 5.0, 4.0, 3.0, 2.0], start=1)]
    found = speech_trends(history, RULES)
    assert [(i.subject, i.direction, i.desirable, i.change) for i in found] == [
        ("filler_words_per_100", "down", True, -4.0)
    ]
    assert found[0].sessions == ["s-1", "s-2", "s-3", "s-4", "s-5"]


def test_response_delay_rising_is_worth_watching_and_small_wobbles_are_not_trends() -> None:
    delays = [800.0, 1000.0, 1300.0, 1500.0]
    history = [
        session(i, fillers=f, delay_ms=d)
        for i, (f, d) in enumerate(zip([3.0, 3.2, 2.9, 3.1], delays, strict=True), start=1)
    ]
    found = speech_trends(history, RULES)
    assert [(i.subject, i.direction, i.desirable) for i in found] == [
        ("mean_response_delay_ms", "up", False)
    ]


def test_speech_trends_need_three_sessions() -> None:
    assert speech_trends([session(1, fillers=9), session(2, fillers=1)], RULES) == []


def test_improvements_compare_the_first_and_the_latest_session() -> None:
    history = [
        session(1, 55, communication=40, technical_knowledge=60),
        session(2, 50, communication=45),
        session(3, 68, communication=70, technical_knowledge=62),
    ]
    found = improvements_since_first(history, RULES)
    assert [(i.subject, i.first, i.latest, i.change) for i in found] == [
        ("communication", 40, 70, 30),
        ("overall", 55, 68, 13),
        ("problem_solving", 55, 68, 13),
        ("cultural_fit", 55, 68, 13),
        ("confidence", 55, 68, 13),
    ]
    assert all(i.sessions == ["s-1", "s-3"] for i in found)


def test_insights_combine_every_rule_and_count_the_sessions() -> None:
    history = [session(i, 50 + 5 * i, fillers=6.0 - i, problem_solving=45) for i in range(1, 6)]
    result = insights(reversed(history), RULES)
    kinds = [(i.kind, i.subject) for i in result.insights]
    assert result.sessions_considered == 5
    assert kinds[0] == ("recurring_weak_category", "problem_solving")
    assert ("speech_trend", "filler_words_per_100") in kinds
    assert ("improved_since_first", "overall") in kinds
    assert ("improved_since_first", "problem_solving") not in kinds


def test_rules_refuse_k_greater_than_n() -> None:
    with pytest.raises(ValidationError, match=r"k \(6\) must not be greater than n \(5\)"):
        InsightRules(k=6, n=5)

"""STAR detection in stories; approach, trade-offs, complexity and examples in technical answers."""

from __future__ import annotations

from scoring.domain.language import analyze_sentence, split_sentences
from scoring.domain.structure import star, technical


def _sentences(text: str) -> list:  # type: ignore[type-arg]
    return [analyze_sentence(s) for s in split_sentences(text)]


def test_full_star_story_has_all_four_parts() -> None:
    st = star(
        _sentences(
            "Last year at my previous company our release was slipping. I was responsible for "
            "the payments module. I told the manager, split the work and paired with a junior "
            "engineer. In the end we shipped on time and I learned to raise risks early."
        )
    )
    assert st.missing_parts == []
    assert st.reflection
    assert st.score == 1.0


def test_story_without_a_result_misses_the_result() -> None:
    st = star(
        _sentences(
            "At my last job there was a conflict in the team. I was asked to sort it out. "
            "I talked to both people and I wrote down the options."
        )
    )
    assert st.missing_parts == ["result"]


def test_wishes_and_states_are_not_actions() -> None:
    st = star(_sentences("I wanted to help and I needed more time, I felt it was hard."))
    assert not st.part("action").present


def test_vague_claim_has_no_star_parts() -> None:
    st = star(_sentences("I get along with everyone and I'm easy going."))
    assert st.present_parts == []


def test_technical_answer_with_trade_offs_and_complexity() -> None:
    st = technical(
        _sentences(
            "First I would check the query plan. Then I'd add a B-tree index, which makes the "
            "lookup O(log n). The downside is slower writes. For example, on our orders table "
            "it cut a report from eight seconds to forty milliseconds."
        )
    )
    assert st.missing_parts == []


def test_bare_technical_claim_lacks_trade_offs_and_examples() -> None:
    st = technical(_sentences("An index makes the database faster."))
    assert {"trade-offs", "examples", "approach"} <= set(st.missing_parts)

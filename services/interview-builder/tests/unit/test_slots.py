"""The slot schemas shared by every extractor, and the behavioral/technical split."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from common.vocabulary import INTERVIEW_TYPES, InterviewType
from interview_builder.domain.slots import (
    SetupSlots,
    SlotUpdate,
    question_split,
    smallest_count_covering,
)


def test_update_turns_aliases_into_canonical_names() -> None:
    update = SlotUpdate(tech_stack=["Postgres", "k8s", "postgresql"], tech_removed=["nodejs"])

    assert update.tech_stack == ["postgresql", "kubernetes"]
    assert update.tech_removed == ["node.js"]


def test_update_refuses_a_technology_outside_the_vocabulary() -> None:
    with pytest.raises(ValidationError, match="tech_stack") as raised:
        SlotUpdate(tech_stack=["elixir"])

    assert "'elixir' is not a technology in the shared vocabulary" in str(raised.value)


@pytest.mark.parametrize("count", [0, 21])
def test_update_and_slots_refuse_counts_outside_one_to_twenty(count: int) -> None:
    with pytest.raises(ValidationError, match="question_count"):
        SlotUpdate(question_count=count)
    with pytest.raises(ValidationError, match="question_count"):
        SetupSlots(role="backend", interview_type="technical", level="mid", question_count=count)


def test_update_lists_the_slots_it_changes() -> None:
    update = SlotUpdate(level="senior", question_count=4, tech_removed=["kafka"])

    assert update.mentioned() == ["level", "question_count", "tech_stack"]


def test_update_json_schema_can_serve_as_a_function_calling_schema() -> None:
    schema = SlotUpdate.model_json_schema()
    properties = schema["properties"]

    assert schema["additionalProperties"] is False
    assert {"role", "interview_type", "level", "question_count", "tech_stack"} <= set(properties)
    role_choices = [option.get("enum") for option in properties["role"]["anyOf"]]
    assert ["frontend", "backend", "fullstack"] in role_choices
    count = next(option for option in properties["question_count"]["anyOf"] if "type" in option)
    assert (count["minimum"], count["maximum"]) == (1, 20)
    assert "no particular technology" in properties["tech_stack"]["description"]


@given(
    interview_type=st.sampled_from(INTERVIEW_TYPES),
    count=st.integers(min_value=1, max_value=20),
    technologies=st.integers(min_value=0, max_value=15),
)
def test_smallest_count_is_exactly_where_every_technology_gets_a_question(
    interview_type: InterviewType, count: int, technologies: int
) -> None:
    behavioral, technical = question_split(interview_type, count)

    assert behavioral + technical == count
    if interview_type == "mixed":
        assert technical - behavioral in {0, 1}
    if interview_type != "behavioral" and technologies:
        fits = technical >= technologies
        assert fits == (count >= smallest_count_covering(interview_type, technologies))

"""What the LLM judge must answer: a strict schema, validated before anything is used."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from common.events import CATEGORIES, Category

MAX_QUOTES_PER_CATEGORY = 5
MAX_QUOTE_CHARS = 400
MAX_LIST_ITEMS = 5

Quote = Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUOTE_CHARS)]
Remark = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class JudgedCategory(_Strict):
    """One category as the LLM judged it."""

    score: int = Field(ge=0, le=100, description="0 (poor) to 100 (excellent).")
    rationale: str = Field(min_length=1, max_length=1_000, description="Why this score.")
    evidence: list[Quote] = Field(
        max_length=MAX_QUOTES_PER_CATEGORY,
        description="Exact quotes of the candidate's words that support the score.",
    )


class JudgedCategories(_Strict):
    """The five categories of DESIGN.md, each required."""

    communication: JudgedCategory
    technical_knowledge: JudgedCategory
    problem_solving: JudgedCategory
    cultural_fit: JudgedCategory
    confidence: JudgedCategory

    def by_name(self) -> dict[Category, JudgedCategory]:
        """The categories keyed by their names in the feedback document."""
        return {name: getattr(self, name) for name in CATEGORIES}


class JudgeOutput(_Strict):
    """The whole answer of the LLM judge."""

    categories: JudgedCategories
    strengths: list[Remark] = Field(max_length=MAX_LIST_ITEMS)
    improvements: list[Remark] = Field(max_length=MAX_LIST_ITEMS)
    final_assessment: str = Field(min_length=1, max_length=2_000)


def judge_json_schema() -> dict[str, Any]:
    """``JudgeOutput``'s JSON schema with every ``$ref`` inlined.

    Some OpenAI-compatible servers turn the schema into a grammar and do not follow ``$ref``.
    String ``maxLength`` is left out too: llama.cpp's grammar spells a bound of N characters as
    N nested rules, and for these bounds (300 to 2,000) its parser fails and llama-cpp-python's
    server crashes. The bounds still hold: every answer is validated against ``JudgeOutput``.
    """
    schema = JudgeOutput.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {
                key: inline(value)
                for key, value in node.items()
                if key != "title" and not (key == "maxLength" and node.get("type") == "string")
            }
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined

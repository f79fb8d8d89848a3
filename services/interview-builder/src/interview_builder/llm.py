"""An OpenAI-compatible LLM behind the setup chat and, optionally, question writing.

Every call asks `/v1/chat/completions` for one forced function call and validates its
arguments strictly against a pydantic model: `SlotUpdate` for a setup message (the rule parser's
own output schema), `WrittenInterview` for a whole interview's questions. Anything short of a
well-formed call that validates is an `LLMCallError`; the `Fallback*` wrappers turn every such
error into the offline answer (the rule parser, the question bank), logged and counted, so a
user never sees an LLM failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, ValidationError

from common.events import Question, QuestionKind
from common.events.models import MAX_QUESTIONS, MAX_SHORT_TEXT, MAX_TEXT
from common.vocabulary import TECH_STACK, normalize_tech
from interview_builder.domain.slots import SetupSlots, SlotExtractor, SlotName, SlotUpdate
from interview_builder.service import QuestionSource

logger = logging.getLogger("mocksy.builder.llm")

SLOTS_FUNCTION: Final = "record_setup_slots"
QUESTIONS_FUNCTION: Final = "record_interview_questions"

# Why an answer fell back to the offline path (the `reason` label of the fallback counter).
TIMEOUT: Final = "timeout"
HTTP_ERROR: Final = "http_error"
INVALID_JSON: Final = "invalid_json"
NO_TOOL_CALL: Final = "no_tool_call"
SCHEMA_MISMATCH: Final = "schema_mismatch"
OTHER: Final = "other"

_TECHNOLOGIES: Final = ", ".join(sorted(TECH_STACK))
_SLOTS_PROMPT: Final = (
    "You read one message of a candidate setting up a mock job interview and record what it "
    f"says by calling {SLOTS_FUNCTION}. Fill only the fields the message mentions; leave the "
    "rest out. role is frontend, backend or fullstack; interview_type is behavioral, technical "
    "or mixed; level is junior, mid or senior; question_count is a whole number from 1 to 20. "
    f"tech_stack lists technologies to cover, written exactly as one of: {_TECHNOLOGIES}. Put "
    "technologies the candidate wants dropped in tech_removed. Set replace_stack to true when "
    "the new list replaces the old one. Set confirmation to true for yes and false for no when "
    "the candidate answers a proposed summary."
)
_QUESTIONS_PROMPT: Final = (
    "You write the questions of a mock job interview and record them by calling "
    f"{QUESTIONS_FUNCTION}. Behavioral questions ask for a past situation (teamwork, conflict, "
    "ownership, failure, leadership, communication) and have technology null. Technical "
    "questions test the candidate's knowledge at the given level; each names in technology the "
    "stack technology it is about, or null for a general question. key_points are the 3 to 6 "
    "things a strong answer covers; follow_ups are 1 to 3 questions that probe a missed point."
)


class LLMCallError(Exception):
    """The LLM gave no usable answer; `reason` is one of the fallback reasons above."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


M = TypeVar("M", bound=BaseModel)


def function_tool(name: str, description: str, schema: type[BaseModel]) -> dict[str, Any]:
    """A function-calling tool whose parameters are `schema`'s JSON schema."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": _without_string_bounds(schema.model_json_schema()),
        },
    }


def _without_string_bounds(node: Any) -> Any:
    # llama.cpp's grammar spells maxLength N as N nested rules; for question texts (2000) its
    # parser fails and llama-cpp-python's server crashes. The arguments are still validated
    # against the pydantic model, bounds included.
    if isinstance(node, dict):
        return {
            key: _without_string_bounds(value)
            for key, value in node.items()
            if not (key == "maxLength" and node.get("type") == "string")
        }
    if isinstance(node, list):
        return [_without_string_bounds(item) for item in node]
    return node


def completions_url(base_url: str) -> str:
    """`<base>/v1/chat/completions`, whether or not `base_url` already ends in /v1."""
    base = base_url.rstrip("/")
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


class ChatCompletions:
    """Forced function calls on an OpenAI-compatible server, validated into pydantic models."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: SecretStr | None = None,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = completions_url(base_url)
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
        self._timeout = timeout
        self._client = client or httpx.Client()

    def close(self) -> None:
        """Release the HTTP connections."""
        self._client.close()

    def call(
        self,
        system: str,
        user: str,
        tool: dict[str, Any],
        result: type[M],
        **options: Any,
    ) -> M:
        """The arguments of the forced call to `tool`, validated strictly as `result`."""
        name = tool["function"]["name"]
        payload = {
            "model": self._model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "tools": [tool],
            "tool_choice": {"type": "function", "function": {"name": name}},
            **options,
        }
        try:
            response = self._client.post(
                self.url, json=payload, headers=self._headers, timeout=self._timeout
            )
            response.raise_for_status()
        except httpx.TimeoutException as error:
            raise LLMCallError(TIMEOUT, f"no answer within {self._timeout}s") from error
        except httpx.HTTPStatusError as error:
            raise LLMCallError(
                HTTP_ERROR, f"HTTP {error.response.status_code} from {self.url}"
            ) from error
        except httpx.HTTPError as error:
            raise LLMCallError(HTTP_ERROR, f"{type(error).__name__}: {error}") from error
        return _arguments(response, name, result)


def _arguments(response: httpx.Response, name: str, result: type[M]) -> M:
    try:
        body = response.json()
    except ValueError as error:
        raise LLMCallError(INVALID_JSON, "the response body is not JSON") from error
    try:
        call = body["choices"][0]["message"]["tool_calls"][0]["function"]
        called, arguments = call["name"], call["arguments"]
    except (KeyError, IndexError, TypeError) as error:
        raise LLMCallError(NO_TOOL_CALL, "the reply holds no function call") from error
    if called != name:
        raise LLMCallError(NO_TOOL_CALL, f"the reply called {called!r}, not {name!r}")
    if isinstance(arguments, str):
        # The OpenAI API sends arguments as a JSON string; some servers send an object.
        try:
            arguments = json.loads(arguments)
        except ValueError as error:
            raise LLMCallError(INVALID_JSON, "the call's arguments are not JSON") from error
    try:
        return result.model_validate(arguments, strict=True)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise LLMCallError(SCHEMA_MISMATCH, problems) from error


class OpenAISlotExtractor:
    """A `SlotExtractor` that asks the LLM what a setup message says."""

    def __init__(self, chat: ChatCompletions) -> None:
        self._chat = chat
        self._tool = function_tool(
            SLOTS_FUNCTION,
            "Record the interview setup slots one candidate message mentions.",
            SlotUpdate,
        )

    def parse(self, text: str, expecting: SlotName | None = None) -> SlotUpdate:
        """Ask the LLM what `text` says; raises `LLMCallError` on any failure."""
        system = _SLOTS_PROMPT
        if expecting is not None:
            system += f" The assistant has just asked for the {expecting.replace('_', ' ')}."
        return self._chat.call(system, text, self._tool, SlotUpdate)


class FallbackExtractor:
    """Reads with `primary`; on any error reads with `fallback` and reports why."""

    def __init__(
        self,
        primary: SlotExtractor,
        fallback: SlotExtractor,
        *,
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._on_fallback = on_fallback

    def parse(self, text: str, expecting: SlotName | None = None) -> SlotUpdate:
        """The primary reading, or the fallback's when the primary raises."""
        try:
            return self._primary.parse(text, expecting=expecting)
        except Exception as error:  # any failure of the LLM path means: use the rule parser
            _report(error, "slot extraction", self._on_fallback)
        return self._fallback.parse(text, expecting=expecting)


_Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class WrittenQuestion(BaseModel):
    """One question as the LLM writes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: Annotated[_Line, StringConstraints(max_length=MAX_TEXT)]
    kind: QuestionKind
    topic: Annotated[_Line, StringConstraints(max_length=MAX_SHORT_TEXT)]
    technology: str | None = Field(description="The stack technology it is about, or null.")
    key_points: list[Annotated[_Line, StringConstraints(max_length=MAX_SHORT_TEXT)]] = Field(
        min_length=3, max_length=6
    )
    follow_ups: list[Annotated[_Line, StringConstraints(max_length=MAX_TEXT)]] = Field(
        min_length=1, max_length=3
    )


class WrittenInterview(BaseModel):
    """An interview's questions as the LLM writes them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    questions: list[WrittenQuestion] = Field(min_length=1, max_length=MAX_QUESTIONS)


class OpenAIQuestionWriter:
    """Writes an interview's questions with the LLM, checked against the setup."""

    def __init__(self, chat: ChatCompletions) -> None:
        self._chat = chat
        self._tool = function_tool(
            QUESTIONS_FUNCTION, "Record the questions of one mock interview.", WrittenInterview
        )

    def generate(
        self, slots: SetupSlots, seed: int, exclude_question_ids: Sequence[str] = ()
    ) -> list[Question]:
        """The interview's questions, in the order they are asked; `LLMCallError` otherwise."""
        behavioral, technical = slots.split
        request = (
            f"Write {slots.question_count} questions for a {slots.level} {slots.role} "
            f"{slots.interview_type} interview: {behavioral} behavioral and {technical} technical."
        )
        if technical and slots.tech_stack:
            request += (
                f" The stack is {', '.join(slots.tech_stack)}; give every one of them at least "
                "one technical question."
            )
        written = self._chat.call(
            _QUESTIONS_PROMPT, request, self._tool, WrittenInterview, seed=seed
        )
        return _checked(written, slots)


def _checked(written: WrittenInterview, slots: SetupSlots) -> list[Question]:
    """The questions when they fit the setup, asked in the bank path's order."""
    behavioral_count, technical_count = slots.split
    behavioral = [q for q in written.questions if q.kind == "behavioral"]
    technical = [q for q in written.questions if q.kind == "technical"]
    if (len(behavioral), len(technical)) != (behavioral_count, technical_count):
        raise LLMCallError(
            SCHEMA_MISMATCH,
            f"wrote {len(behavioral)} behavioral and {len(technical)} technical questions, "
            f"asked for {behavioral_count} and {technical_count}",
        )
    if len({q.text.lower() for q in written.questions}) != len(written.questions):
        raise LLMCallError(SCHEMA_MISMATCH, "questions repeat")
    covered: set[str] = set()
    for question in written.questions:
        if question.technology is None:
            continue
        technology = normalize_tech(question.technology)
        if (
            question.kind == "behavioral"
            or technology is None
            or technology not in slots.tech_stack
        ):
            raise LLMCallError(
                SCHEMA_MISMATCH, f"question on {question.technology!r}, outside the stack"
            )
        covered.add(technology)
    if technical_count and set(slots.tech_stack) - covered:
        missing = ", ".join(sorted(set(slots.tech_stack) - covered))
        raise LLMCallError(SCHEMA_MISMATCH, f"no technical question on {missing}")
    # A mixed interview opens with a behavioral warm-up, then alternates, as the bank does.
    ordered: list[WrittenQuestion] = []
    for index in range(max(len(behavioral), len(technical))):
        ordered += behavioral[index : index + 1] + technical[index : index + 1]
    return [_question(question) for question in ordered]


def _question(written: WrittenQuestion) -> Question:
    # The id is derived from the text: the same question gets the same id in every interview,
    # so avoiding recently asked questions works for written ones too.
    digest = hashlib.sha256(written.text.lower().encode()).hexdigest()[:16]
    return Question(
        question_id=f"llm-{digest}",
        text=written.text,
        kind=written.kind,
        topic=written.topic,
        key_points=list(written.key_points),
        follow_ups=list(written.follow_ups),
    )


class FallbackQuestionSource:
    """Questions from `primary`; on any error from `fallback` (the bank), reporting why."""

    def __init__(
        self,
        primary: QuestionSource,
        fallback: QuestionSource,
        *,
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._on_fallback = on_fallback

    def generate(
        self, slots: SetupSlots, seed: int, exclude_question_ids: Sequence[str] = ()
    ) -> list[Question]:
        """The primary's questions, or the fallback's when the primary raises."""
        try:
            return self._primary.generate(slots, seed, exclude_question_ids)
        except Exception as error:  # any failure of the LLM path means: use the bank
            _report(error, "question writing", self._on_fallback)
        return self._fallback.generate(slots, seed, exclude_question_ids)


def _report(error: Exception, task: str, on_fallback: Callable[[str], None] | None) -> None:
    reason = error.reason if isinstance(error, LLMCallError) else OTHER
    logger.warning("LLM %s failed (%s), using the offline path: %s", task, reason, error)
    if on_fallback is not None:
        on_fallback(reason)
